"""Meetings without Telegram: the time and duration parsers, the .ics file, the access rules and
the reminder planner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select, update

from bot import meeting_ics, meeting_reminders, meeting_time
from bot import meetings as mt
from bot.access import Actor, load_actor
from bot.clock import FakeClock
from bot.demo import seed_demo
from bot.meeting_time import TimeParseError
from bot.meetings import MeetingError, MeetingPlan
from storage.db import Database
from storage.models import Meeting, OutboxMessage, Person
from storage.queries import people as people_q
from storage.queries import units as units_q
from tests.harness import ics_sequence

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: Monday 16/11/2026 08:30 in Hà Nội.
NOW = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


# --- typed times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/12 8h30", local(2026, 12, 20, 8, 30)),
        ("20/12/2026 14:00", local(2026, 12, 20, 14, 0)),
        ("20-12-2026 14h", local(2026, 12, 20, 14, 0)),
        ("20.12.26 8h", local(2026, 12, 20, 8, 0)),
        ("8h30 20/12", local(2026, 12, 20, 8, 30)),
        ("lúc 8h30 ngày 20/12", local(2026, 12, 20, 8, 30)),
        ("20/12 8 giờ 30 phút", local(2026, 12, 20, 8, 30)),
        ("20/12 8g30", local(2026, 12, 20, 8, 30)),
        ("15/01 8h", local(2027, 1, 15, 8, 0)),  # the next 15/01 to come
        ("mai 8h", local(2026, 11, 17, 8, 0)),
        ("Mai 8h", local(2026, 11, 17, 8, 0)),
        ("ngày mai 14h", local(2026, 11, 17, 14, 0)),
        ("sáng mai 8h", local(2026, 11, 17, 8, 0)),
        ("chiều mai 2h", local(2026, 11, 17, 14, 0)),
        ("tomorrow 2pm", local(2026, 11, 17, 14, 0)),
        ("ngày kia 9h", local(2026, 11, 18, 9, 0)),
        ("mốt 9h", local(2026, 11, 18, 9, 0)),
        ("hôm nay 10h", local(2026, 11, 16, 10, 0)),
        ("8h45", local(2026, 11, 16, 8, 45)),  # alone: today, still ahead
        ("14:00", local(2026, 11, 16, 14, 0)),
        ("2h chiều", local(2026, 11, 16, 14, 0)),
        ("7 tối", local(2026, 11, 16, 19, 0)),
        ("12h trưa", local(2026, 11, 16, 12, 0)),
        # Weekdays: the next such day whose hour is still ahead (today is Monday 08:30).
        ("thứ 2 14h", local(2026, 11, 16, 14, 0)),
        ("thứ hai 8h", local(2026, 11, 23, 8, 0)),
        ("Thứ Hai 8h", local(2026, 11, 23, 8, 0)),
        ("T2 8h", local(2026, 11, 23, 8, 0)),
        ("thứ 3 8h", local(2026, 11, 17, 8, 0)),
        ("thứ tư 8h", local(2026, 11, 18, 8, 0)),
        ("thu sau 8h", local(2026, 11, 20, 8, 0)),
        ("thứ bảy 8h", local(2026, 11, 21, 8, 0)),
        ("chủ nhật 8h", local(2026, 11, 22, 8, 0)),
        ("CN 8h", local(2026, 11, 22, 8, 0)),
        ("thứ 6 tuần sau 8h", local(2026, 11, 27, 8, 0)),
        ("thứ 2 tuần tới 14h", local(2026, 11, 23, 14, 0)),
        ("monday 2pm", local(2026, 11, 16, 14, 0)),
        ("next monday 9:00", local(2026, 11, 23, 9, 0)),
        ("thứ 2, 21/12 8h30", local(2026, 12, 21, 8, 30)),
        ("２０/１２ ８ｈ３０", local(2026, 12, 20, 8, 30)),  # a full-width keyboard
    ],
)
def test_meeting_times(text: str, expected: datetime) -> None:
    assert meeting_time.parse_meeting_time(text, NOW, TZ) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("sớm", "bad_time"),
        ("họp nhé", "bad_time"),
        ("20/12", "no_time"),
        ("mai", "no_time"),
        ("thứ 2", "no_time"),
        ("8h30", "past"),  # alone, today, already gone
        ("8h", "past"),
        ("16/11 8h", "past"),
        ("hôm qua 8h", "past"),
        ("31/02 8h", "bad_date"),
        ("29/02 8h", "bad_date"),  # 2027 is not a leap year
        ("32/12 8h", "bad_date"),
        ("20/13 8h", "bad_date"),
        ("25h", "bad_hour"),
        ("8h75", "bad_hour"),
        ("14h sáng", "bad_hour"),
        ("thứ 2 20/12 8h", "weekday_mismatch"),  # 20/12/2026 is a Sunday
        ("20/12/2099 8h", "too_far"),
        ("8h 9h", "bad_time"),
        ("20/12 21/12 8h", "bad_time"),
        ("mai ngày kia 8h", "bad_time"),
        ("tuần sau 8h", "bad_time"),
        ("20/12 8", "bad_time"),
        ("x" * 101, "bad_time"),
    ],
)
def test_bad_meeting_times(text: str, code: str) -> None:
    with pytest.raises(TimeParseError) as info:
        meeting_time.parse_meeting_time(text, NOW, TZ)
    assert info.value.code == code
    if code == "weekday_mismatch":
        assert info.value.day is not None and info.value.day.isoformat() == "2026-12-20"


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("15/11 8h", "2027-11-15"),  # yesterday's date: a slip, not a meeting a year on
        ("01/09 8h", "2027-09-01"),  # still nearer behind than ahead
        ("1/11 14h30", "2027-11-01"),
    ],
)
def test_a_day_just_gone_is_past_with_next_years_as_the_suggestion(
    text: str, suggested: str
) -> None:
    """Typed on 16/11/2026: never silently next year's (issue 16 §4)."""
    with pytest.raises(TimeParseError) as info:
        meeting_time.parse_meeting_time(text, NOW, TZ)
    assert info.value.code == "past"
    assert info.value.day is not None and info.value.day.isoformat() == suggested
    assert info.value.clock is not None


