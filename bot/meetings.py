"""Meetings (PRODUCT §5): schedule, invite, RSVP, remind, reschedule or cancel, record conclusions.

Why it is shaped this way:

- **Invitations are units, not people.** A meeting invites units (its organising unit always among
  them); whoever is a member of an invited unit is invited, including people who join later. So
  "who may see or answer" is one membership check, and the lists are computed when needed.
- **Every notice goes through the outbox** in the transaction of the change, with keys that make
  it idempotent: ``meeting:<id>:s<sequence>:<telegram id>`` for the invitation, the reschedule and
  the cancellation (each change bumps ``sequence``, which is also the ``.ics`` ``SEQUENCE``), and
  ``meeting:<id>:s<sequence>:r<minutes>:<telegram id>`` for reminders, which
  :func:`plan_meeting_reminders` computes from the database (a restart neither loses nor doubles
  one). Renderers re-check at send time and drop notices that no longer apply.
- **Times** are typed the way cadres say them (``20/12 8h30``, ``mai 8h``, ``thứ 2 14h``):
  :func:`parse_meeting_time` reads them in the deployment's zone; storage is aware UTC.
- **The calendar file** (:func:`build_ics`) is RFC 5545 with a ``VTIMEZONE``; its ``UID`` is the
  meeting's, so a phone updates (or removes, ``METHOD:CANCEL``) the same entry.
- Group chats (issue 6) will be notified too: :func:`linked_chats` is the hook.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import delete, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.notifications import enqueue
from storage.models import Meeting, MeetingInvitation, MeetingRsvp, Membership, Person, Unit
from storage.queries import chats as chats_q
from storage.queries import units as units_q
from storage.queries.upsert import insert_for
from storage.text import nfc

#: Meeting types of §5, in the order the bot offers them.
KINDS: Final = (
    "giao_ban",
    "so_ket",
    "tong_ket",
    "hiep_thuong",
    "tiep_xuc_cu_tri",
    "ban_cong_tac",
    "other",
)
ANSWERS: Final = ("yes", "no", "delegate")
#: A row created only to record attendance of someone who never answered.
NO_ANSWER: Final = "none"

MAX_TITLE: Final = 200
MAX_PLACE: Final = 200
MAX_AGENDA: Final = 2000
MAX_REASON: Final = 500
MAX_DELEGATE: Final = 200
MAX_CONCLUSIONS: Final = 4000
MIN_DURATION: Final = 15
MAX_DURATION: Final = 24 * 60
#: A meeting further ahead than this is almost surely a typo (20/12/2062).
MAX_AHEAD: Final = timedelta(days=2 * 366)

DEFAULT_OFFSETS: Final = (timedelta(hours=24), timedelta(hours=1))


class MeetingError(Exception):
    """A meeting action cannot be done; ``code`` selects the localized explanation."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- typed times and durations --------------------------------------------------------------


class TimeParseError(ValueError):
    """Why some text is not a usable meeting time. Codes: ``empty``, ``bad_time`` (unreadable),
    ``no_time`` (a day without an hour), ``bad_date`` (31/02), ``bad_hour`` (25h),
    ``weekday_mismatch`` (``thứ 2 20/12`` when 20/12 is a Sunday; ``day`` holds the date),
    ``past`` and ``too_far``."""

    def __init__(self, code: str, text: str, day: date | None = None) -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text
        self.day = day


