"""Membership has a life cycle: leaders (for their subtree) and operators list a unit's members
and pending invites, remove a member, change a role (higher or lower) and withdraw an invite.

Every change is audited (``membership_events``: who, when, whose, before, after, from the bot or
the command line), from the first one on: a membership begun or raised by an invite link
(``join``: by whoever made the link) or by ``phoihop admin grant`` (``grant``) too. The moment a membership ends or is lowered, every right it gave ends with it,
in the same transaction (``end_rights``):

- the person's open flows and kept drafts that worked for a unit they no longer reach are closed
  (each flow's state carries the unit it works for and whether it needs leader rights,
  ``chat_states.unit_id/leads``), and so is an unsaved activity entry for that unit;
- their notices not yet sent that concern such a unit (reminders, invitations) are dropped;
- they are told, once, in their language (the ``membership_changed`` notice).

Their saved entries stay the unit's: the edit check (``bot.activities.editable``) asks for
current rights over the entry's unit, not authorship alone, so the unit's leaders keep them and
the former member no longer can. A report's answers are the unit's shared draft and stay.

``actor`` None is an operator at the command line: no subtree, no rank limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor, load_actor
from bot.notifications import enqueue
from storage.models import Invite, Meeting, MembershipEvent, Person, Report, ReportRound, Unit
from storage.queries import activities as act_q
from storage.queries import meetings as meetings_q
from storage.queries import members as members_q
from storage.queries import people as people_q
from storage.queries import state as state_q
from storage.queries import units as units_q
from storage.queries.people import ROLE_RANK, ROLES

#: What a leader may give in the bot (operators are made from the command line).
BOT_ROLES = ("cadre", "admin")

#: How many of a unit's last membership changes are shown (/members' "Change history" and
#: ``phoihop admin list``).
CHANGES_SHOWN = 20


class MemberError(Exception):
    """Why a change is refused: ``forbidden`` (not a unit the actor leads), ``not_member``,
    ``above`` (a role above the actor's own), ``last_leader`` (one's own change would leave the
    unit with no leader), ``same`` (the role it already has), ``role`` (no such role),
    ``no_invite``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Member:
    person: Person
    role: str
    since: datetime


@dataclass(frozen=True)
class Roster:
    unit: Unit
    members: list[Member]
    invites: list[Invite]


@dataclass(frozen=True)
class Change:
    """One line of a unit's audit with the people it names: ``person`` whose membership changed
    (None for a withdrawn link), ``by`` who did it (None: an operator at the command line, or an
    invite link an operator made)."""

    event: MembershipEvent
    person: Person | None
    by: Person | None


@dataclass(frozen=True)
class Ended:
    """What a change did: the role before and after (None: removed), the flows it closed
    (their names), the notices it dropped."""

    person: Person
    unit: Unit
    before: str
    after: str | None
    closed: list[str] = field(default_factory=list)
    dropped: int = 0


def rank_of(actor: Actor | None) -> int:
    """The highest role an actor may touch or give (an operator at the CLI: any)."""
    if actor is None or actor.is_owner:
        return ROLE_RANK["owner"]
    return ROLE_RANK["admin"] if actor.is_admin else 0


def may_manage(actor: Actor | None, unit: Unit) -> bool:
    return actor is None or actor.can_admin(unit)


async def roster(session: AsyncSession, actor: Actor | None, unit: Unit, now: datetime) -> Roster:
    """The unit's members (leaders first, then by name) and its invites still usable."""
    if not may_manage(actor, unit):
        raise MemberError("forbidden")
    rows = await members_q.roster(session, unit.id)
    members = [Member(p, m.role, m.created_at) for p, m in rows]
    members.sort(key=lambda m: -ROLE_RANK.get(m.role, 0))
    invites = list(await members_q.pending_invites(session, unit.id, now))
    return Roster(unit, members, invites)


async def changes(
    session: AsyncSession, actor: Actor | None, unit: Unit, last: int = CHANGES_SHOWN
) -> list[Change]:
    """The unit's last membership changes, oldest first: to those who may manage its members
    (the list's own rule), in the bot and at the command line alike."""
    if not may_manage(actor, unit):
        raise MemberError("forbidden")
    events = await members_q.events(session, unit.id, last=last)
    named = {i for e in events for i in (e.person_id, e.by_id) if i is not None}
    people = {p.id: p for p in await people_q.by_ids(session, named)}
    return [
        Change(
            e,
            people.get(e.person_id) if e.person_id is not None else None,
            people.get(e.by_id) if e.by_id is not None else None,
        )
        for e in events
    ]