def test_the_nearest_such_day_across_new_year() -> None:
    """Late December: early January is next year's; a day of last December just gone is past."""
    new_year = datetime(2027, 1, 2, 1, 0, tzinfo=UTC)
    with pytest.raises(TimeParseError) as info:
        meeting_time.parse_meeting_time("28/12 8h", new_year, TZ)
    assert info.value.code == "past" and info.value.day is not None
    assert info.value.day.isoformat() == "2027-12-28"
    december = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    assert meeting_time.parse_meeting_time("05/01 8h", december, TZ) == local(2027, 1, 5, 8, 0)


def test_a_leap_day_without_a_year_is_the_next_one_when_it_exists() -> None:
    now = datetime(2027, 12, 1, 1, 0, tzinfo=UTC)
    assert meeting_time.parse_meeting_time("29/02 8h", now, TZ) == local(2028, 2, 29, 8, 0)


def test_times_are_in_the_deployment_zone() -> None:
    """20/12 8h30 in Hà Nội is 01:30 UTC; the same text in another zone is another instant."""
    hanoi = meeting_time.parse_meeting_time("20/12 8h30", NOW, TZ)
    assert hanoi.astimezone(UTC) == datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
    paris = meeting_time.parse_meeting_time("20/12 8h30", NOW, ZoneInfo("Europe/Paris"))
    assert paris.astimezone(UTC) == datetime(2026, 12, 20, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1h", 60),
        ("2h", 120),
        ("1h30", 90),
        ("1h 30p", 90),
        ("1,5 giờ", 90),
        ("1.5h", 90),
        ("3 tiếng", 180),
        ("90 phút", 90),
        ("90p", 90),
        ("45 minutes", 45),
        ("2", 120),
        ("90", 90),
        ("nửa ngày", 240),
        ("cả ngày", 480),
        ("half day", 240),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert meeting_time.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "0", "10p", "25h", "abc", "1h70", "1,33h", "2 ngày"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        meeting_time.parse_duration(text)
    assert info.value.code == "bad_duration"


# --- the calendar file ----------------------------------------------------------------------


def a_meeting(**changes: object) -> Meeting:
    values: dict[str, object] = {
        "id": 7,
        "uid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427@phoihop",
        "kind": "giao_ban",
        "title": "Giao ban quý IV/2026; tổng kết, năm mới",
        "starts_at": datetime(2026, 12, 21, 1, 30, tzinfo=UTC),
        "duration_minutes": 150,
        "place": "Hội trường UBND xã, thôn Cầu Bâm",
        "agenda": "",
        "unit_id": 1,
        "status": "scheduled",
        "sequence": 0,
    }
    values.update(changes)
    return Meeting(**values)


def ics(meeting: Meeting, description: str = "1. Kết quả\n2. Kế hoạch") -> bytes:
    return meeting_ics.build_ics(
        meeting,
        tz=TZ,
        organiser="Xã Yên Nguyên",
        description=description,
        now=NOW,
        categories="Giao ban",
    )


def test_the_calendar_file_of_a_meeting() -> None:
    data = ics(a_meeting(), description="Nội dung " * 100)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines), "RFC 5545 folds lines at 75 octets"
    assert b"\n" not in data.replace(b"\r\n", b"")
    cal = icalendar.Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and cal["PRODID"] and cal["METHOD"] == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == "1b4e28ba-2fa1-11d2-883f-0016d3cca427@phoihop"
    assert ics_sequence(event) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 12, 21, 1, 30, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2026, 12, 21, 4, 0, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == NOW
    assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert b"DTSTART;TZID=Asia/Ho_Chi_Minh:20261221T083000" in data
    [zone] = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Ho_Chi_Minh"
    assert str(event["SUMMARY"]) == "Giao ban quý IV/2026; tổng kết, năm mới"
    assert str(event["LOCATION"]) == "Hội trường UBND xã, thôn Cầu Bâm"
    assert str(event["DESCRIPTION"]) == "Nội dung " * 100
    assert event["ORGANIZER"].params["CN"] == "Xã Yên Nguyên"
    assert b"SUMMARY:Giao ban qu\xc3\xbd IV/2026\\; t\xe1\xbb\x95ng k\xe1\xba\xbft\\, n" in data