def _fold(text: str) -> str:
    """Lower case, no diacritics (``đ`` -> ``d``), ASCII digits, single spaces."""
    # NFKC folds the full-width forms of "wide" phone keyboards (１４ｈ) to ASCII.
    text = unicodedata.normalize("NFKC", text).lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = "".join(
        " " if ch.isspace() else ch for ch in bare if unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return " ".join(kept.split())


_TOKEN: Final = re.compile(
    r"(?P<date>\d{1,2}[/.\-]\d{1,2}(?:[/.\-](?:\d{4}|\d{2}))?)(?![\d:])"
    r"|(?P<time>\d{1,2} ?(?:gio|g|h|:) ?(?:\d{2}(?![\d/.\-]))? ?(?:phut|ph|p(?![a-z]))?)"
    r"|(?P<tday>t[2-7])(?![a-z\d])"
    r"|(?P<word>[a-z]+)"
    r"|(?P<num>\d+)"
    r"|(?P<sep>[,;\-–]| )"
)
_TIME_PARTS: Final = re.compile(r"(\d{1,2}) ?(?:gio|g|h|:) ?(\d{2})?")

#: Words that only decorate a time ("lúc 8h", "vào ngày 20/12", "at 2pm on Monday").
_FILLERS: Final = frozenset({"luc", "vao", "ngay", "at", "on", "the", "bat", "dau", "hop", "o"})
_PERIODS: Final = frozenset({"am", "pm", "sang", "trua", "chieu", "toi", "dem"})
_RELATIVE: Final[dict[str, int]] = {"nay": 0, "today": 0, "mai": 1, "tomorrow": 1, "kia": 2}
_VI_WEEKDAYS: Final[dict[str, int]] = {
    "hai": 0,
    "ba": 1,
    "tu": 2,
    "nam": 3,
    "sau": 4,
    "bay": 5,
    "2": 0,
    "3": 1,
    "4": 2,
    "5": 3,
    "6": 4,
    "7": 5,
}
_EN_WEEKDAYS: Final[dict[str, int]] = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}


@dataclass
class _Parsed:
    day: date | None = None
    relative: int | None = None
    weekday: int | None = None
    week: int | None = None  # 0 = this week, 1 = next week
    hour: int | None = None
    minute: int = 0
    period: str | None = None
    no_year: bool = False


