"""The meetings' one-shot prompts on the flow kernel, as their users meet them: the reason of an
absence (/cancel keeps the answer, the same button asks again; a detour back to what Mai was
doing), the new time of a meeting (a stale "Yes, move it", /log in the middle and offered back),
and the minutes (a file, /back, /skip, /cancel and the card's button continuing, a restart)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.emulator import BotMessage, UserClient
from tests.handlers.test_meetings import START, WHEN, dispatch_all, schedule, started
from tests.harness import Harness, text_of

REASON = f"Đã ghi: bạn vắng mặt tại Giao ban quý IV/2026 ({WHEN}). Xin gõ lý do vắng mặt."
REASON_NOTED = "Đã ghi lý do. Bạn có thể đổi câu trả lời cho tới khi cuộc họp bắt đầu: /meetings"
ASK_TIME = f"Giao ban quý IV/2026 đang được hẹn vào {WHEN}. Hãy gõ ngày giờ mới,"
CONFIRM = (
    "Cuộc họp này đã bắt đầu. Vẫn dời sang Thứ Ba, 22/12/2026 08:00? "
    "Mọi người được mời sẽ được báo."
)
EARLIER_STEP = "Nút này thuộc một bước trước. Bước hiện tại ở ngay dưới đây."
STALE = "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /meetings."
CONCLUSIONS = "Hãy gõ kết luận của cuộc họp Giao ban quý IV/2026 (tối đa 4.000 ký tự)."
FILE = "Đã lưu kết luận.\nHãy gửi biên bản dưới dạng tệp hoặc ảnh, hoặc bấm Bỏ qua."
WHO = "Ai đã có mặt?"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def invitation_of(user: UserClient) -> BotMessage:
    return next(m for m in user.history() if m.document is not None)


def labels(message: BotMessage) -> list[str]:
    return [button["text"] for row in message.inline_buttons for button in row]


async def test_the_reason_prompt_cancelled_and_asked_again_by_its_button(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1003, "Mai"))
    lan, mai = users[1002], users[1003]
    await schedule(h, lan)
    await dispatch_all(h)
    invitation = invitation_of(mai)
    assert (await mai.press("Vắng mặt", message=invitation))[-1].text == REASON
    assert (await mai.send("/cancel"))[0].text == (
        "Đã hủy. Câu trả lời của bạn vẫn được ghi nhận; "
        "bấm lại nút đó trên giấy mời để bổ sung thông tin."
    )
    # The answer stays; typed text is no longer read as the reason.
    assert text_of((await mai.send("Ốm"))[0]).startswith("Tôi chưa hiểu")
    card = text_of((await lan.send("/meetings"))[0])
    assert "đã trả lời 1/" in card
    # The same button asks again.
    assert (await mai.press("Vắng mặt", message=invitation))[-1].text == REASON
    assert (await mai.send("Ốm"))[0].text == REASON_NOTED
    await lan.press(1)
    assert "Vắng mặt (1): Mai (Ốm)" in text_of(lan.last)
    # "Attend" pressed while asked why: the question is dropped, nothing else asked.
    await mai.press("Vắng mặt", message=invitation)
    await mai.press("Tham dự", message=invitation)
    assert text_of((await mai.send("Ốm"))[0]).startswith("Tôi chưa hiểu")


async def test_the_reason_prompt_is_a_detour_back_to_what_was_being_done(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"))
    lan, nam = users[1002], users[1004]
    await schedule(h, lan)
    await dispatch_all(h)
    logging = (await nam.send("/log"))[-1]
    assert labels(logging)
    assert (await nam.press("Vắng mặt", message=invitation_of(nam)))[-1].text == REASON
    back = await nam.send("Dự tập huấn")
    assert back[0].text == REASON_NOTED
    # Straight back to the entry's step: not offered, shown.
    assert back[-1].text == logging.text and labels(back[-1]) == labels(logging)
    assert not any("Quay lại không?" in (m.text or "") for m in back)
    # Asked again, and "Attend" pressed instead: the question is dropped, the entry is back.
    await nam.press("Vắng mặt", message=invitation_of(nam))
    attending = await nam.press("Tham dự", message=invitation_of(nam))
    assert text_of(attending[0]).startswith("Đã ghi: bạn tham dự Giao ban quý IV/2026")
    assert attending[-1].text == logging.text and labels(attending[-1]) == labels(logging)


async def reschedule_started(h: Harness, lan: UserClient) -> list[BotMessage]:
    """Lan asks to move the meeting after it started: the prompt's second step."""
    h.clock.set(START + timedelta(minutes=45))
    await lan.send("/meetings")
    await lan.press(1)
    assert text_of((await lan.press("Đổi thời gian"))[-1]).startswith(ASK_TIME)
    return await lan.send("22/12 8h")


