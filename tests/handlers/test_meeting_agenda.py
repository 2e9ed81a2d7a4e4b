"""A giao ban with the People's Committee takes the open and overdue recommendations as its agenda
(issue 17), through the Bot API emulator: the commune Front's leader (Lan, 1002) schedules it with
/meeting and says yes to "Đưa các kiến nghị đang mở/quá hạn vào chương trình họp?"; the invitation
(and its .ics), the meeting's card and its reminder list the items, overdue first, never a
citizen's name; each item's history says it was put on the agenda. The officer of the commune's
People's Committee (Quang, 1013) is invited and sees the list like everyone. Beside it: "no",
/skip, a kind without the question, a list too long for one message, and the buttons refused to
a cadre and to another commune's leader.

Items are stored directly (tests/petition_items.py): the meeting is what is tested here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from bot.emulator import BotMessage, UserClient
from handlers.text_limits import CAPTION_LIMIT, TEXT_LIMIT, visible_length
from storage.models import MeetingPetition, PetitionEvent
from tests.handlers.test_meetings import dispatch_all
from tests.harness import YES_NO_ONLY, Harness, text_of
from tests.petition_items import make_item

CITIZEN = ("Trần Văn Bảy", "0912345678")
START = datetime(2026, 12, 21, 1, 30, tzinfo=UTC)  # 21/12/2026 08:30 in Hà Nội

WORDS = {
    "vi": {
        "kind": "Giao ban",
        "hours": "2 giờ",
        "yes": "Có, đưa vào chương trình",
        "no": "Không",
        "all": "Tất cả đơn vị trực thuộc (9)",
        "only": "Chỉ đơn vị này",
        "send": "Gửi giấy mời",
        "asked": (
            "2 kiến nghị trên địa bàn Ủy ban MTTQ xã Yên Nguyên đang chờ UBND trả lời (1 quá hạn).\n"
            "\n"
            "Đưa các kiến nghị đang mở/quá hạn vào chương trình họp?"
        ),
        "head": "Kiến nghị đưa vào chương trình họp: 2, trong đó 1 quá hạn",
        "first": (
            "• KN-2026-0001 · Đất đai · “Đề nghị cấp giấy chứng nhận quyền sử dụng đất cho 5 hộ"
            " thôn Cầu Bâm” · UBND xã Yên Nguyên · hạn 09/11/2026 · quá hạn 7 ngày"
        ),
        "second": "• KN-2026-0002 · Môi trường · “Rác thải ở suối” · UBND xã Yên Nguyên · hạn 10/12/2026",
        "done": "2 kiến nghị được đưa vào chương trình họp.",
        "history": "Nguyễn Thị Lan đưa vào chương trình họp giao ban ngày 21/12/2026",
        "more": "và {n} kiến nghị khác",
        "reminder": "Nhắc lịch họp",
        "later": "Kiến nghị đưa vào chương trình họp: 2, trong đó 2 quá hạn",
    },
    "en": {
        "kind": "Briefing (giao ban)",
        "hours": "2 hours",
        "yes": "Yes, put them on the agenda",
        "no": "No",
        "all": "All direct sub-units (9)",
        "only": "Only this unit",
        "send": "Send the invitations",
        "asked": (
            "2 recommendations in the area of Ủy ban MTTQ xã Yên Nguyên are waiting for a"
            " People's Committee's answer (1 overdue).\n"
            "\n"
            "Put the open and overdue recommendations on the meeting's agenda?"
        ),
        "head": "Recommendations on the agenda: 2, 1 of them overdue",
        "first": (
            "• KN-2026-0001 · Land · “Đề nghị cấp giấy chứng nhận quyền sử dụng đất cho 5 hộ"
            " thôn Cầu Bâm” · UBND xã Yên Nguyên · due 09/11/2026 · overdue by 7 days"
        ),
        "second": "• KN-2026-0002 · Environment · “Rác thải ở suối” · UBND xã Yên Nguyên · due 10/12/2026",
        "done": "2 recommendations are on its agenda.",
        "history": "put on the agenda of the briefing (giao ban) meeting of 21/12/2026 by Nguyễn Thị Lan",
        "more": "and {n} more recommendations",
        "reminder": "Reminder:",
        "later": "Recommendations on the agenda: 2, 2 of them overdue",
    },
}


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def items(h: Harness) -> None:
    """Two items waiting for Yên Nguyên's People's Committee (one overdue since 09/11), and three
    that are not the committee's business now or not this commune's."""
    async with h.db.session() as session:
        await make_item(
            session,
            status="forwarded",
            received_on=date(2026, 10, 5),
            authority="02365-ubnd",
            forwarded_on=date(2026, 10, 10),
            category="dat_dai",
            text="Đề nghị cấp giấy chứng nhận quyền sử dụng đất cho 5 hộ thôn Cầu Bâm",
            citizen=CITIZEN,
        )
        await make_item(
            session,
            status="acknowledged",
            received_on=date(2026, 11, 9),
            authority="02365-ubnd",
            forwarded_on=date(2026, 11, 10),
            category="moi_truong",
            text="Rác thải ở suối",
        )
        await make_item(session, status="recorded", received_on=date(2026, 11, 12), text="Mới ghi")
        await make_item(
            session,
            status="answered",
            received_on=date(2026, 10, 1),
            authority="02365-ubnd",
            forwarded_on=date(2026, 10, 2),
            answered_on=date(2026, 10, 20),
            text="Đã trả lời",
        )
        await make_item(
            session,
            status="forwarded",
            place="02350-t1",
            front="02350",
            authority="02350-ubnd",
            received_on=date(2026, 10, 1),
            forwarded_on=date(2026, 10, 2),
            recorder=1009,
            forwarder=None,
            text="Ở Kim Bình",
        )


async def to_items_step(lan: UserClient, w: dict[str, str], kind: str | None = None) -> BotMessage:
    await lan.send("/meeting")
    await lan.press(kind or w["kind"])
    await lan.send("Giao ban quý IV/2026 với UBND xã")
    await lan.send("21/12 8h30")
    await lan.press(w["hours"])
    await lan.send("Hội trường UBND xã")
    return (await lan.send("Đánh giá kết quả quý IV"))[-1]


def ics_description(message: BotMessage) -> str:
    assert message.document is not None
    cal = icalendar.Calendar.from_ical(message.document["data"])
    event = next(c for c in cal.walk() if c.name == "VEVENT")
    return str(event["DESCRIPTION"])


def latest(user: UserClient, words: str) -> BotMessage:
    return next(m for m in reversed(user.history()) if words in text_of(m))


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_a_giao_ban_takes_the_open_items_as_its_agenda(h: Harness, lang: str) -> None:
    w = WORDS[lang]
    await items(h)
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị", language_code=lang)
    quang = h.user(1013, "Quang", last_name="Ma Văn", language_code=lang)
    for user in (lan, quang):
        await user.send("/start")

    asked = await to_items_step(lan, w)
    assert text_of(asked).startswith(w["asked"])
    assert CITIZEN[0] not in text_of(asked)
    # Other words are not an answer here: the question stays, nothing is lost; "có" typed is Yes.
    if lang == "vi":
        assert text_of((await lan.send("chắc vậy"))[-1]) == YES_NO_ONLY
        await lan.send("có")
    else:
        await lan.press(w["yes"], message=asked)
    review = text_of((await lan.press(w["all"]))[-1])
    assert w["head"] in review and w["first"] in review and w["second"] in review
    done = text_of((await lan.press(w["send"]))[-1])
    assert w["done"] in done

    await dispatch_all(h)
    # Quang, an officer of the People's Committee, is invited and reads the same list.
    invitation = latest(quang, w["head"])
    text = text_of(invitation)
    lines = text.splitlines()
    assert lines.index(w["first"]) + 1 == lines.index(w["second"])  # overdue first
    for absent in (*CITIZEN, "Mới ghi", "Đã trả lời", "Ở Kim Bình"):
        assert absent not in text
    description = ics_description(next(m for m in quang.history() if m.document is not None))
    assert "KN-2026-0001" in description and "KN-2026-0002" in description
    assert CITIZEN[0] not in description and "<b>" not in description

    # The meeting's card shows the same list; so does the reminder the day before.
    listing = (await lan.send("/meetings"))[-1]
    card = text_of((await lan.press(listing.inline_buttons[0][0]["text"], message=listing))[-1])
    assert w["head"] in card and w["first"] in card and w["second"] in card
    h.clock.set(START - timedelta(hours=24))
    assert await h.plan_reminders() >= 1
    await dispatch_all(h)
    # By then both are overdue: the lines are read when shown, the items were fixed when scheduled.
    reminder = text_of(latest(quang, w["reminder"]))
    assert w["later"] in reminder and "KN-2026-0002" in reminder and CITIZEN[0] not in reminder

    # Each item's history says so; the items are stored with the meeting.
    history = text_of((await lan.send("/petition KN-2026-0001"))[-1])
    assert w["history"] in history
    async with h.db.session() as session:
        attached = (await session.scalars(select(MeetingPetition.petition_id))).all()
        events = await session.scalar(
            select(func.count()).where(PetitionEvent.action == "on_agenda")
        )
    assert len(attached) == 2 and events == 2


async def test_no_skip_and_kinds_without_the_question(h: Harness) -> None:
    w = WORDS["vi"]
    await items(h)
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    await lan.send("/start")

    # "No": the meeting has no list, the items' history is untouched.
    await to_items_step(lan, w)
    await lan.press(w["no"])
    review = text_of((await lan.press(w["only"]))[-1])
    assert "Kiến nghị đưa vào chương trình họp: không" in review
    # Changed on the review card: the question again, and this time yes.
    await lan.press("Sửa")
    await lan.press("Kiến nghị trong chương trình họp")
    review = text_of((await lan.press(w["yes"]))[-1])
    assert w["head"] in review
    await lan.press("Sửa")
    await lan.press("Kiến nghị trong chương trình họp")
    await lan.press(w["no"])
    assert "chương trình họp" not in text_of((await lan.press(w["send"]))[-1])

    # /skip is "no" too.
    await to_items_step(lan, w)
    await lan.send("/skip")
    await lan.press(w["only"])
    await lan.press(w["send"])

    # A consultative conference (hiệp thương) is not asked: from the agenda straight to who is
    # invited.
    invite = await to_items_step(lan, w, kind="Hiệp thương")
    assert text_of(invite).startswith("Mời những ai?")
    await lan.press(w["only"])
    await lan.press(w["send"])
    async with h.db.session() as session:
        assert not (await session.scalars(select(MeetingPetition))).all()
        assert not (
            await session.scalars(select(PetitionEvent).where(PetitionEvent.action == "on_agenda"))
        ).all()


async def test_without_open_items_nothing_is_asked(h: Harness) -> None:
    w = WORDS["vi"]
    lan = h.user(1002, "Lan")
    await lan.send("/start")
    invite = await to_items_step(lan, w)
    assert text_of(invite).startswith("Mời những ai?")


async def test_a_long_list_is_cut_and_fits_telegram(h: Harness) -> None:
    w = WORDS["vi"]
    async with h.db.session() as session:
        for n in range(40):
            await make_item(
                session,
                status="forwarded",
                received_on=date(2026, 10, 1),
                authority="02365-ubnd",
                forwarded_on=date(2026, 10, 1) + timedelta(days=n),
                text=f"Kiến nghị số {n + 1}: " + "sửa đường, nạo vét kênh mương nội đồng " * 4,
            )
    lan = h.user(1002, "Lan")
    quang = h.user(1013, "Quang")
    for user in (lan, quang):
        await user.send("/start")
    await to_items_step(lan, w)
    await lan.press(w["yes"])
    await lan.press(w["all"])
    assert "40 kiến nghị được đưa vào chương trình họp." in text_of(
        (await lan.press(w["send"]))[-1]
    )
    await dispatch_all(h)
    # The invitation: its .ics with as much as a caption holds, the rest as messages after it.
    first = next(i for i, m in enumerate(quang.history()) if m.document is not None)
    sent = quang.history()[first:]
    shown = sum(line.startswith("• KN-") for m in sent for line in text_of(m).splitlines())
    assert 0 < shown <= 15
    assert any(w["more"].format(n=40 - shown) in text_of(m) for m in sent)
    for message in sent:
        limit = CAPTION_LIMIT if message.document is not None else TEXT_LIMIT
        assert visible_length(text_of(message)) <= limit
    description = ics_description(next(m for m in sent if m.document is not None))
    assert "và " in description and "kiến nghị khác" in description
    assert len(description) < 4000


async def test_a_cadre_and_an_outsider_cannot_attach(h: Harness) -> None:
    await items(h)
    lan = h.user(1002, "Lan")
    nam = h.user(1004, "Nam")  # a cadre of the thôn
    anna = h.user(1011, "Anna")  # Kim Bình
    for user in (lan, nam, anna):
        await user.send("/start")
    await to_items_step(lan, WORDS["vi"])
    for other in (nam, anna):
        await other.press_data("mts:items:y")
        assert other.last_answer is not None and other.last_answer["show_alert"]
    # Lan's own flow is where it was: her yes still works.
    await lan.press(WORDS["vi"]["yes"])
    async with h.db.session() as session:
        assert not (await session.scalars(select(MeetingPetition))).all()