def parse_meeting_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The start ``text`` names, in ``tz``, strictly after ``now``; or a :class:`TimeParseError`.

    Accepted: ``20/12 8h30``, ``20/12/2026 14:00``, ``8h30 20/12``, ``mai 8h`` (tomorrow),
    ``ngày kia 9h``, ``thứ 2 14h`` / ``thứ hai 14h`` / ``T2 14h`` / ``chủ nhật 8h`` (the next
    such day whose hour is still ahead; ``tuần sau`` = next week's), ``8h30`` alone (today),
    ``2h chiều`` / ``2pm`` (14:00), ``8 giờ 30``. A date without a year is the next one to come.
    """
    if not isinstance(text, str) or len(text) > 100:
        raise TimeParseError("bad_time", str(text)[:100])
    cleaned = _fold(text)
    if not cleaned:
        raise TimeParseError("empty", text)
    parsed = _tokens(cleaned, text)
    today = now.astimezone(tz).date()
    if parsed.hour is None:
        if parsed.day or parsed.relative is not None or parsed.weekday is not None:
            raise TimeParseError("no_time", text)
        raise TimeParseError("bad_time", text)
    hour = _apply_period(parsed.hour, parsed.period, text)
    if not 0 <= hour <= 23 or not 0 <= parsed.minute <= 59:
        raise TimeParseError("bad_hour", text)
    clock = time(hour, parsed.minute)
    day = _resolve_day(parsed, today, clock, now, tz, text)
    result = datetime.combine(day, clock, tzinfo=tz)
    if result <= now:
        raise TimeParseError("past", text)
    if result - now > MAX_AHEAD:
        raise TimeParseError("too_far", text)
    return result


def _tokens(cleaned: str, text: str) -> _Parsed:
    parsed = _Parsed()
    items: list[tuple[str, str]] = []
    pos = 0
    while pos < len(cleaned):
        match = _TOKEN.match(cleaned, pos)
        if match is None:
            raise TimeParseError("bad_time", text)
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "sep":
            items.append((kind, match.group().strip()))
    index = 0
    while index < len(items):
        kind, value = items[index]
        following = items[index + 1] if index + 1 < len(items) else ("", "")
        step = 1
        if kind == "date":
            _set_day(parsed, _day_of(value), text)
        elif kind == "time":
            _set_time(parsed, value, text)
        elif kind == "tday":
            _set_weekday(parsed, int(value[1]) - 2, text)
        elif kind == "num" and following[1] in _PERIODS:
            _set_time(parsed, value + "h", text)  # 2pm, 7 tối
        elif kind == "num":
            raise TimeParseError("bad_time", text)
        elif value == "thu" and following[1] in _VI_WEEKDAYS:
            _set_weekday(parsed, _VI_WEEKDAYS[following[1]], text)
            step = 2
        elif (value == "chu" and following[1] == "nhat") or value == "cn":
            _set_weekday(parsed, 6, text)
            step = 2 if value == "chu" else 1
        elif value == "tuan" and following[1] in ("sau", "toi", "nay"):
            parsed.week = 0 if following[1] == "nay" else 1
            step = 2
        elif value == "next" and following[1] == "week":
            parsed.week = 1
            step = 2
        elif value == "hom" and following[1] == "nay":
            _set_relative(parsed, 0, text)
            step = 2
        elif value == "hom" and following[1] in ("qua", "kia"):
            raise TimeParseError("past", text)  # yesterday, the day before
        elif value == "ngay" and following[1] == "kia":
            _set_relative(parsed, 2, text)
            step = 2
        elif value == "mot":
            _set_relative(parsed, 2, text)  # "mốt": the day after tomorrow
        elif value == "next" and following[1] in _EN_WEEKDAYS:
            parsed.week = 1  # "next Monday": next week's
        elif value in _RELATIVE:
            _set_relative(parsed, _RELATIVE[value], text)
        elif value in _EN_WEEKDAYS:
            _set_weekday(parsed, _EN_WEEKDAYS[value], text)
        elif value in _PERIODS:
            if parsed.period is not None:
                raise TimeParseError("bad_time", text)
            parsed.period = value
        elif value not in _FILLERS:
            raise TimeParseError("bad_time", text)
        index += step
    return parsed


def _day_of(value: str) -> tuple[int, int, int | None]:
    parts = re.split(r"[/.\-]", value)
    year = None
    if len(parts) == 3:
        year = int(parts[2]) + (2000 if len(parts[2]) == 2 else 0)
    return int(parts[0]), int(parts[1]), year


def _set_day(parsed: _Parsed, dmy: tuple[int, int, int | None], text: str) -> None:
    if parsed.day is not None or parsed.relative is not None:
        raise TimeParseError("bad_time", text)
    day, month, year = dmy
    try:
        # Without a year, check against a leap year; _resolve_day settles the real one.
        parsed.day = date(year or 2028, month, day)
    except ValueError:
        raise TimeParseError("bad_date", text) from None
    parsed.no_year = year is None


def _set_time(parsed: _Parsed, value: str, text: str) -> None:
    if parsed.hour is not None:
        raise TimeParseError("bad_time", text)
    match = _TIME_PARTS.match(value)
    if match is None:
        raise TimeParseError("bad_time", text)
    parsed.hour = int(match.group(1))
    parsed.minute = int(match.group(2) or 0)


def _set_weekday(parsed: _Parsed, weekday: int, text: str) -> None:
    if parsed.weekday is not None or parsed.relative is not None:
        raise TimeParseError("bad_time", text)
    parsed.weekday = weekday


def _set_relative(parsed: _Parsed, days: int, text: str) -> None:
    if parsed.relative is not None or parsed.day is not None or parsed.weekday is not None:
        raise TimeParseError("bad_time", text)
    parsed.relative = days


def _apply_period(hour: int, period: str | None, text: str) -> int:
    if period is None:
        return hour
    if hour > 12:
        if period in ("am", "sang"):
            raise TimeParseError("bad_hour", text)
        return hour
    if period in ("pm", "chieu", "toi"):
        return hour + 12 if hour < 12 else hour
    if period == "trua":
        return hour + 12 if hour <= 3 else hour
    if period == "dem":
        return hour + 12 if 7 <= hour < 12 else (0 if hour == 12 else hour)
    return 0 if hour == 12 and period == "am" else hour


def _resolve_day(
    parsed: _Parsed, today: date, clock: time, now: datetime, tz: ZoneInfo, text: str
) -> date:
    def ahead(day: date) -> bool:
        return datetime.combine(day, clock, tzinfo=tz) > now

    if parsed.relative is not None:
        if parsed.week is not None:
            raise TimeParseError("bad_time", text)
        return today + timedelta(days=parsed.relative)
    if parsed.day is not None:
        day = parsed.day
        if parsed.no_year:
            # The next such day to come (29/02 waits for a leap year only if it is next year's).
            for year in (today.year, today.year + 1):
                try:
                    candidate = date(year, day.month, day.day)
                except ValueError:
                    continue
                if candidate >= today:
                    day = candidate
                    break
            else:
                raise TimeParseError("bad_date", text)
        if parsed.weekday is not None and day.weekday() != parsed.weekday:
            raise TimeParseError("weekday_mismatch", text, day)
        return day
    if parsed.weekday is not None:
        if parsed.week is not None and parsed.week >= 0:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=parsed.week)
            return monday + timedelta(days=parsed.weekday)
        day = today + timedelta(days=(parsed.weekday - today.weekday()) % 7)
        return day if ahead(day) else day + timedelta(days=7)
    if parsed.week is not None:
        raise TimeParseError("bad_time", text)
    return today


_DURATION: Final = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?) ?(?P<unit>gio|tieng|h|g|hours?|hrs?|phut|ph|p|minutes?|mins?|m)?"
    r"(?: ?(?P<min>\d{1,2}) ?(?:phut|ph|p|minutes?|mins?|m)?)?"
)
_HALF_DAY: Final = frozenset({"nua ngay", "half day", "half a day", "buoi", "mot buoi", "1 buoi"})
_WHOLE_DAY: Final = frozenset({"ca ngay", "1 ngay", "mot ngay", "full day", "whole day", "all day"})


def parse_duration(text: str) -> int:
    """Minutes from ``2h``, ``1h30``, ``1,5 giờ``, ``90 phút``, ``3 tiếng``, ``nửa ngày`` (4 h),
    ``cả ngày`` (8 h); a bare number is hours up to 24, minutes above. ``TimeParseError``
    (``bad_duration``) otherwise, including anything outside 15 minutes .. 24 hours."""
    cleaned = _fold(text or "")
    if cleaned in _HALF_DAY:
        return 240
    if cleaned in _WHOLE_DAY:
        return 480
    match = _DURATION.fullmatch(cleaned)
    if match is None:
        raise TimeParseError("bad_duration", text)
    number = float(match.group("num").replace(",", "."))
    unit = match.group("unit")
    extra = match.group("min")
    if extra is not None and int(extra) >= 60:
        raise TimeParseError("bad_duration", text)
    if unit is None:
        if extra is not None:
            raise TimeParseError("bad_duration", text)
        minutes = number * 60 if number <= 24 else number
    elif unit.startswith(("gio", "tieng", "h", "g")):
        minutes = number * 60 + (int(extra) if extra else 0)
    else:
        if extra is not None:
            raise TimeParseError("bad_duration", text)
        minutes = number
    if minutes != int(minutes) or not MIN_DURATION <= minutes <= MAX_DURATION:
        raise TimeParseError("bad_duration", text)
    return int(minutes)


# --- creating -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingPlan:
    """What the organiser entered, checked by :func:`create_meeting`."""

    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    place: str
    agenda: str


def check_text(value: str, limit: int, *, required: bool = True) -> str:
    """NFC, trimmed, within ``limit``; ``MeetingError("empty")`` / ``("too_long")``."""
    value = nfc((value or "").strip())
    if required and not value:
        raise MeetingError("empty")
    if len(value) > limit:
        raise MeetingError("too_long")
    return value


async def invitable_units(session: AsyncSession, actor: Actor, unit: Unit) -> list[Unit]:
    """Units a meeting of ``unit`` may invite besides itself: its direct sub-units the actor leads."""
    return [u for u in await units_q.children(session, unit.id) if actor.can_admin(u)]


async def create_meeting(
    session: AsyncSession,
    actor: Actor,
    *,
    unit: Unit,
    plan: MeetingPlan,
    invited: Sequence[Unit],
    now: datetime,
) -> Meeting:
    """Schedule a meeting of ``unit`` and queue an invitation to every invited member who can
    be written to. The organising unit is always invited."""
    if not actor.can_admin(unit):
        raise MeetingError("forbidden")
    if plan.kind not in KINDS:
        raise MeetingError("bad_kind")
    title = check_text(plan.title, MAX_TITLE)
    place = check_text(plan.place, MAX_PLACE)
    agenda = check_text(plan.agenda, MAX_AGENDA, required=False)
    if plan.starts_at.tzinfo is None:
        raise ValueError("naive start time")
    if plan.starts_at <= now:
        raise MeetingError("past")
    if not MIN_DURATION <= plan.duration_minutes <= MAX_DURATION:
        raise MeetingError("bad_duration")
    umbrellas = await units_q.umbrella_orgs(session)
    scope = units_q.scope_of(unit, umbrellas)
    targets = {unit.id: unit}
    for other in invited:
        if not (actor.can_admin(other) and (other.id == unit.id or scope.contains(other))):
            raise MeetingError("forbidden")
        targets[other.id] = other
    meeting = Meeting(
        uid=f"{uuid.uuid4()}@phoihop",
        kind=plan.kind,
        title=title,
        starts_at=plan.starts_at.astimezone(UTC),
        duration_minutes=plan.duration_minutes,
        place=place,
        agenda=agenda,
        unit_id=unit.id,
        organiser_id=actor.person.id,
        status="scheduled",
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(MeetingInvitation(meeting_id=meeting.id, unit_id=uid) for uid in targets)
    await session.flush()
    await _announce(session, meeting, "meeting_invite", now)
    return meeting


async def _announce(
    session: AsyncSession,
    meeting: Meeting,
    kind: str,
    now: datetime,
    extra: dict[str, str] | None = None,
) -> int:
    """One notice of this change (``sequence``) to every recipient and linked chat."""
    params: dict[str, object] = {"meeting_id": meeting.id, "sequence": meeting.sequence}
    params.update(extra or {})
    chats = [p.telegram_id for p in await recipients(session, meeting)]
    chats += await linked_chats(session, await invited_unit_ids(session, meeting.id))
    queued = 0
    for chat_id in chats:
        queued += await enqueue(
            session,
            key=f"meeting:{meeting.id}:s{meeting.sequence}:{chat_id}",
            chat_id=chat_id,
            kind=kind,
            params=dict(params),
            now=now,
        )
    return queued


async def linked_chats(session: AsyncSession, unit_ids: Collection[int]) -> list[int]:
    """Group chats linked to these units (/link): every meeting notice reaches them too (the
    renderers leave out the personal RSVP line for chats with negative ids)."""
    return [row.chat_id for row in await chats_q.for_units(session, unit_ids)]


# --- who is invited -------------------------------------------------------------------------


async def reachable(session: AsyncSession, unit_ids: Collection[int]) -> int:
    """How many members of these units the bot can write to (for the organiser's review)."""
    if not unit_ids:
        return 0
    person_ids = select(Membership.person_id).where(Membership.unit_id.in_(list(unit_ids)))
    rows = await session.scalars(
        select(Person.id).where(
            Person.id.in_(person_ids), Person.started == true(), Person.blocked == false()
        )
    )
    return len(rows.all())


async def invited_unit_ids(session: AsyncSession, meeting_id: int) -> list[int]:
    rows = await session.scalars(
        select(MeetingInvitation.unit_id).where(MeetingInvitation.meeting_id == meeting_id)
    )
    return list(rows.all())


async def invited_units(session: AsyncSession, meeting_id: int) -> list[Unit]:
    rows = await session.scalars(
        select(Unit)
        .join(MeetingInvitation, MeetingInvitation.unit_id == Unit.id)
        .where(MeetingInvitation.meeting_id == meeting_id)
        .order_by(Unit.path)
    )
    return list(rows.all())


async def invitees(session: AsyncSession, meeting: Meeting) -> list[Person]:
    """Every member of an invited unit, once, by name."""
    unit_ids = select(MeetingInvitation.unit_id).where(MeetingInvitation.meeting_id == meeting.id)
    person_ids = select(Membership.person_id).where(Membership.unit_id.in_(unit_ids))
    rows = await session.scalars(
        select(Person).where(Person.id.in_(person_ids)).order_by(Person.first_name, Person.id)
    )
    return list(rows.all())


async def recipients(session: AsyncSession, meeting: Meeting) -> list[Person]:
    """Invitees the bot may write to (they started it and did not block it)."""
    return [p for p in await invitees(session, meeting) if p.started and not p.blocked]


def is_invited(actor: Actor, unit_ids: Collection[int]) -> bool:
    return any(r.unit.id in unit_ids for r in actor.roles)


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    unit: Unit
    invited_ids: list[int]
    #: The actor leads the organising unit: sees attendance, may change the meeting.
    organiser: bool
    invited: bool


async def load(
    session: AsyncSession, actor: Actor, meeting_id: int, *, manage: bool = False
) -> MeetingView:
    """A meeting the actor may see (invited, or leading the organising unit); ``manage``
    requires the latter."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError("not_found")
    unit = await units_q.get(session, meeting.unit_id)
    assert unit is not None
    unit_ids = await invited_unit_ids(session, meeting.id)
    organiser = actor.can_admin(unit)
    invited = is_invited(actor, unit_ids)
    if not (organiser or invited):
        raise MeetingError("forbidden")
    if manage and not organiser:
        raise MeetingError("not_organiser")
    return MeetingView(meeting, unit, unit_ids, organiser, invited)


def ends_at(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


async def visible_meetings(
    session: AsyncSession, actor: Actor, now: datetime, *, past: bool = False, limit: int = 20
) -> list[Meeting]:
    """Upcoming (not yet ended, not cancelled; soonest first) or past (started; latest first)
    meetings the actor is invited to or organises."""
    mine = [r.unit.id for r in actor.roles]
    conditions = [
        Meeting.id.in_(
            select(MeetingInvitation.meeting_id).where(MeetingInvitation.unit_id.in_(mine))
        )
    ]
    for role in actor.admin_roles():
        conditions.append(Meeting.unit_id.in_(select(Unit.id).where(role.scope.clause())))
    stmt = select(Meeting).where(or_(*conditions))
    if past:
        stmt = stmt.where(Meeting.starts_at <= now, Meeting.status != "cancelled").order_by(
            Meeting.starts_at.desc(), Meeting.id.desc()
        )
    else:
        # Ended ones are filtered below (the end depends on the duration).
        stmt = stmt.where(
            Meeting.status == "scheduled", Meeting.starts_at > now - timedelta(days=1)
        ).order_by(Meeting.starts_at, Meeting.id)
    rows = [m for m in (await session.scalars(stmt)).all() if past or ends_at(m) > now]
    return rows[:limit]


# --- answers --------------------------------------------------------------------------------


async def answer_of(session: AsyncSession, meeting_id: int, person_id: int) -> MeetingRsvp | None:
    return await session.get(MeetingRsvp, (meeting_id, person_id))


async def rsvp(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    answer: str,
    now: datetime,
    *,
    reason: str | None = None,
    delegate: str | None = None,
) -> MeetingView:
    """Answer an invitation (changeable until the meeting starts). Only invitees answer."""
    if answer not in ANSWERS:
        raise MeetingError("bad_answer")
    view = await load(session, actor, meeting_id)
    if not view.invited:
        raise MeetingError("not_invited")
    meeting = view.meeting
    if meeting.status == "cancelled":
        raise MeetingError("cancelled")
    if meeting.starts_at <= now:
        raise MeetingError("started")
    reason = check_text(reason, MAX_REASON) if reason is not None else None
    delegate = check_text(delegate, MAX_DELEGATE) if delegate is not None else None
    values = {
        "answer": answer,
        "reason": reason if answer == "no" else None,
        "delegate": delegate if answer == "delegate" else None,
        "answered_at": now,
    }
    await session.execute(
        insert_for(session, MeetingRsvp)
        .values(meeting_id=meeting.id, person_id=actor.person.id, **values)
        .on_conflict_do_update(
            index_elements=[MeetingRsvp.meeting_id, MeetingRsvp.person_id], set_=values
        )
    )
    return view


async def set_detail(
    session: AsyncSession, actor: Actor, meeting_id: int, text: str, now: datetime
) -> MeetingRsvp:
    """The reason of a "no" or the name of a delegate, typed after pressing the button."""
    row = await answer_of(session, meeting_id, actor.person.id)
    if row is None or row.answer not in ("no", "delegate"):
        raise MeetingError("bad_answer")
    await rsvp(
        session,
        actor,
        meeting_id,
        row.answer,
        now,
        reason=text if row.answer == "no" else None,
        delegate=text if row.answer == "delegate" else None,
    )
    await session.refresh(row)
    return row


@dataclass
class Attendance:
    yes: list[tuple[Person, MeetingRsvp]] = field(default_factory=list)
    no: list[tuple[Person, MeetingRsvp]] = field(default_factory=list)
    delegate: list[tuple[Person, MeetingRsvp]] = field(default_factory=list)
    silent: list[Person] = field(default_factory=list)
    #: Person ids recorded as present after the meeting (empty until recorded).
    attended: set[int] = field(default_factory=set)
    recorded: bool = False

    @property
    def total(self) -> int:
        return len(self.yes) + len(self.no) + len(self.delegate) + len(self.silent)


async def attendance(session: AsyncSession, meeting: Meeting) -> Attendance:
    """Invitees by answer; people who answered and then left an invited unit still count."""
    result = Attendance()
    people = {p.id: p for p in await invitees(session, meeting)}
    rows = (
        await session.scalars(select(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting.id))
    ).all()
    answered = {r.person_id: r for r in rows}
    missing = [pid for pid in answered if pid not in people]
    if missing:
        for p in (await session.scalars(select(Person).where(Person.id.in_(missing)))).all():
            people[p.id] = p
    for pid, person in sorted(people.items(), key=lambda kv: (kv[1].first_name, kv[0])):
        row = answered.get(pid)
        if row is not None and row.attended is not None:
            result.recorded = True
            if row.attended:
                result.attended.add(pid)
        if row is None or row.answer == NO_ANSWER:
            result.silent.append(person)
        else:
            getattr(result, row.answer).append((person, row))
    return result


async def nudge_silent(session: AsyncSession, actor: Actor, meeting_id: int, now: datetime) -> int:
    """The organiser reminds invitees who have not answered (at most once an hour)."""
    view = await load(session, actor, meeting_id, manage=True)
    meeting = view.meeting
    if meeting.status == "cancelled":
        raise MeetingError("cancelled")
    if meeting.starts_at <= now:
        raise MeetingError("started")
    silent = {p.id for p in (await attendance(session, meeting)).silent}
    stamp = now.strftime("%Y%m%d%H")
    queued = 0
    for person in await recipients(session, meeting):
        if person.id in silent and person.id != actor.person.id:
            queued += await enqueue(
                session,
                key=f"meeting:{meeting.id}:nudge:{stamp}:{person.telegram_id}",
                chat_id=person.telegram_id,
                kind="meeting_nudge",
                params={"meeting_id": meeting.id, "sequence": meeting.sequence},
                now=now,
            )
    return queued


# --- changing -------------------------------------------------------------------------------


async def reschedule(
    session: AsyncSession,
    actor: Actor,
    meeting_id: int,
    starts_at: datetime,
    now: datetime,
    *,
    confirmed: bool = False,
) -> Meeting:
    """Move a meeting; everyone invited is told and gets an updated calendar entry. A meeting that
    already started moves only when ``confirmed``. Answers were about the old time, so they are
    cleared and asked again."""
    view = await load(session, actor, meeting_id, manage=True)
    meeting = view.meeting
    if meeting.status == "cancelled":
        raise MeetingError("cancelled")
    if starts_at.tzinfo is None:
        raise ValueError("naive start time")
    if starts_at <= now:
        raise MeetingError("past")
    if meeting.starts_at <= now and not confirmed:
        raise MeetingError("started_confirm")
    old = meeting.starts_at
    if starts_at == old:
        raise MeetingError("same_time")
    meeting.starts_at = starts_at.astimezone(UTC)
    meeting.sequence += 1
    meeting.updated_at = now
    await session.execute(delete(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting.id))
    await session.flush()
    await _announce(session, meeting, "meeting_update", now, {"old": old.isoformat()})
    return meeting


async def cancel(session: AsyncSession, actor: Actor, meeting_id: int, now: datetime) -> Meeting:
    """Cancel a meeting that has not ended; everyone invited is told (``METHOD:CANCEL``)."""
    view = await load(session, actor, meeting_id, manage=True)
    meeting = view.meeting
    if meeting.status == "cancelled":
        raise MeetingError("cancelled")
    if ends_at(meeting) <= now:
        raise MeetingError("ended")
    result = await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status == "scheduled")
        .values(status="cancelled", sequence=Meeting.sequence + 1, updated_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise MeetingError("cancelled")
    await session.refresh(meeting)
    await _announce(session, meeting, "meeting_cancel", now)
    return meeting


# --- after the meeting ----------------------------------------------------------------------


async def _for_minutes(
    session: AsyncSession, actor: Actor, meeting_id: int, now: datetime
) -> Meeting:
    meeting = (await load(session, actor, meeting_id, manage=True)).meeting
    if meeting.status == "cancelled":
        raise MeetingError("cancelled")
    if meeting.starts_at > now:
        raise MeetingError("not_started")
    return meeting


async def record_conclusions(
    session: AsyncSession, actor: Actor, meeting_id: int, text: str, now: datetime
) -> Meeting:
    meeting = await _for_minutes(session, actor, meeting_id, now)
    meeting.conclusions = check_text(text, MAX_CONCLUSIONS)
    meeting.updated_at = now
    await session.flush()
    return meeting


async def attach_minutes(
    session: AsyncSession, actor: Actor, meeting_id: int, file_ref: str | None, now: datetime
) -> Meeting:
    """The minutes as a Telegram file: ``<file_id>`` for a document, ``photo:<file_id>``."""
    meeting = await _for_minutes(session, actor, meeting_id, now)
    meeting.minutes_file_id = file_ref
    meeting.updated_at = now
    await session.flush()
    return meeting


async def record_attendance(
    session: AsyncSession, actor: Actor, meeting_id: int, present: Collection[int], now: datetime
) -> int:
    """Who was actually there (a delegate's presence counts for the invitee). Returns how many."""
    meeting = await _for_minutes(session, actor, meeting_id, now)
    people = {p.id for p in await invitees(session, meeting)}
    answered = set(
        (
            await session.scalars(
                select(MeetingRsvp.person_id).where(MeetingRsvp.meeting_id == meeting.id)
            )
        ).all()
    )
    for pid in people | answered:
        attended = pid in present
        if pid in answered:
            await session.execute(
                update(MeetingRsvp)
                .where(MeetingRsvp.meeting_id == meeting.id, MeetingRsvp.person_id == pid)
                .values(attended=attended)
            )
        else:
            session.add(
                MeetingRsvp(
                    meeting_id=meeting.id,
                    person_id=pid,
                    answer=NO_ANSWER,
                    answered_at=now,
                    attended=attended,
                )
            )
    meeting.updated_at = now
    await session.flush()
    return len([pid for pid in people | answered if pid in present])


# --- reminders ------------------------------------------------------------------------------


async def plan_meeting_reminders(
    session: AsyncSession, now: datetime, *, offsets: Sequence[timedelta] = DEFAULT_OFFSETS
) -> int:
    """Queue the meeting reminders due by now, to invitees who have not declined.

    For each meeting only the latest due offset is queued (a bot that was down for a day sends
    one reminder, not two), and never one whose time came before the invitation or the last
    reschedule went out. Keys make this idempotent: it may run every minute, after a restart, or
    twice at once."""
    if not offsets:
        return 0
    longest = max(offsets)
    meetings = (
        await session.scalars(
            select(Meeting).where(
                Meeting.status == "scheduled",
                Meeting.starts_at > now,
                Meeting.starts_at <= now + longest,
            )
        )
    ).all()
    queued = 0
    for meeting in meetings:
        due = [o for o in offsets if meeting.updated_at < meeting.starts_at - o <= now]
        if not due:
            continue
        offset = min(due)
        minutes = int(offset.total_seconds() // 60)
        declined = set(
            (
                await session.scalars(
                    select(MeetingRsvp.person_id).where(
                        MeetingRsvp.meeting_id == meeting.id, MeetingRsvp.answer == "no"
                    )
                )
            ).all()
        )
        for person in await recipients(session, meeting):
            if person.id in declined:
                continue
            queued += await enqueue(
                session,
                key=f"meeting:{meeting.id}:s{meeting.sequence}:r{minutes}:{person.telegram_id}",
                chat_id=person.telegram_id,
                kind="meeting_reminder",
                params={
                    "meeting_id": meeting.id,
                    "sequence": meeting.sequence,
                    "minutes": minutes,
                },
                now=now,
                due_at=meeting.starts_at - offset,
            )
    return queued


# --- the calendar file ----------------------------------------------------------------------

ICS_ORGANISER: Final = "mailto:noreply@phoihop.invalid"


def build_ics(
    meeting: Meeting,
    *,
    tz: ZoneInfo,
    organiser: str,
    description: str,
    now: datetime,
    categories: str | None = None,
) -> bytes:
    """An RFC 5545 calendar with one event: ``METHOD:REQUEST`` for a scheduled meeting,
    ``METHOD:CANCEL`` + ``STATUS:CANCELLED`` for a cancelled one. ``UID`` is the meeting's and
    ``SEQUENCE`` its change count, so a calendar updates the entry it already has. Times carry
    ``TZID`` with the zone's ``VTIMEZONE``."""
    cancelled = meeting.status == "cancelled"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Phoi hop//Meetings//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", ends_at(meeting).astimezone(tz))
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    if description:
        event.add("description", description)
    if categories:
        event.add("categories", [categories])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", icalendar.vCalAddress(ICS_ORGANISER), parameters={"cn": organiser[:100]})
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def ics_filename(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}.ics"