async def _target(
    session: AsyncSession, actor: Actor | None, unit: Unit, person_id: int
) -> tuple[Person, str]:
    if not may_manage(actor, unit):
        raise MemberError("forbidden")
    held = await members_q.membership(session, person_id, unit.id)
    person = await session.get(Person, person_id)
    if held is None or person is None:
        raise MemberError("not_member")
    if ROLE_RANK.get(held.role, 0) > rank_of(actor):
        raise MemberError("above")
    return person, held.role


async def _others_lead(session: AsyncSession, unit: Unit, person_id: int) -> bool:
    """Whether someone other than ``person_id`` leads the unit: an admin of it, or of a unit
    above whose part of the tree covers it (operators are not the unit's leaders)."""
    ancestors = [int(part) for part in unit.path.strip("/").split("/") if part]
    umbrellas = await units_q.umbrella_orgs(session)
    for pid, where in await members_q.leaders_in(session, ancestors, ("admin",)):
        if pid != person_id and units_q.scope_of(where, umbrellas).contains(unit):
            return True
    return False


async def _guard_self(
    session: AsyncSession, actor: Actor | None, unit: Unit, person: Person, before: str
) -> None:
    """A leader's own removal or demotion must leave the unit someone to lead it."""
    own = actor is not None and actor.person.id == person.id
    leading = ROLE_RANK[before] >= ROLE_RANK["admin"]
    if own and leading and not await _others_lead(session, unit, person.id):
        raise MemberError("last_leader")


async def remove(
    session: AsyncSession, actor: Actor | None, unit: Unit, person_id: int, now: datetime
) -> Ended:
    """End a membership, audited; the rights it gave end with it (``end_rights``)."""
    person, before = await _target(session, actor, unit, person_id)
    await _guard_self(session, actor, unit, person, before)
    await members_q.remove(session, person.id, unit.id)
    event = await _audit(session, actor, unit, now, "remove", person=person, before=before)
    return await end_rights(session, person, unit, before, None, now, event)


async def set_role(
    session: AsyncSession,
    actor: Actor | None,
    unit: Unit,
    person_id: int,
    role: str,
    now: datetime,
) -> Ended:
    """Change a member's role, up or down, never above the actor's own; audited."""
    if role not in ROLES:
        raise MemberError("role")
    person, before = await _target(session, actor, unit, person_id)
    if ROLE_RANK[role] > rank_of(actor):
        raise MemberError("above")
    if role == before:
        raise MemberError("same")
    if ROLE_RANK[role] < ROLE_RANK[before]:
        await _guard_self(session, actor, unit, person, before)
    source = "cli" if actor is None else f"by:{actor.person.id}"
    await members_q.set_role(session, person.id, unit.id, role, source)
    event = await _audit(
        session, actor, unit, now, "role", person=person, before=before, after=role
    )
    if ROLE_RANK[role] > ROLE_RANK[before]:
        await _tell(session, person, unit, before, role, [], now, event)
        return Ended(person, unit, before, role)
    return await end_rights(session, person, unit, before, role, now, event)


async def grant(
    session: AsyncSession,
    actor: Actor | None,
    unit: Unit,
    person: Person,
    role: str,
    now: datetime,
    *,
    invite: Invite | None = None,
) -> str:
    """Give ``role`` in the unit, keeping a higher one (``grant`` never lowers: ``set_role``
    does): an operator's ``phoihop admin grant`` (``actor`` None), or an invite link redeemed
    (``invite``). Audited when it changes something; returns the role now held."""
    before = await people_q.role_in(session, person.id, unit.id)
    source = f"invite:{invite.id}" if invite is not None else "cli" if actor is None else "bot"
    held = await people_q.grant(session, person.id, unit.id, role, now, source)
    if held != before:
        await members_q.record(
            session,
            at=now,
            unit_id=unit.id,
            action="join" if invite is not None else "grant",
            source="invite" if invite is not None else "cli" if actor is None else "bot",
            person_id=person.id,
            # An invite's join is the doing of whoever made the link (None: an operator).
            by_id=(invite.created_by if invite is not None else None)
            if actor is None
            else actor.person.id,
            role_before=before,
            role_after=held,
            invite_id=invite.id if invite is not None else None,
        )
    return held


async def revoke(
    session: AsyncSession, actor: Actor | None, invite_id: int, now: datetime
) -> tuple[Invite, Unit]:
    """Withdraw an invite: its link answers "withdrawn" from now on; audited."""
    invite = await members_q.invite(session, invite_id)
    unit = await units_q.get(session, invite.unit_id) if invite is not None else None
    if invite is None or unit is None:
        raise MemberError("no_invite")
    if not may_manage(actor, unit):
        raise MemberError("forbidden")
    if ROLE_RANK.get(invite.role, 0) > rank_of(actor):
        raise MemberError("above")
    if not invite.revoked:
        invite.revoked = True
        await session.flush()
        await _audit(session, actor, unit, now, "revoke", invite=invite)
    return invite, unit


