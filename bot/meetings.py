"""Meetings (PRODUCT §5): schedule, invite, RSVP, reschedule or cancel, record conclusions.

Why it is shaped this way:

- **Invitations are units, not people.** A meeting invites units (its organising unit always among
  them); whoever is a member of an invited unit is invited, including people who join later. So
  "who may see or answer" is one membership check, and the lists are computed when needed.
- **Every notice goes through the outbox** in the transaction of the change, with keys that make
  it idempotent: ``meeting:<id>:s<sequence>:<telegram id>`` for the invitation, the reschedule and
  the cancellation (each change bumps ``sequence``, which is also the ``.ics`` ``SEQUENCE``).
  Renderers re-check at send time and drop notices that no longer apply.
- **This module holds the rules; the rest lives beside it.** The SQL is in
  ``storage/queries/meetings.py``; typed times (``20/12 8h30``, ``mai 8h``, ``thứ 2 14h``) are read
  by ``bot/meeting_time.py``; reminders are planned by ``bot/meeting_reminders.py``; the calendar
  file is built by ``bot/meeting_ics.py``.
- Group chats (issue 6) are notified too: :func:`linked_chats` is the hook.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.meeting_time import MAX_DURATION, MIN_DURATION
from bot.names import sort_key
from bot.notifications import enqueue
from storage.models import Meeting, MeetingRsvp, Person, Unit
from storage.queries import chats as chats_q
from storage.queries import meetings as meetings_q
from storage.queries import units as units_q
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
#: Meetings only the Front convenes: its consultative conference (hiệp thương), meeting voters
#: with the deputies (tiếp xúc cử tri, which the Front organises) and the residential areas' Front
#: work committee (sinh hoạt Ban Công tác Mặt trận). A People's Committee or a member organisation
#: is offered the rest: its giao ban, reviews and "other".
FRONT_ONLY: Final = frozenset({"hiep_thuong", "tiep_xuc_cu_tri", "ban_cong_tac"})
ANSWERS: Final = ("yes", "no", "delegate")
#: A row created only to record attendance of someone who never answered.
NO_ANSWER: Final = "none"

MAX_TITLE: Final = 200
MAX_PLACE: Final = 200
MAX_AGENDA: Final = 2000
MAX_REASON: Final = 500
MAX_DELEGATE: Final = 200
MAX_CONCLUSIONS: Final = 4000


class MeetingError(Exception):
    """A meeting action cannot be done; ``code`` selects the localized explanation."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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


def kinds_for(unit: Unit, umbrellas: set[str]) -> tuple[str, ...]:
    """The meeting types ``unit`` convenes, in the order they are offered: all of them for the
    Front (the umbrella organisation, ``units_q.umbrella_orgs``), the others without ``FRONT_ONLY``."""
    if unit.org in umbrellas:
        return KINDS
    return tuple(k for k in KINDS if k not in FRONT_ONLY)


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
    if plan.kind not in kinds_for(unit, await units_q.umbrella_orgs(session)):
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
    await meetings_q.add(session, meeting, targets)
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
    return await meetings_q.reachable(session, unit_ids)


async def invited_unit_ids(session: AsyncSession, meeting_id: int) -> list[int]:
    return await meetings_q.invited_unit_ids(session, meeting_id)


async def invited_units(session: AsyncSession, meeting_id: int) -> list[Unit]:
    return await meetings_q.invited_units(session, meeting_id)


async def invitees(session: AsyncSession, meeting: Meeting) -> list[Person]:
    """Every member of an invited unit, once, by name."""
    return await meetings_q.invitees(session, meeting.id)


async def recipients(session: AsyncSession, meeting: Meeting) -> list[Person]:
    """Invitees the bot may write to (they started it and did not block it)."""
    return await meetings_q.recipients(session, meeting.id)


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
    meeting = await meetings_q.get(session, meeting_id)
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
    scopes = [role.scope for role in actor.admin_roles()]
    found = await meetings_q.visible(session, mine, scopes, now, past=past)
    # Ended ones are filtered here (the end depends on the duration).
    rows = [m for m in found if past or ends_at(m) > now]
    return rows[:limit]


# --- answers --------------------------------------------------------------------------------


async def answer_of(session: AsyncSession, meeting_id: int, person_id: int) -> MeetingRsvp | None:
    return await meetings_q.answer_of(session, meeting_id, person_id)


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
    await meetings_q.save_answer(session, meeting.id, actor.person.id, values)
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
    answered = {r.person_id: r for r in await meetings_q.answers(session, meeting.id)}
    missing = [pid for pid in answered if pid not in people]
    if missing:
        for p in await meetings_q.people(session, missing):
            people[p.id] = p
    for pid, person in sorted(people.items(), key=lambda kv: (*sort_key(kv[1]), kv[0])):
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
    await meetings_q.clear_answers(session, meeting.id)
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
    if not await meetings_q.mark_cancelled(session, meeting.id, now):
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
    answered = await meetings_q.answered_ids(session, meeting.id)
    for pid in people | answered:
        attended = pid in present
        if pid in answered:
            await meetings_q.set_attended(session, meeting.id, pid, attended)
        else:
            meetings_q.add_attendance(
                session, meeting.id, pid, answer=NO_ANSWER, attended=attended, now=now
            )
    meeting.updated_at = now
    await session.flush()
    return len([pid for pid in people | answered if pid in present])
