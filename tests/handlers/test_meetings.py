"""Meetings end to end: Lan (leader of Ủy ban MTTQ xã Yên Nguyên) schedules a briefing step by step through
bad input and a restart; the invitations reach the invited members with an .ics file; they answer
(yes, no with a reason, a delegate); reminders skip the one who declined and are sent once across
restarts; a reschedule keeps the calendar UID, a cancel removes the entry; after the meeting Lan
records conclusions, the minutes and attendance; nobody outside the invited units sees anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select

from bot.emulator import BotMessage, UserClient
from storage.models import Meeting
from storage.queries import units as units_q
from tests.harness import PRESS_THE_BUTTON, YES_NO_ONLY, Harness, ics_sequence, text_of

#: Monday 21/12/2026 08:30 in Hà Nội.
START = datetime(2026, 12, 21, 1, 30, tzinfo=UTC)
WHEN = "Thứ Hai, 21/12/2026 08:30"
STALE = "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /meeting."
NOT_INVITED = "Bạn không được mời dự cuộc họp này."
PRESS_A_BUTTON = "Hãy bấm một trong các nút phía trên, hoặc /cancel để dừng."
EARLIER_STEP = "Nút này thuộc một bước trước. Bước hiện tại ở ngay dưới đây."


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def started(h: Harness, *people: tuple[int, str]) -> dict[int, UserClient]:
    users = {uid: h.user(uid, name) for uid, name in people}
    for user in users.values():
        await user.send("/start")
    return users


async def schedule(h: Harness, lan: UserClient, when: str = "21/12 8h30") -> int:
    """The shortest way through /meeting (all direct sub-units invited)."""
    await lan.send("/meeting")
    await lan.press("Giao ban")
    await lan.send("Giao ban quý IV/2026")
    await lan.send(when)
    await lan.press("2 giờ")
    await lan.send("Hội trường UBND xã")
    await lan.send("Đánh giá kết quả quý IV; kế hoạch năm 2027")
    await lan.press("Tất cả đơn vị trực thuộc (9)")
    done = (await lan.press("Gửi giấy mời"))[-1].text or ""
    assert done.startswith("Đã lên lịch họp: Giao ban quý IV/2026"), done
    async with h.db.session() as session:
        meeting_id = await session.scalar(select(Meeting.id).order_by(Meeting.id.desc()).limit(1))
    assert meeting_id is not None
    return meeting_id


async def dispatch_all(h: Harness) -> int:
    """Outbox rounds until nothing is left (one message per chat per round)."""
    sent = 0
    for _ in range(10):
        report = await h.dispatch()
        sent += report.sent
        if not (report.sent or report.skipped or report.retried):
            break
    return sent


def calendar_of(message: BotMessage | None) -> icalendar.Calendar:
    assert message is not None and message.document is not None, message
    assert message.document["file_name"].endswith(".ics")
    return icalendar.Calendar.from_ical(message.document["data"])


def event_of(cal: icalendar.Calendar) -> icalendar.Event:
    [event] = cal.walk("VEVENT")
    assert isinstance(event, icalendar.Event), event
    return event


def texts(user: UserClient) -> list[str]:
    return [m.text or "" for m in user.history()]


async def test_a_leader_schedules_a_meeting_step_by_step(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1003, "Mai"), (1004, "Nam"), (1008, "Thu"))
    lan, mai, nam, thu = users[1002], users[1003], users[1004], users[1008]

    assert (await nam.send("/meeting"))[0].text == "Chỉ lãnh đạo đơn vị mới được lên lịch họp."

    first = (await lan.send("/meeting"))[0]
    assert first.text == "Cuộc họp mới của Ủy ban MTTQ xã Yên Nguyên. Loại cuộc họp nào?"
    assert [row[0]["text"] for row in first.inline_buttons] == [
        "Giao ban",
        "Sơ kết",
        "Tổng kết",
        "Hiệp thương",
        "Tiếp xúc cử tri",
        "Sinh hoạt Ban Công tác Mặt trận",
        "Cuộc họp khác",
    ]
    assert (await lan.send("Giao ban"))[0].text == PRESS_A_BUTTON
    assert (await lan.press("Giao ban"))[-1].text == "Tên cuộc họp? (tối đa 200 ký tự)"
    assert (await lan.send("x" * 300))[0].text == (
        "Tối đa 200 ký tự; bạn gửi 300. Hãy rút gọn rồi gửi lại."
    )
    asked = (await lan.send("Giao ban quý IV/2026"))[0].text or ""
    assert asked.startswith("Khi nào bắt đầu? Hãy gõ ngày và giờ, ví dụ 21/12 8h30")

    # Bad times are explained and nothing entered so far is lost.
    bad = {
        "sáng nay": "Hãy gõ cả giờ, ví dụ “sáng nay 8h30”.",
        "20/12": "Hãy gõ cả giờ, ví dụ “20/12 8h30”.",
        "16/11 8h": "“16/11 8h” đã qua. Hãy gõ một thời điểm trong tương lai, ví dụ 21/12 8h30, “mai 14h” hoặc “thứ 2 8h”.",
        "8h": "“8h” đã qua. Hãy gõ một thời điểm trong tương lai, ví dụ 21/12 8h30, “mai 14h” hoặc “thứ 2 8h”.",
        "31/02 8h": "“31/02 8h” là ngày không có thật. Hãy kiểm tra ngày và tháng.",
        "thứ 2 20/12 8h": "Ngày 20/12/2026 là Chủ Nhật, không khớp với thứ bạn gõ. Hãy kiểm tra lại ngày.",
        "25h": "“25h”: giờ từ 0 đến 23, phút từ 0 đến 59.",
        "họp sớm nhé": "Tôi không hiểu “họp sớm nhé” là ngày giờ nào. Hãy gõ theo dạng ví dụ 21/12 8h30, “mai 14h” hoặc “thứ 2 8h”.",
    }
    for typed, answer in bad.items():
        assert (await lan.send(typed))[0].text == answer, typed
    await h.restart()  # the draft lives in the database
    duration = (await lan.send("21/12 8h30"))[0]
    assert duration.text == (
        "Bắt đầu: Thứ Hai, 21/12/2026 08:30.\n\n"
        "Họp trong bao lâu? Bấm một nút hoặc gõ (ví dụ 1h30)."
    )
    assert [b["text"] for b in duration.inline_buttons[0]] == [
        "1 giờ",
        "2 giờ",
        "Nửa ngày",
        "Cả ngày",
    ]
    assert (await lan.send("lâu lắm"))[0].text == (
        "“lâu lắm” không phải thời lượng từ 15 phút đến 24 giờ. Hãy gõ ví dụ 1h30 hoặc 90 phút, hoặc bấm một nút."
    )
    assert (await lan.send("2 tiếng"))[0].text == "Họp ở đâu? Hãy gõ địa điểm (tối đa 200 ký tự)."
    agenda_question = (await lan.send("Hội trường UBND xã"))[0]
    assert (
        agenda_question.text == "Nội dung cuộc họp? Hãy gõ (tối đa 2.000 ký tự), hoặc bấm Bỏ qua."
    )
    assert (await lan.send("Nội dung " * 600))[0].text == (
        "Tối đa 2.000 ký tự; bạn gửi 5.399. Hãy rút gọn rồi gửi lại."
    )
    assert text_of((await lan.send_sticker())[0]).startswith(
        "Bước này cần chữ hoặc một trong các nút"
    )
    invite = (await lan.send("1. Đánh giá kết quả quý IV\n2. Kế hoạch năm 2027"))[0]
    assert invite.text == "Mời những ai? Thành viên của Ủy ban MTTQ xã Yên Nguyên luôn được mời."
    assert [row[0]["text"] for row in invite.inline_buttons] == [
        "Tất cả đơn vị trực thuộc (9)",
        "Chỉ đơn vị này",
        "Chọn đơn vị trực thuộc…",
    ]
    # Choose two sub-units, change one's mind, then invite them all after all.
    picker = (await lan.press("Chọn đơn vị trực thuộc…"))[-1]
    assert picker.text == "Bấm chọn các đơn vị được mời (✓ = được mời), rồi bấm “Xong”. Đã chọn: 0."
    await lan.press("Hội Liên hiệp Phụ nữ xã Yên Nguyên")
    await lan.press("Ban Công tác Mặt trận thôn Cầu Bâm")
    edited = (await lan.press("✓ Hội Liên hiệp Phụ nữ xã Yên Nguyên"))[-1]
    assert edited.text is not None and edited.text.endswith("Đã chọn: 1.")
    review = (await lan.press("Xong"))[-1].text or ""
    assert review.startswith("Kiểm tra lại trước khi gửi giấy mời\n\nGiao ban quý IV/2026\n")
    assert "Thành phần mời: Ủy ban MTTQ xã Yên Nguyên, Ban Công tác Mặt trận thôn Cầu Bâm" in review
    assert "2 người sẽ được báo ngay (các thành viên đã bắt đầu dùng bot)." in review
    await lan.press("Sửa")
    await lan.press("Đơn vị được mời")
    await lan.press("Tất cả đơn vị trực thuộc (9)")
    await lan.press("Sửa")
    assert (await lan.press("Địa điểm"))[
        -1
    ].text == "Họp ở đâu? Hãy gõ địa điểm (tối đa 200 ký tự)."
    review = (await lan.send("Hội trường Đảng ủy xã"))[0].text or ""
    assert "Thời gian: Thứ Hai, 21/12/2026 08:30 (2 giờ)" in review
    assert "Địa điểm: Hội trường Đảng ủy xã" in review
    assert "Nội dung: 1. Đánh giá kết quả quý IV\n2. Kế hoạch năm 2027" in review
    assert (
        "Thành phần mời: Ủy ban MTTQ xã Yên Nguyên, Ban Công tác Mặt trận thôn Cầu Bâm, "
        "Ban Công tác Mặt trận thôn Đồng Mán, Ban Công tác Mặt trận thôn Phú Lâm, "
        "Công đoàn cơ sở xã Yên Nguyên, Đoàn Thanh niên xã Yên Nguyên, Hội Cựu chiến binh xã Yên Nguyên,"
        in review
    )
    assert "3 người sẽ được báo ngay" in review
    done = (await lan.press("Gửi giấy mời"))[-1].text
    assert done == (
        f"Đã lên lịch họp: Giao ban quý IV/2026, {WHEN}.\n"
        "Giấy mời đang được gửi tới 3 người.\n"
        "/meetings cho biết ai đã trả lời."
    )
    assert await dispatch_all(h) == 3

    notice = nam.last
    assert notice is not None and notice.document is not None
    assert notice.text == (
        "Giấy mời họp\n"
        "Giao ban quý IV/2026\n"
        "Giao ban · Đơn vị tổ chức: Ủy ban MTTQ xã Yên Nguyên\n"
        f"Thời gian: {WHEN} (2 giờ)\n"
        "Địa điểm: Hội trường Đảng ủy xã\n"
        "Nội dung: 1. Đánh giá kết quả quý IV\n2. Kế hoạch năm 2027\n"
        "\n"
        "Bạn có tham dự không? Mở tệp .ics đính kèm để thêm cuộc họp vào lịch điện thoại."
    )
    assert [b["text"] for b in notice.inline_buttons[0]] == ["Tham dự", "Vắng mặt", "Cử người thay"]
    assert notice.document["mime_type"] == "text/calendar"
    cal = calendar_of(notice)
    event = event_of(cal)
    assert cal["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART").astimezone(UTC) == START
    assert event.decoded("DTEND").astimezone(UTC) == START + timedelta(hours=2)
    assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    assert str(event["SUMMARY"]) == "Giao ban quý IV/2026"
    assert str(event["LOCATION"]) == "Hội trường Đảng ủy xã"
    assert ics_sequence(event) == 0 and str(event["STATUS"]) == "CONFIRMED"
    async with h.db.session() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None and str(event["UID"]) == meeting.uid
    assert mai.last is not None and mai.last.document is not None
    assert text_of(lan.last).startswith("Giấy mời họp")
    # Thu leads another commune: not invited, told nothing.
    assert not any("Giao ban quý IV" in t for t in texts(thu))


async def test_a_peoples_committee_is_offered_its_own_kinds_of_meeting(h: Harness) -> None:
    """Hiệp thương, tiếp xúc cử tri and sinh hoạt Ban Công tác Mặt trận are the Front's own: a
    People's Committee's leader is not offered them, and a forged press of one is refused on the
    server, the draft kept."""
    quang = (await started(h, (1013, "Quang")))[1013]
    first = (await quang.send("/meeting"))[0]
    assert first.text == "Cuộc họp mới của UBND xã Yên Nguyên. Loại cuộc họp nào?"
    assert [row[0]["text"] for row in first.inline_buttons] == [
        "Giao ban",
        "Sơ kết",
        "Tổng kết",
        "Cuộc họp khác",
    ]
    await quang.press_data("mts:kind:k:3")  # "hiep_thuong", KINDS' fourth
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /meeting."
    )
    asked = (await quang.press("Giao ban"))[-1]
    assert asked.text == "Tên cuộc họp? (tối đa 200 ký tự)"


async def test_answers_reminders_and_restarts(h: Harness) -> None:
    users = await started(
        h, (1002, "Lan"), (1003, "Mai"), (1004, "Nam"), (1006, "Tuấn"), (1007, "Bình")
    )
    lan, mai, nam, tuan, binh = (users[i] for i in (1002, 1003, 1004, 1006, 1007))
    await schedule(h, lan)
    assert await dispatch_all(h) == 5

    yes = (await nam.press("Tham dự"))[-1].text
    assert yes == (
        f"Đã ghi: bạn tham dự Giao ban quý IV/2026 ({WHEN}). "
        "Bạn có thể đổi ý cho tới khi cuộc họp bắt đầu."
    )
    assert nam.last_answer is not None and nam.last_answer["text"] == "Đã ghi: tham dự."
    asked = (await mai.press("Vắng mặt"))[-1].text
    assert (
        asked == f"Đã ghi: bạn vắng mặt tại Giao ban quý IV/2026 ({WHEN}). Xin gõ lý do vắng mặt."
    )
    await h.restart()
    assert (await mai.send("x" * 600))[
        0
    ].text == "Tối đa 500 ký tự; bạn gửi 600. Hãy rút gọn rồi gửi lại."
    assert (await mai.send("Dự tập huấn của Hội cấp tỉnh"))[0].text == (
        "Đã ghi lý do. Bạn có thể đổi câu trả lời cho tới khi cuộc họp bắt đầu: /meetings"
    )
    await tuan.press("Cử người thay")
    assert (await tuan.send("Phó Bí thư Hoàng Văn Hải"))[0].text == (
        "Đã ghi: Phó Bí thư Hoàng Văn Hải sẽ dự thay bạn. "
        "Bạn có thể đổi câu trả lời cho tới khi cuộc họp bắt đầu: /meetings"
    )

    # Nam sees his answer in /meetings; Lan sees everyone's.
    listing = (await nam.send("/meetings"))[0].text or ""
    assert listing.startswith(
        "Lịch họp sắp tới\n1. Thứ Hai, 21/12/2026 08:30 — Giao ban quý IV/2026"
    )
    assert "bạn: tham dự" in listing and "đã trả lời" not in listing
    organiser = (await lan.send("/meetings"))[0].text or ""
    assert "bạn: chưa trả lời; đã trả lời 3/7" in organiser
    card = (await lan.press(1))[-1]
    assert card.text is not None
    assert "Trả lời (3/7):" in card.text
    assert "Tham dự (1): Nam" in card.text
    assert "Vắng mặt (1): Mai (Dự tập huấn của Hội cấp tỉnh)" in card.text
    assert "Cử người thay (1): Tuấn → Phó Bí thư Hoàng Văn Hải" in card.text
    assert "Chưa trả lời (4): Bình, Lý Thị Hiền, Lan, Ma Văn Quang" in card.text
    reminded = (await lan.press("Nhắc người chưa trả lời"))[-1].text
    assert reminded == "Đang gửi lời nhắc tới 1 người chưa trả lời."
    assert (await lan.press("Nhắc người chưa trả lời", message=card))[-1].text == (
        "Không có ai để nhắc lúc này: mọi người đều đã trả lời hoặc vừa được nhắc trong vòng một giờ."
    )
    await dispatch_all(h)
    nudge = binh.last
    assert nudge is not None and (nudge.text or "").startswith(
        "Ủy ban MTTQ xã Yên Nguyên nhắc: bạn có tham dự cuộc họp này không? Bạn chưa trả lời."
    )
    # Nam changes his mind and back: answers change until the start.
    invitation = next(m for m in nam.history() if m.document is not None)
    await nam.press("Vắng mặt", message=invitation)
    await nam.send("Ốm")
    await nam.press("Tham dự", message=invitation)

    # 24 hours before, after a restart: one reminder each, none for Mai who declined.
    await h.restart()
    h.clock.set(START - timedelta(hours=24))
    assert await h.plan_reminders() == 4
    assert await h.plan_reminders() == 0
    await h.restart()
    assert await h.plan_reminders() == 0
    assert await dispatch_all(h) == 4
    assert await dispatch_all(h) == 0
    reminder = nam.last
    assert reminder is not None and reminder.text == (
        f"Nhắc lịch họp: Giao ban quý IV/2026 bắt đầu vào {WHEN} (còn 24 giờ).\n"
        "Địa điểm: Hội trường UBND xã\n"
        "Đơn vị tổ chức: Ủy ban MTTQ xã Yên Nguyên.\n"
        "Trả lời của bạn: tham dự"
    )
    assert "Bạn chưa trả lời: bạn có tham dự không?" in text_of(binh.last)
    assert "Trả lời của bạn: cử người thay: Phó Bí thư Hoàng Văn Hải" in text_of(tuan.last)
    assert not any(t.startswith("Nhắc lịch họp") for t in texts(mai))

    # Binh declines after the planner ran: his 1-hour reminder is dropped at send time.
    h.clock.set(START - timedelta(hours=1))
    await h.plan_reminders()
    await binh.press("Vắng mặt")
    await binh.send("Trùng lịch tiếp dân")
    await h.restart()
    await h.plan_reminders()
    await dispatch_all(h)
    for user, count in ((nam, 2), (tuan, 2), (lan, 2), (binh, 1), (mai, 0)):
        assert sum(t.startswith("Nhắc lịch họp") for t in texts(user)) == count, user
    assert nam.last is not None and "(còn 1 giờ)" in (nam.last.text or "")

    # Once it has started, answers no longer change.
    h.clock.set(START + timedelta(minutes=5))
    await nam.press("Vắng mặt")
    assert nam.last_answer is not None and nam.last_answer["text"] == (
        "Cuộc họp đã bắt đầu; không thể thay đổi câu trả lời nữa."
    )


async def test_reschedule_keeps_the_calendar_entry_and_cancel_removes_it(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"))
    lan, nam = users[1002], users[1004]
    await schedule(h, lan)
    await dispatch_all(h)
    first = event_of(calendar_of(nam.last))
    await nam.press("Tham dự")

    await lan.send("/meetings")
    await lan.press(1)
    asked = (await lan.press("Đổi thời gian"))[-1].text or ""
    assert asked.startswith(f"Giao ban quý IV/2026 đang được hẹn vào {WHEN}. Hãy gõ ngày giờ mới,")
    assert text_of((await lan.send("hôm qua 8h"))[0]).startswith("“hôm qua 8h” đã qua.")
    assert (await lan.send("21/12 8h30"))[0].text == (
        "Cuộc họp đang ở đúng thời điểm này. Hãy gõ thời điểm khác."
    )
    moved = (await lan.send("21/12 14h"))[0].text
    assert moved == (
        "Đã đổi lịch: Giao ban quý IV/2026 nay bắt đầu vào Thứ Hai, 21/12/2026 14:00. "
        "Đang báo 2 người được mời, kèm tệp lịch đã cập nhật."
    )
    await dispatch_all(h)
    notice = nam.last
    assert notice is not None and (notice.text or "").startswith(
        f"Đổi lịch họp: thời gian mới.\nLịch cũ: {WHEN}.\nGiao ban quý IV/2026\n"
    )
    assert "Thời gian: Thứ Hai, 21/12/2026 14:00 (2 giờ)" in (notice.text or "")
    cal = calendar_of(notice)
    second = event_of(cal)
    assert cal["METHOD"] == "REQUEST"
    assert str(second["UID"]) == str(first["UID"])
    assert ics_sequence(second) == 1
    assert second.decoded("DTSTART").astimezone(UTC) == START + timedelta(hours=5, minutes=30)
    # Answers were about the old time: asked again.
    card = (await lan.send("/meetings"))[0].text or ""
    assert "đã trả lời 0/" in card

    # The time comes; Lan moves the meeting that already started, after confirming.
    h.clock.set(START + timedelta(hours=5, minutes=45))
    await lan.send("/meetings")
    await lan.press(1)
    await lan.press("Đổi thời gian")
    ask = (await lan.send("22/12 8h"))[0]
    assert ask.text == (
        "Cuộc họp này đã bắt đầu. Vẫn dời sang Thứ Ba, 22/12/2026 08:00? Mọi người được mời sẽ được báo."
    )
    # Typed: other words keep the question; "có" is "Yes, move it" (issue 16 §4).
    assert (await lan.send("để xem"))[0].text == YES_NO_ONLY
    assert text_of((await lan.send("có"))[0]).startswith("Đã đổi lịch: Giao ban quý IV/2026")
    await dispatch_all(h)
    third = event_of(calendar_of(nam.last))
    assert str(third["UID"]) == str(first["UID"]) and ics_sequence(third) == 2

    # Cancel: confirmed, everyone told, the calendar entry is withdrawn.
    await lan.send("/meetings")
    card_message = (await lan.press(1))[-1]
    asked = text_of((await lan.press("Hủy cuộc họp", message=card_message))[-1])
    assert asked == (
        "Hủy cuộc họp Giao ban quý IV/2026 (Thứ Ba, 22/12/2026 08:00)? Mọi người được mời sẽ được báo."
    )
    # A typed "có" cancels nothing (a tap only): it says to press the button.
    assert text_of((await lan.send("có"))[0]) == PRESS_THE_BUTTON
    assert (await lan.press("Không, giữ lại"))[-1].text == "Cuộc họp vẫn giữ nguyên."
    await lan.press("Hủy cuộc họp", message=card_message)
    assert (await lan.press("Có, hủy cuộc họp"))[-1].text == (
        "Đã hủy: Giao ban quý IV/2026. Đang báo 2 người được mời."
    )
    await dispatch_all(h)
    cancel = nam.last
    assert cancel is not None and cancel.text == (
        "Hủy cuộc họp\n"
        "Cuộc họp Giao ban quý IV/2026 (Thứ Ba, 22/12/2026 08:00) do Ủy ban MTTQ xã Yên Nguyên tổ chức sẽ không diễn ra.\n"
        "\n"
        "Mở tệp .ics đính kèm để xóa cuộc họp khỏi lịch điện thoại."
    )
    cal = calendar_of(cancel)
    gone = event_of(cal)
    assert cal["METHOD"] == "CANCEL" and str(gone["STATUS"]) == "CANCELLED"
    assert str(gone["UID"]) == str(first["UID"]) and ics_sequence(gone) == 3
    # Old buttons no longer work; the meeting has left the upcoming list.
    invitation = next(m for m in nam.history() if m.document is not None)
    await nam.press("Tham dự", message=invitation)
    assert nam.last_answer is not None and nam.last_answer["text"] == "Cuộc họp này đã bị hủy."
    assert (await nam.send("/meetings"))[0].text == "Bạn không có cuộc họp nào sắp tới."
    confirm = next(m for m in lan.history() if (m.text or "").startswith("Hủy cuộc họp Giao"))
    await lan.press("Có, hủy cuộc họp", message=confirm)
    assert lan.last_answer is not None and lan.last_answer["text"] == "Cuộc họp này đã bị hủy."


async def test_minutes_and_attendance_after_the_meeting(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"), (1007, "Bình"), (1008, "Thu"))
    lan, nam, binh, thu = users[1002], users[1004], users[1007], users[1008]
    meeting_id = await schedule(h, lan)
    await dispatch_all(h)
    await nam.press("Tham dự")
    await lan.send("/meetings")
    await lan.press(1)
    await lan.press_data(f"mtg:mn:{meeting_id}")
    assert lan.last_answer is not None and lan.last_answer["text"] == (
        "Chỉ ghi được kết luận khi cuộc họp đã bắt đầu."
    )

    h.clock.set(START + timedelta(hours=3))
    assert (await nam.send("/meetings"))[0].text == "Bạn không có cuộc họp nào sắp tới."
    past = (await lan.send("/meetings past"))[0].text or ""
    assert past.startswith(
        f"Các cuộc họp đã diễn ra\n1. {WHEN} — Giao ban quý IV/2026 · Ủy ban MTTQ xã Yên Nguyên — chưa có kết luận"
    )
    await lan.press(1)
    asked = (await lan.press("Ghi kết luận và điểm danh"))[-1].text
    assert asked == "Hãy gõ kết luận của cuộc họp Giao ban quý IV/2026 (tối đa 4.000 ký tự)."
    assert (await lan.send("x" * 4001))[0].text == (
        "Tối đa 4.000 ký tự; bạn gửi 4.001. Hãy rút gọn rồi gửi lại."
    )
    saved = (await lan.send("Thống nhất giao chỉ tiêu xây 5 nhà Đại đoàn kết trong quý I/2027."))[0]
    assert saved.text == (
        "Đã lưu kết luận.\nHãy gửi biên bản dưới dạng tệp hoặc ảnh, hoặc bấm Bỏ qua."
    )
    assert (await lan.send("biên bản đây"))[0].text == (
        "Hãy gửi biên bản dưới dạng tệp hoặc ảnh, hoặc bấm Bỏ qua."
    )
    await h.restart()
    picker = (await lan.send_document(b"%PDF-1.4 bien ban", "bien-ban.pdf"))[0]
    assert (picker.text or "").startswith("Đã lưu biên bản.\n\nAi đã có mặt?")
    assert (picker.text or "").endswith("Có mặt: 1/7.")
    labels = [row[0]["text"] for row in picker.inline_buttons]
    assert "✓ Nam" in labels and "Bình" in labels
    await lan.press("Bình")
    await lan.press("Lan")
    done = (await lan.press("Lưu điểm danh"))[-1].text
    assert done == (
        "Đã lưu kết luận và điểm danh của Giao ban quý IV/2026 (có mặt 3/7). "
        "Các đơn vị được mời xem bằng /meetings past."
    )

    # Invitees see the conclusions, who was there and the minutes.
    listing = (await binh.send("/meetings past"))[0].text or ""
    assert "Giao ban quý IV/2026 · Ủy ban MTTQ xã Yên Nguyên — đã có kết luận" in listing
    card = (await binh.press(1))[-1].text or ""
    assert "Kết luận: Thống nhất giao chỉ tiêu xây 5 nhà Đại đoàn kết trong quý I/2027." in card
    assert "Có mặt (3/7): Bình, Lan, Nam" in card
    minutes = (await binh.press("Biên bản"))[-1]
    assert minutes.document is not None and minutes.document["data"] == b"%PDF-1.4 bien ban"
    # Another commune's leader sees none of it.
    assert (await thu.send("/meetings past"))[0].text == "Chưa có cuộc họp nào đã diễn ra."
    await thu.press_data(f"mtg:doc:{meeting_id}")
    assert thu.last_answer is not None and thu.last_answer["text"] == NOT_INVITED


async def test_nobody_crosses_into_another_subtree(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1003, "Mai"), (1004, "Nam"), (1008, "Thu"))
    lan, mai, nam, thu = users[1002], users[1003], users[1004], users[1008]
    meeting_id = await schedule(h, lan)
    await dispatch_all(h)

    for data in (f"mtg:v:{meeting_id}", f"mtg:y:{meeting_id}", f"mtg:dl:{meeting_id}"):
        await thu.press_data(data)
        assert thu.last_answer is not None and thu.last_answer["text"] == NOT_INVITED, data
    assert (await thu.send("/meetings"))[0].text == (
        "Bạn không có cuộc họp nào sắp tới. Lên lịch họp bằng /meeting."
    )
    organiser_only = "Chỉ lãnh đạo đơn vị tổ chức mới được thay đổi cuộc họp này."
    for user, data in (
        (nam, f"mtg:cx:{meeting_id}"),
        (nam, f"mtg:cxy:{meeting_id}"),
        (mai, f"mtg:rs:{meeting_id}"),
        (mai, f"mtg:rm:{meeting_id}"),
        (thu, f"mtg:cxy:{meeting_id}"),
    ):
        await user.press_data(data)
        expected = NOT_INVITED if user is thu else organiser_only
        assert user.last_answer is not None and user.last_answer["text"] == expected, data
    for data in (
        "mtg:go",
        "mts:review:go",
        "mts:kind:k:0",
        "mtg:zz:1",
        "mtg:v:abc",
        "mtg:y:999999",
    ):
        await nam.press_data(data)
        assert nam.last_answer is not None and nam.last_answer["text"] in (
            STALE,
            "Cuộc họp này không còn nữa.",
        ), data
    # Mid-way through /meeting, a forged unit of another commune is refused.
    await lan.send("/meeting")
    await lan.press("Giao ban")
    await lan.send("Họp thử")
    await lan.send("mai 8h")
    await lan.press("1 giờ")
    await lan.send("Nhà văn hóa")
    await lan.press("Bỏ qua")
    await lan.press("Chọn đơn vị trực thuộc…")
    async with h.db.session() as session:
        kim_binh = await units_q.by_code(session, "02350")
    assert kim_binh is not None
    await lan.press_data(f"mts:pick:t:{kim_binh.id}")
    assert lan.last_answer is not None and lan.last_answer["text"] == STALE
    again = await lan.press_data("mts:review:go")
    assert lan.last_answer is not None and lan.last_answer["text"] == EARLIER_STEP
    assert text_of(again[-1]).startswith("Bấm chọn các đơn vị được mời")
    async with h.db.session() as session:
        assert len((await session.scalars(select(Meeting))).all()) == 1


async def test_answering_in_the_middle_of_scheduling_keeps_the_draft(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1006, "Tuấn"))
    lan, tuan = users[1002], users[1006]
    await schedule(h, lan)
    await dispatch_all(h)
    await tuan.send("/meeting")  # Tuấn leads the Youth Union of the commune
    await tuan.press("Cuộc họp khác")  # a Youth Union has no Front committee meeting
    await tuan.send("Họp chi đoàn")
    invitation = next(m for m in tuan.history() if m.document is not None)
    await tuan.press("Vắng mặt", message=invitation)
    back = await tuan.send("Trùng lịch họp chi đoàn")
    assert [m.text for m in back] == [
        "Đã ghi lý do. Bạn có thể đổi câu trả lời cho tới khi cuộc họp bắt đầu: /meetings",
        "Khi nào bắt đầu? Hãy gõ ngày và giờ, ví dụ 21/12 8h30, “mai 14h” hoặc “thứ 2 8h”.",
    ]
    assert text_of((await tuan.send("mai 14h"))[0]).startswith("Bắt đầu: Thứ Ba, 17/11/2026 14:00.")


async def test_a_long_agenda_goes_whole_with_the_notice_in_english_too(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    nam = h.user(1004, "Nam", language_code="en")
    for user in (lan, nam):
        await user.send("/start")
    await lan.send("/meeting")
    await lan.press("Tiếp xúc cử tri")
    await lan.send("Tiếp xúc cử tri <trước> kỳ họp & HĐND")
    await lan.send("thứ 2 tuần sau 14h")
    await lan.send("1h30")
    await lan.send("Nhà văn hóa thôn Cầu Bâm")
    agenda = "Ý kiến, kiến nghị của cử tri về đất đai & môi trường <khẩn>. " * 32
    await lan.send(agenda[:2000])
    await lan.press("Chỉ đơn vị này")
    await lan.press("Gửi giấy mời")
    async with h.db.session() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None and meeting.agenda == agenda[:2000].strip()
    # Only this unit: Nam (of a residential area below) is not invited.
    assert await dispatch_all(h) == 1
    assert not any(m.document for m in nam.history())

    await lan.send("/meetings")
    await lan.press(1)
    await lan.press("Đổi thời gian")
    await lan.send("21/12 8h30")
    await h.grant(1004, "02365", "cadre")  # Nam joins the commune's Front committee
    await lan.send("/meetings")
    await lan.press(1)
    await lan.press("Nhắc người chưa trả lời")
    await dispatch_all(h)
    nudge = nam.last
    assert nudge is not None and (nudge.text or "").startswith(
        "Ủy ban MTTQ xã Yên Nguyên asks: will you attend this meeting? You have not answered yet.\n\n"
        "Tiếp xúc cử tri <trước> kỳ họp & HĐND\n"
        "Meeting with voters · organised by Ủy ban MTTQ xã Yên Nguyên\n"
        "Time: Monday, 21/12/2026 08:30 (1 hour 30 minutes)\n"
    )
    assert [b["text"] for b in nudge.inline_buttons[0]] == ["Attend", "Absent", "Send a delegate"]
    h.clock.set(START - timedelta(hours=1))
    await h.plan_reminders()
    await dispatch_all(h)
    assert nam.last is not None and (nam.last.text or "").startswith(
        "Reminder: Tiếp xúc cử tri <trước> kỳ họp & HĐND starts Monday, 21/12/2026 08:30 (in 1 hour)."
    )
    # The invitation does not fit a caption (Telegram's 1.024 characters): the file carries what
    # fits, the rest of the agenda and the question follow it, with the answer buttons.
    history = lan.history()
    at = next(n for n, m in enumerate(history) if m.document is not None)
    invitation, rest = history[at], history[at + 1]
    caption = invitation.text or ""
    assert caption.startswith("Giấy mời họp\nTiếp xúc cử tri <trước> kỳ họp & HĐND\n")
    assert not invitation.inline_buttons
    shown = "".join((caption + (rest.text or "")).split())
    assert shown.count("Ýkiến,kiếnnghị") == agenda[:2000].count("Ý kiến, kiến nghị")
    assert (rest.text or "").endswith("Mở tệp .ics đính kèm để thêm cuộc họp vào lịch điện thoại.")
    assert [b["text"] for b in rest.inline_buttons[0]] == ["Tham dự", "Vắng mặt", "Cử người thay"]
    event = event_of(calendar_of(invitation))
    assert str(event["DESCRIPTION"]).startswith("Tiếp xúc cử tri\n\nÝ kiến, kiến nghị")
    assert agenda[:2000].strip() in str(event["DESCRIPTION"])


# --- /meeting on the flow kernel: /back, /skip, /cancel kept, the review's changes, old buttons,
# --- and another flow started in the middle of it.

KIND_QUESTION = "Cuộc họp mới của Ủy ban MTTQ xã Yên Nguyên. Loại cuộc họp nào?"
TITLE_QUESTION = "Tên cuộc họp? (tối đa 200 ký tự)"
PLACE_QUESTION = "Họp ở đâu? Hãy gõ địa điểm (tối đa 200 ký tự)."
AGENDA_QUESTION = "Nội dung cuộc họp? Hãy gõ (tối đa 2.000 ký tự), hoặc bấm Bỏ qua."
INVITE_QUESTION = "Mời những ai? Thành viên của Ủy ban MTTQ xã Yên Nguyên luôn được mời."
REVIEW_HEAD = "Kiểm tra lại trước khi gửi giấy mời"


async def up_to_the_place(lan: UserClient) -> None:
    await lan.send("/meeting")
    await lan.press("Giao ban")
    await lan.send("Giao ban quý IV/2026")
    await lan.send("21/12 8h30")
    await lan.press("2 giờ")


async def test_back_goes_one_step_back_and_keeps_the_answers(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    assert (await lan.send("/meeting"))[0].text == KIND_QUESTION
    assert (await lan.send("/back"))[0].text == "Không có bước nào để quay lại."
    await lan.press("Giao ban")
    assert text_of((await lan.send("/back"))[0]) == KIND_QUESTION
    await lan.press("Sơ kết")
    await lan.send("Sơ kết 6 tháng")
    await lan.send("21/12 8h30")
    assert text_of((await lan.send("/back"))[0]).startswith("Khi nào bắt đầu?")
    duration = text_of((await lan.send("22/12 14h"))[0])
    assert duration.startswith("Bắt đầu: Thứ Ba, 22/12/2026 14:00.")
    await lan.press("1 giờ")
    await lan.send("Hội trường UBND xã")
    await lan.send("Sơ kết công tác")
    await lan.press("Chỉ đơn vị này")
    # From the review card, /back is the question before it, and the one before: the answer
    # changed there goes straight back to the card.
    assert text_of((await lan.send("/back"))[0]) == INVITE_QUESTION
    assert text_of((await lan.send("/back"))[0]) == AGENDA_QUESTION
    review = text_of((await lan.send("Sơ kết công tác 6 tháng đầu năm"))[0])
    assert review.startswith(
        f"{REVIEW_HEAD}\n\nSơ kết 6 tháng\nSơ kết · Đơn vị tổ chức: Ủy ban MTTQ xã Yên Nguyên"
    )
    assert "Thời gian: Thứ Ba, 22/12/2026 14:00 (1 giờ)" in review
    assert "Nội dung: Sơ kết công tác 6 tháng đầu năm" in review
    done = text_of((await lan.press("Gửi giấy mời"))[-1])
    assert done.startswith("Đã lên lịch họp: Sơ kết 6 tháng, Thứ Ba, 22/12/2026 14:00.")


async def test_skip_passes_the_agenda_only(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await up_to_the_place(lan)
    assert (await lan.send("/skip"))[0].text == "Câu hỏi này không bỏ qua được."
    assert (await lan.send("Nhà văn hóa thôn"))[0].text == AGENDA_QUESTION
    assert (await lan.send("/skip"))[0].text == INVITE_QUESTION
    review = text_of((await lan.press("Chỉ đơn vị này"))[-1])
    assert "Địa điểm: Nhà văn hóa thôn" in review and "Nội dung:" not in review
    await lan.press("Gửi giấy mời")
    async with h.db.session() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None and meeting.agenda == ""


async def test_cancel_keeps_the_draft_and_meeting_offers_it_again(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await up_to_the_place(lan)
    cancelled = text_of((await lan.send("/cancel"))[0])
    assert cancelled == "Đã hủy. Các câu trả lời vẫn được giữ: gõ /meeting để làm tiếp."
    assert text_of((await lan.send("Hội trường"))[0]).startswith("Tôi chưa hiểu ý bạn.")
    offer = (await lan.send("/meeting"))[0]
    assert text_of(offer).startswith("Bạn còn phần trả lời dở dang.")
    assert [b["text"] for b in offer.inline_buttons[0]] == ["Tiếp tục", "Làm lại từ đầu"]
    shown = await lan.press("Tiếp tục")
    assert [m.text for m in shown] == ["Quay lại việc lên lịch họp.", PLACE_QUESTION]
    await lan.send("Hội trường UBND xã")
    await lan.press("Bỏ qua")
    review = text_of((await lan.press("Chỉ đơn vị này"))[-1])
    assert "Giao ban quý IV/2026" in review and "Thứ Hai, 21/12/2026 08:30 (2 giờ)" in review

    # Start over: the kept draft is dropped and the questions begin again.
    await lan.send("/cancel")
    await lan.send("/meeting")
    again = await lan.press("Làm lại từ đầu")
    assert [m.text for m in again] == ["Bắt đầu lại từ đầu.", KIND_QUESTION]
    await lan.send("/cancel")
    await lan.send("/meeting")
    assert (await lan.press("Tiếp tục"))[-1].text == KIND_QUESTION


async def test_a_change_from_the_review_card_comes_back_to_it(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"))
    lan = users[1002]
    await up_to_the_place(lan)
    await lan.send("Hội trường UBND xã")
    await lan.send("Đánh giá kết quả quý IV")
    await lan.press("Chỉ đơn vị này")
    menu = (await lan.press("Sửa"))[-1]
    assert text_of(menu).startswith(REVIEW_HEAD)
    assert text_of(menu).endswith("Bạn muốn sửa mục nào?")
    assert [row[0]["text"] for row in menu.inline_buttons] == [
        "Loại cuộc họp",
        "Tên cuộc họp",
        "Thời gian",
        "Thời lượng",
        "Địa điểm",
        "Nội dung",
        "Đơn vị được mời",
        "‹ Quay lại",
    ]
    # "Back" leaves the card as it was.
    card = (await lan.press("‹ Quay lại"))[-1]
    assert [row[0]["text"] for row in card.inline_buttons] == ["Gửi giấy mời", "Sửa"]
    # The time: its question, then straight back to the card (not on to the duration).
    await lan.press("Sửa")
    assert text_of((await lan.press("Thời gian"))[-1]).startswith("Khi nào bắt đầu?")
    review = text_of((await lan.send("22/12 14h"))[0])
    assert review.startswith(REVIEW_HEAD)
    assert "Thời gian: Thứ Ba, 22/12/2026 14:00 (2 giờ)" in review
    # The agenda, skipped with /skip: back to the card, without an agenda.
    await lan.press("Sửa")
    assert (await lan.press("Nội dung"))[-1].text == AGENDA_QUESTION
    review = text_of((await lan.send("/skip"))[0])
    assert review.startswith(REVIEW_HEAD) and "Nội dung:" not in review
    # Who is invited: all direct sub-units after all, through the picker.
    await lan.press("Sửa")
    await lan.press("Đơn vị được mời")
    await lan.press("Chọn đơn vị trực thuộc…")
    await lan.press("Ban Công tác Mặt trận thôn Cầu Bâm")
    review = text_of((await lan.press("Xong"))[-1])
    assert "Thành phần mời: Ủy ban MTTQ xã Yên Nguyên, Ban Công tác Mặt trận thôn Cầu Bâm" in review
    await lan.press("Gửi giấy mời")
    async with h.db.session() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None and meeting.agenda == ""
    assert meeting.starts_at.astimezone(UTC) == datetime(2026, 12, 22, 7, 0, tzinfo=UTC)


async def test_time_passing_on_the_review_card_asks_the_time_again(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await up_to_the_place(lan)
    await lan.send("Hội trường UBND xã")
    await lan.press("Bỏ qua")
    await lan.press("Chỉ đơn vị này")
    h.clock.set(START + timedelta(minutes=1))
    asked = text_of((await lan.press("Gửi giấy mời"))[-1])
    assert asked.startswith(
        "Thời điểm đó đã qua. Hãy gõ một thời điểm trong tương lai.\n\nKhi nào bắt đầu?"
    )
    review = text_of((await lan.send("28/12 8h30"))[0])
    assert review.startswith(REVIEW_HEAD) and "Thứ Hai, 28/12/2026 08:30 (2 giờ)" in review
    assert (await lan.press("Gửi giấy mời"))[-1].text is not None
    async with h.db.session() as session:
        assert len((await session.scalars(select(Meeting))).all()) == 1


async def test_an_old_button_gets_an_alert_and_the_current_step(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/meeting")
    await lan.press("Giao ban")
    await lan.send("Giao ban quý IV/2026")
    [durations] = await lan.send("21/12 8h30")
    await lan.send("2 tiếng")
    # The duration's buttons are still on screen while the place is asked.
    again = await lan.press("Cả ngày", message=durations)
    assert lan.last_answer is not None and lan.last_answer["text"] == EARLIER_STEP
    assert lan.last_answer.get("show_alert") is True
    assert again[-1].text == PLACE_QUESTION
    # A forged step, a forged action: an alert, nothing changes.
    await lan.press_data("mts:nowhere:x")
    assert lan.last_answer is not None and lan.last_answer["text"] == EARLIER_STEP
    await lan.send("/cancel")
    # A parked draft's buttons no longer act, until /meeting offers it again.
    await lan.press("Cả ngày", message=durations)
    assert lan.last_answer is not None and lan.last_answer["text"] == STALE
    await lan.send("/meeting")
    await lan.press("Tiếp tục")
    assert (await lan.send("Hội trường UBND xã"))[0].text == AGENDA_QUESTION
    async with h.db.session() as session:
        assert (await session.scalars(select(Meeting))).all() == []


async def test_log_in_the_middle_of_meeting_offers_it_back(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await up_to_the_place(lan)
    await lan.send("/log")  # suspends the meeting
    cancelled = await lan.send("/cancel")
    assert cancelled[-1].text == "Bạn đang làm dở việc lên lịch họp. Quay lại không?"
    back = await lan.press("Quay lại")
    assert [m.text for m in back][-2:] == ["Quay lại việc lên lịch họp.", PLACE_QUESTION]
    await lan.send("Hội trường UBND xã")
    await lan.press("Bỏ qua")
    review = text_of((await lan.press("Chỉ đơn vị này"))[-1])
    assert "Giao ban quý IV/2026" in review
    done = text_of((await lan.press("Gửi giấy mời"))[-1])
    assert done.startswith("Đã lên lịch họp: Giao ban quý IV/2026")


async def test_a_leader_of_several_units_chooses_the_organiser(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await h.grant(1002, "02350", "admin")  # Lan also leads Kim Bình
    first = (await lan.send("/meeting"))[0]
    assert first.text == "Đơn vị nào tổ chức cuộc họp?"
    labels = [row[0]["text"] for row in first.inline_buttons]
    assert "Ủy ban MTTQ xã Yên Nguyên" in labels and len(labels) == 2
    async with h.db.session() as session:
        other = await units_q.by_code(session, "02215")
    assert other is not None
    await lan.press_data(f"mts:unit:o:{other.id}")  # a unit she does not lead
    assert lan.last_answer is not None and lan.last_answer["text"] == STALE
    assert (await lan.press("Ủy ban MTTQ xã Yên Nguyên"))[-1].text == KIND_QUESTION
    assert (await lan.send("/back"))[0].text == "Đơn vị nào tổ chức cuộc họp?"
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Giao ban")
    assert (await lan.send("Giao ban"))[
        0
    ].text == "Khi nào bắt đầu? Hãy gõ ngày và giờ, ví dụ 21/12 8h30, “mai 14h” hoặc “thứ 2 8h”."


async def test_a_day_just_gone_is_refused_with_a_suggestion_not_moved_to_next_year(
    h: Harness,
) -> None:
    """ "01/12 8h" typed on 02/12 was silently read as 01/12/2027 (issue 16 §4): /meeting and the
    reschedule prompt refuse it as past and suggest next year's, typed with its year."""
    lan = (await started(h, (1002, "Lan")))[1002]
    h.clock.set(datetime(2026, 12, 2, 3, 0, tzinfo=UTC))  # Wednesday 02/12/2026 10:00
    await lan.send("/meeting")
    await lan.press("Giao ban")
    await lan.send("Giao ban tháng 12")
    refused = (await lan.send("01/12 8h"))[0].text
    assert refused == (
        "“01/12 8h” đã qua. Bạn muốn họp ngày 01/12/2027? Nếu đúng, hãy gõ “01/12/2027 08:00”; "
        "nếu không, hãy gõ một thời điểm sắp tới, ví dụ 21/12 8h30, “mai 14h” hoặc “thứ 2 8h”."
    )
    assert text_of((await lan.send("01/12/2027 08:00"))[0]).startswith(
        "Bắt đầu: Thứ Tư, 01/12/2027 08:00."
    )
    await lan.send("/back")
    assert text_of((await lan.send("21/12 8h30"))[0]).startswith(
        "Bắt đầu: Thứ Hai, 21/12/2026 08:30."
    )
    await lan.press("2 giờ")
    await lan.send("Hội trường UBND xã")
    await lan.send("/skip")
    await lan.press("Chỉ đơn vị này")
    await lan.press("Gửi giấy mời")
    await lan.send("/meetings")
    await lan.press(1)
    await lan.press("Đổi thời gian")
    assert text_of((await lan.send("30/11 14h"))[0]).startswith(
        "“30/11 14h” đã qua. Bạn muốn họp ngày 30/11/2027? Nếu đúng, hãy gõ “30/11/2027 14:00”;"
    )
    moved = text_of((await lan.send("22/12 14h"))[0])
    assert moved.startswith(
        "Đã đổi lịch: Giao ban tháng 12 nay bắt đầu vào Thứ Ba, 22/12/2026 14:00."
    )