async def _audit(
    session: AsyncSession,
    actor: Actor | None,
    unit: Unit,
    now: datetime,
    action: str,
    *,
    person: Person | None = None,
    before: str | None = None,
    after: str | None = None,
    invite: Invite | None = None,
) -> int:
    event = await members_q.record(
        session,
        at=now,
        unit_id=unit.id,
        action=action,
        source="cli" if actor is None else "bot",
        person_id=person.id if person is not None else None,
        by_id=actor.person.id if actor is not None else None,
        role_before=before if invite is None else invite.role,
        role_after=after,
        invite_id=invite.id if invite is not None else None,
    )
    return event.id


# --- the end of rights ----------------------------------------------------------------------


def _reaches(actor: Actor, unit: Unit | None, leads: bool) -> bool:
    """Whether the (changed) person still has the rights a flow or notice needs."""
    if unit is None:
        return actor.is_admin if leads else actor.is_member
    return actor.can_admin(unit) if leads else actor.can_work_for(unit)


async def end_rights(
    session: AsyncSession,
    person: Person,
    unit: Unit,
    before: str,
    after: str | None,
    now: datetime,
    event: int,
) -> Ended:
    """Close what the person may no longer do, in the caller's transaction: their flows and
    drafts for units they no longer reach, their pending notices about them; then tell them."""
    actor = await load_actor(session, person)
    units: dict[int, Unit | None] = {}

    async def unit_of(unit_id: int | None) -> Unit | None:
        if unit_id is None:
            return None
        if unit_id not in units:
            units[unit_id] = await units_q.get(session, unit_id)
        return units[unit_id]

    closed: list[str] = []
    for item in await state_q.held(session, person.telegram_id):
        target = await unit_of(item.unit_id)
        if item.unit_id is not None and target is None:
            continue  # a unit that is gone: nothing to judge by
        if not _reaches(actor, target, item.leads):
            await state_q.drop_held(session, person.telegram_id, item)
            if item.flow not in closed:
                closed.append(item.flow)
    draft = await act_q.load_draft(session, person.id)
    if draft is not None:
        draft_unit = await unit_of(int(draft["unit_id"])) if draft.get("unit_id") else None
        if (draft_unit is not None or not actor.is_member) and not _reaches(
            actor, draft_unit, False
        ):
            await act_q.discard_draft(session, person.id)
            if "log" not in closed:
                closed.append("log")
    dropped = await _drop_notices(session, actor, person)
    await _tell(session, person, unit, before, after, closed, now, event)
    return Ended(person, unit, before, after, closed, dropped)


async def _tell(
    session: AsyncSession,
    person: Person,
    unit: Unit,
    before: str,
    after: str | None,
    closed: list[str],
    now: datetime,
    event: int,
) -> None:
    """The person hears of the change (and of what it closed) once, in their language."""
    if not person.started or person.blocked:
        return
    await enqueue(
        session,
        key=f"membership:{event}",
        chat_id=person.telegram_id,
        kind="membership_changed",
        params={"unit_id": unit.id, "before": before, "after": after, "closed": closed},
        now=now,
    )


async def _drop_notices(session: AsyncSession, actor: Actor, person: Person) -> int:
    """Pending notices to the person about a report, round or meeting they no longer reach."""
    dropped: list[int] = []
    for row_id, kind, params in await members_q.waiting_notices(session, person.telegram_id):
        if not await _still_theirs(session, actor, kind, params):
            dropped.append(row_id)
    await members_q.drop_notices(session, dropped, "membership ended")
    return len(dropped)


async def _still_theirs(
    session: AsyncSession, actor: Actor, kind: str, params: dict[str, Any]
) -> bool:
    """Whether a notice still concerns its recipient (kinds about no unit: always)."""
    if "report_id" in params:
        report = await session.get(Report, int(params["report_id"]))
        unit = await units_q.get(session, report.unit_id) if report is not None else None
        return unit is None or _reaches(actor, unit, False)
    if "round_id" in params:
        round_ = await session.get(ReportRound, int(params["round_id"]))
        unit = await units_q.get(session, round_.unit_id) if round_ is not None else None
        return unit is None or _reaches(actor, unit, True)
    if "meeting_id" in params:
        meeting = await session.get(Meeting, int(params["meeting_id"]))
        if meeting is None:
            return True
        invited = set(await meetings_q.invited_unit_ids(session, meeting.id))
        organising = await units_q.get(session, meeting.unit_id)
        return any(r.unit.id in invited for r in actor.roles) or (
            organising is not None and actor.can_admin(organising)
        )
    return True


def roles_below(actor: Actor | None, choices: Sequence[str] = BOT_ROLES) -> list[str]:
    """The roles this actor may give (never above their own)."""
    return [r for r in choices if ROLE_RANK[r] <= rank_of(actor)]