def test_a_reschedule_and_a_cancel_update_the_same_entry() -> None:
    moved = icalendar.Calendar.from_ical(
        ics(a_meeting(sequence=1, starts_at=datetime(2026, 12, 22, 7, 0, tzinfo=UTC)))
    )
    [event] = moved.walk("VEVENT")
    assert moved["METHOD"] == "REQUEST" and ics_sequence(event) == 1
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 12, 22, 7, 0, tzinfo=UTC)
    cancelled = icalendar.Calendar.from_ical(ics(a_meeting(sequence=2, status="cancelled")))
    [event] = cancelled.walk("VEVENT")
    assert cancelled["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED" and ics_sequence(event) == 2
    assert str(event["UID"]) == "1b4e28ba-2fa1-11d2-883f-0016d3cca427@phoihop"


# --- with a database ------------------------------------------------------------------------


async def actor_of(db: Database, telegram_id: int) -> Actor:
    async with db.session() as session:
        person = await people_q.by_telegram_id(session, telegram_id)
        assert person is not None
        return await load_actor(session, person)


@pytest.fixture
async def demo(db: Database, clock: FakeClock) -> Database:
    async with db.session() as session:
        await seed_demo(session, clock.now())
        await session.execute(update(Person).values(started=True))
    return db


PLAN = MeetingPlan(
    kind="giao_ban",
    title="Giao ban",
    starts_at=datetime(2026, 11, 16, 5, 0, tzinfo=UTC),  # 12:00 today, in 3.5 hours
    duration_minutes=60,
    place="Hội trường",
    agenda="",
)


async def create(db: Database, now: datetime, plan: MeetingPlan = PLAN, **kw: object) -> int:
    lan = await actor_of(db, 1002)
    async with db.session() as session:
        unit = await units_q.by_code(session, "02365")
        assert unit is not None
        invited = list(await units_q.children(session, unit.id))
        meeting = await mt.create_meeting(
            session, lan, unit=unit, plan=plan, invited=invited, now=now
        )
        return meeting.id


async def outbox(db: Database, kind: str) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def test_who_may_schedule_see_and_answer(demo: Database, clock: FakeClock) -> None:
    db, now = demo, clock.now()
    lan, nam, thu, hung = [await actor_of(db, t) for t in (1002, 1004, 1008, 1001)]
    async with db.session() as session:
        yen_nguyen = await units_q.by_code(session, "02365")
        kim_binh = await units_q.by_code(session, "02350")
        assert yen_nguyen is not None and kim_binh is not None
        for actor, unit, invited, plan, code in (
            (nam, yen_nguyen, [], PLAN, "forbidden"),
            (lan, kim_binh, [], PLAN, "forbidden"),
            (lan, yen_nguyen, [kim_binh], PLAN, "forbidden"),
            (lan, yen_nguyen, [], MeetingPlan(**{**PLAN.__dict__, "starts_at": now}), "past"),
            (lan, yen_nguyen, [], MeetingPlan(**{**PLAN.__dict__, "title": " "}), "empty"),
            (
                lan,
                yen_nguyen,
                [],
                MeetingPlan(**{**PLAN.__dict__, "agenda": "x" * 2001}),
                "too_long",
            ),
            (lan, yen_nguyen, [], MeetingPlan(**{**PLAN.__dict__, "kind": "party"}), "bad_kind"),
        ):
            with pytest.raises(MeetingError) as info:
                await mt.create_meeting(
                    session, actor, unit=unit, plan=plan, invited=invited, now=now
                )
            assert info.value.code == code
    meeting_id = await create(db, now)
    async with db.session() as session:
        assert (await mt.load(session, nam, meeting_id)).invited
        assert (await mt.load(session, hung, meeting_id)).organiser  # leads the province
        for actor, manage, code in ((thu, False, "forbidden"), (nam, True, "not_organiser")):
            with pytest.raises(MeetingError) as info:
                await mt.load(session, actor, meeting_id, manage=manage)
            assert info.value.code == code
        with pytest.raises(MeetingError) as info:
            await mt.rsvp(session, thu, meeting_id, "yes", now)
        assert info.value.code == "forbidden"
        with pytest.raises(MeetingError) as info:
            await mt.rsvp(session, hung, meeting_id, "yes", now)
        assert info.value.code == "not_invited"
        await mt.rsvp(session, nam, meeting_id, "no", now, reason="Ốm")
        assert [m.id for m in await mt.visible_meetings(session, thu, now)] == []
        assert [m.id for m in await mt.visible_meetings(session, nam, now)] == [meeting_id]
    # Members of the commune and its direct sub-units; not the grandchildren (Hoa, Chi hội).
    assert sorted(r.chat_id for r in await outbox(db, "meeting_invite")) == [
        1002,
        1003,
        1004,
        1006,
        1007,
    ]


async def test_reminders_are_planned_once_and_skip_decliners(
    demo: Database, clock: FakeClock
) -> None:
    db = demo
    meeting_id = await create(db, clock.now())  # starts in 3.5 hours
    nam = await actor_of(db, 1004)
    async with db.session() as session:
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 0
        await mt.rsvp(session, nam, meeting_id, "no", clock.now(), reason="Ốm")
    # The 24-hour reminder's time came before the invitation went out: it is never sent.
    clock.advance(hours=2, minutes=30)
    async with db.session() as session:
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 4
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 0
    rows = await outbox(db, "meeting_reminder")
    assert sorted(r.chat_id for r in rows) == [1002, 1003, 1006, 1007]
    assert {r.key.rsplit(":", 2)[1] for r in rows} == {"r60"}
    assert all(r.due_at == PLAN.starts_at - timedelta(hours=1) for r in rows)

    # Moved to tomorrow 12:00: everyone is told again; fresh reminders for the new time, for
    # everyone (the old answers were cleared), 24 hours and 1 hour before.
    lan = await actor_of(db, 1002)
    async with db.session() as session:
        await mt.reschedule(
            session, lan, meeting_id, PLAN.starts_at + timedelta(days=1), clock.now()
        )
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 0
    assert len(await outbox(db, "meeting_update")) == 5
    clock.set(PLAN.starts_at)
    async with db.session() as session:
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 5
    # A bot that was down from 24 hours to 30 minutes before sends only the latest reminder.
    clock.set(PLAN.starts_at + timedelta(days=1, minutes=-30))
    async with db.session() as session:
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 5
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now(), offsets=()) == 0
    keys = [r.key for r in await outbox(db, "meeting_reminder") if ":s1:" in r.key]
    assert len(keys) == 10 and len(set(keys)) == 10

    # Cancelled: no more reminders, and no cancelling twice.
    async with db.session() as session:
        await mt.cancel(session, lan, meeting_id, clock.now())
        with pytest.raises(MeetingError) as info:
            await mt.cancel(session, lan, meeting_id, clock.now())
        assert info.value.code == "cancelled"
    clock.advance(minutes=20)
    async with db.session() as session:
        assert await meeting_reminders.plan_meeting_reminders(session, clock.now()) == 0
    assert len(await outbox(db, "meeting_cancel")) == 5


async def test_a_started_meeting_moves_only_when_confirmed(
    demo: Database, clock: FakeClock
) -> None:
    db = demo
    meeting_id = await create(db, clock.now())
    lan = await actor_of(db, 1002)
    clock.set(PLAN.starts_at + timedelta(minutes=10))
    later = PLAN.starts_at + timedelta(hours=3)
    async with db.session() as session:
        with pytest.raises(MeetingError) as info:
            await mt.reschedule(session, lan, meeting_id, later, clock.now())
        assert info.value.code == "started_confirm"
        with pytest.raises(MeetingError) as info:
            await mt.reschedule(session, lan, meeting_id, clock.now(), clock.now(), confirmed=True)
        assert info.value.code == "past"
        meeting = await mt.reschedule(session, lan, meeting_id, later, clock.now(), confirmed=True)
        assert meeting.sequence == 1 and meeting.starts_at == later