async def test_an_old_confirmation_button_gets_an_alert(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"))
    lan = users[1002]
    await schedule(h, lan)
    await dispatch_all(h)
    confirm = (await reschedule_started(h, lan))[0]
    assert confirm.text == CONFIRM
    # /back: the time is asked again; the confirmation's buttons belong to a later step now.
    assert text_of((await lan.send("/back"))[0]).startswith(ASK_TIME)
    shown = await lan.press("Có, dời lịch", message=confirm)
    assert lan.last_answer is not None and lan.last_answer["text"] == EARLIER_STEP
    assert text_of(shown[-1]).startswith(ASK_TIME)
    assert (await lan.send("22/12 8h"))[0].text == CONFIRM
    done = (await lan.press("Có, dời lịch"))[-1].text
    assert done is not None and done.startswith("Đã đổi lịch: Giao ban quý IV/2026 nay bắt đầu")
    # Once done, the old buttons act no more.
    await lan.press("Không, giữ lại", message=confirm)
    assert lan.last_answer is not None and lan.last_answer["text"] == STALE
    # A leader of another commune cannot press them either.
    thu = h.user(1008, "Thu")
    await thu.send("/start")
    await thu.press_data("mtime:confirm:y")
    assert thu.last_answer is not None and thu.last_answer["text"] == STALE


async def test_log_in_the_middle_of_the_new_time_then_offered_back(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"))
    lan = users[1002]
    await schedule(h, lan)
    await dispatch_all(h)
    await lan.send("/meetings")
    await lan.press(1)
    await lan.press("Đổi thời gian")
    await lan.send("/log")  # suspends the prompt
    cancelled = await lan.send("/cancel")
    assert cancelled[-1].text == "Bạn đang làm dở giờ họp mới. Quay lại không?"
    back = await lan.press("Quay lại")
    assert any(m.text == "Quay lại giờ họp mới." for m in back)
    assert text_of(back[-1]).startswith(ASK_TIME)
    moved = (await lan.send("21/12 14h"))[0].text
    assert moved is not None and moved.startswith("Đã đổi lịch: Giao ban quý IV/2026")
    # A restart in the middle of the prompt keeps it.
    await lan.send("/meetings")
    await lan.press(1)
    await lan.press("Đổi thời gian")
    await h.restart()
    assert (await lan.send("21/12 14h"))[0].text == (
        "Cuộc họp đang ở đúng thời điểm này. Hãy gõ thời điểm khác."
    )
    assert (await lan.send("/cancel"))[0].text == (
        "Đã hủy. Cuộc họp vẫn giữ thời gian cũ; "
        "bấm “Đổi thời gian” trên thẻ cuộc họp (/meetings) để nhập lại."
    )


async def test_minutes_file_back_skip_cancel_and_attendance(h: Harness) -> None:
    users = await started(h, (1002, "Lan"), (1004, "Nam"), (1007, "Bình"))
    lan, nam, binh = users[1002], users[1004], users[1007]
    await schedule(h, lan)
    await dispatch_all(h)
    await nam.press("Tham dự")
    h.clock.set(START + timedelta(hours=3))
    await lan.send("/meetings past")
    card = (await lan.press(1))[-1]
    assert (await lan.press("Ghi kết luận và điểm danh", message=card))[-1].text == CONCLUSIONS
    assert (await lan.send("/skip"))[0].text == "Câu hỏi này không bỏ qua được."
    assert (await lan.send_photo())[0].text == "Bước này cần gõ chữ, không phải tệp hay hình."
    assert (await lan.send("Thống nhất kế hoạch quý I/2027."))[0].text == FILE
    picker = (await lan.send_photo())[0]
    assert text_of(picker).startswith(f"Đã lưu biên bản.\n\n{WHO}")
    assert "✓ Nam" in labels(picker)
    # /back: the file step again; /skip keeps the file sent and asks who was there.
    assert (await lan.send("/back"))[0].text == FILE
    skipped = (await lan.send("/skip"))[0]
    assert text_of(skipped).startswith(WHO) and text_of(skipped).endswith("Có mặt: 1/7.")
    # The old picker's buttons belong to the same step: they still work, on the new state.
    assert text_of((await lan.press("Bình", message=skipped))[-1]).endswith("Có mặt: 2/7.")
    # The file step's Skip button is from an earlier step now.
    file_step = next(m for m in lan.history() if m.text == FILE)
    await lan.press("Bỏ qua", message=file_step)
    assert lan.last_answer is not None and lan.last_answer["text"] == (
        "Nút này thuộc một bước trước. Bước hiện tại ở ngay dưới đây."
    )
    # /cancel keeps it; the card's button continues at the attendance, Bình still ticked.
    assert (await lan.send("/cancel"))[0].text == (
        "Đã hủy. Những gì đã lưu vẫn được giữ; "
        "bấm lại nút đó trên thẻ cuộc họp (/meetings past) để làm tiếp từ chỗ đã dừng."
    )
    await h.restart()
    again = (await lan.press("Ghi kết luận và điểm danh", message=card))[-1]
    assert text_of(again).endswith("Có mặt: 2/7.") and "✓ Bình" in labels(again)
    # Back to the conclusions, which now says it replaces the ones recorded.
    await lan.send("/back")
    assert (await lan.send("/back"))[0].text == (
        CONCLUSIONS + "\nKết luận mới sẽ thay kết luận đã ghi trước đó."
    )
    await lan.send("Thống nhất kế hoạch quý I/2027, giao chỉ tiêu cho từng thôn.")
    await lan.press("Bỏ qua")
    done = (await lan.press("Lưu điểm danh"))[-1].text
    assert done == (
        "Đã lưu kết luận và điểm danh của Giao ban quý IV/2026 (có mặt 2/7). "
        "Các đơn vị được mời xem bằng /meetings past."
    )
    past = text_of((await binh.send("/meetings past"))[0])
    assert "đã có kết luận" in past
    shown = text_of((await binh.press(1))[-1])
    assert "Kết luận: Thống nhất kế hoạch quý I/2027, giao chỉ tiêu cho từng thôn." in shown
    assert "Có mặt (2/7): Bình, Nam" in shown
    # The minutes sent before the skip are kept.
    minutes = (await binh.press("Biên bản"))[-1]
    assert minutes.photo is not None


async def test_absent_pressed_in_a_group_is_recorded_and_the_reason_left_for_private(
    h: Harness,
) -> None:
    """Nobody's typed text is read in a group, so "Vắng mặt" pressed on the invitation posted in
    a linked group records the answer and says where to add the reason, instead of asking for it
    where it could never be answered."""
    users = await started(h, (1002, "Lan"), (1003, "Mai"))
    lan, mai = users[1002], users[1003]
    group = h.emu.group(-100900, "MTTQ xã Yên Nguyên")
    await group.add_bot(lan)
    h.emu.set_member_status(group.id, lan.id, "administrator")
    h.emu.set_member_status(group.id, mai.id, "member")
    assert text_of((await lan.send("/link", chat=group))[0]).startswith("Nhóm này đã được liên kết")
    await schedule(h, lan)
    await dispatch_all(h)
    posted = next(m for m in h.emu.messages(group.id) if "Vắng mặt" in labels(m))
    before = len(h.emu.messages(group.id))
    await mai.press("Vắng mặt", message=posted, chat=group)
    assert mai.last_answer is not None and mai.last_answer.get("show_alert") is True
    assert mai.last_answer["text"] == (
        "Đã ghi: vắng mặt. Để bổ sung lý do, hãy nhắn /meetings cho tôi trong trò chuyện riêng."
    )
    assert len(h.emu.messages(group.id)) == before  # nothing asked in the group
    assert "đã trả lời 1/" in text_of((await lan.send("/meetings"))[0])
    # In private, the invitation's button asks for the reason as usual.
    assert (await mai.press("Vắng mặt", message=invitation_of(mai)))[-1].text == REASON
