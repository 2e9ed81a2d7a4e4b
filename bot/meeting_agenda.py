"""Recommendations on a meeting's agenda (issue 17, PRODUCT §5 and §10): a giao ban with the
People's Committee goes through what is still waiting for the committee's answer.

Why it is shaped this way:

- **Which meetings.** The wizard offers it for the kinds where the follow-up of citizens'
  recommendations is normally discussed (:data:`AGENDA_KINDS`: giao ban, sơ kết, tổng kết,
  tiếp xúc cử tri, and "other", which leaders pick for a meeting with the committee that fits
  no kind); not for a hiệp thương conference (candidates) or a Ban Công tác Mặt trận meeting.
  And only when there is something to attach.
- **Which items.** Those waiting for a People's Committee (forwarded or acknowledged; the
  overdue ones among them), placed or supervised in the organising unit's area: the same scope
  rule as the leader's /petitions. Items still at the Front or already answered are the Front's
  own business, not the committee's.
- **Fixed when scheduled.** The list is stored with the meeting (``meeting_petitions``), so the
  invitation, the card and every reminder show the same items; each item's history keeps "put
  on the agenda of the giao ban of 20/11/2026". What each line shows (status, due date) is read
  when it is shown.
- **No personal data.** An agenda line is the code, category, the first words of the text, the
  authority and the due date: invitees outside the item's chain see it too, so never the
  citizen's name or phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.petitions import AT_AUTHORITY
from storage.models import Meeting, Unit
from storage.queries import meeting_agenda as agenda_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q

#: The meeting kinds whose wizard offers to attach the open recommendations.
AGENDA_KINDS: Final = frozenset({"giao_ban", "so_ket", "tong_ket", "tiep_xuc_cu_tri", "other"})
#: The history step an attached item gets (``note``: ``<kind>|<ISO start>``).
EVENT: Final = "on_agenda"


@dataclass(frozen=True)
class AgendaItem:
    """One line of the agenda, as every notice and card shows it (nothing of the citizen)."""

    code: str
    category: str
    text: str
    authority: str | None
    due_on: date | None
    status: str

    def overdue_days(self, today: date) -> int:
        """Days past the due date while still at the authority (0: not overdue)."""
        if self.due_on is None or self.status not in AT_AUTHORITY:
            return 0
        return max((today - self.due_on).days, 0)


async def open_items(session: AsyncSession, unit: Unit) -> list[AgendaItem]:
    """What a meeting of ``unit`` could attach: items waiting for a People's Committee in its
    area, the earliest due (the overdue) first."""
    scope = units_q.scope_of(unit, await units_q.umbrella_orgs(session))
    rows = await agenda_q.open_in_scope(session, scope, AT_AUTHORITY)
    units = await units_q.by_ids(
        session, [p.authority_unit_id for p in rows if p.authority_unit_id is not None]
    )
    return [
        AgendaItem(
            p.code,
            p.category,
            p.text,
            units[p.authority_unit_id].name if p.authority_unit_id in units else None,
            p.due_on,
            p.status,
        )
        for p in rows
    ]


def counts(items: Sequence[AgendaItem], today: date) -> tuple[int, int]:
    """(how many, how many overdue)."""
    return len(items), sum(1 for i in items if i.overdue_days(today) > 0)


async def attach_open_items(
    session: AsyncSession, actor: Actor, meeting: Meeting, unit: Unit, now: datetime
) -> int:
    """Put the items open now in ``unit``'s area on the meeting's agenda, in the meeting's
    transaction, and note it in each item's history. Read again here, not taken from the
    wizard: what was open when the question was asked may have been answered since."""
    if meeting.kind not in AGENDA_KINDS or not actor.can_admin(unit):
        return 0
    scope = units_q.scope_of(unit, await units_q.umbrella_orgs(session))
    rows = await agenda_q.open_in_scope(session, scope, AT_AUTHORITY)
    await agenda_q.attach(session, meeting.id, [p.id for p in rows])
    note = f"{meeting.kind}|{meeting.starts_at.isoformat()}"
    for petition in rows:
        await petitions_q.add_event(
            session, petition, EVENT, now, actor.person.id, note=note, unit_id=unit.id
        )
    return len(rows)


async def agenda(session: AsyncSession, meeting_id: int) -> list[AgendaItem]:
    """The items on a meeting's agenda, in the order attached, as they are now."""
    return [
        AgendaItem(
            p.code,
            p.category,
            p.text,
            authority.name if authority is not None else None,
            p.due_on,
            p.status,
        )
        for p, authority in await agenda_q.attached(session, meeting_id)
    ]


def parse_note(note: str | None) -> tuple[str, datetime] | None:
    """The meeting's kind and start from an ``on_agenda`` history step's note."""
    kind, _, start = (note or "").partition("|")
    try:
        return kind, datetime.fromisoformat(start)
    except ValueError:
        return None
