"""Counting citizens' recommendations (issue 17, PRODUCT §10) for the digests and ``/totals
petitions``: how many came in and were answered, which authorities are late, how long answers take.

Both read the same facts (``storage.queries.petition_stats.facts``) under the same scope rule as
the activity totals (``bot.totals.scope_node``: a Front committee covers every organisation in its
area, a member organisation its own), so the digest's line and /totals agree with each other and
with the items. Days are local calendar days: "answered in 12 days" counts from the day it was
forwarded to the day of the answer, as people count them; "on time" is an answer on or before
the due date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import mean, median
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.petitions import AT_AUTHORITY
from bot.totals import scope_node
from storage.models import Unit
from storage.queries import petition_stats as stats_q
from storage.queries.petition_stats import Fact


def _local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _days_to_answer(fact: Fact, tz: ZoneInfo) -> int | None:
    if fact.forwarded_at is None or fact.answered_at is None:
        return None
    return (_local_day(fact.answered_at, tz) - _local_day(fact.forwarded_at, tz)).days


def _overdue(facts: list[Fact], today: date) -> list[tuple[str, int]]:
    """(authority, items overdue now), most first."""
    late = Counter(
        f.authority or ""
        for f in facts
        if f.status in AT_AUTHORITY and f.due_on is not None and f.due_on < today
    )
    return sorted(late.items(), key=lambda item: (-item[1], item[0]))


def _bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's days as instants: from ``start``'s midnight to the one after ``end``."""
    return (
        datetime.combine(start, time(), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=tz),
    )


@dataclass(frozen=True)
class DigestLine:
    """The digest's petitions line for a unit's subtree over the digest's period."""

    new: int
    answered: int
    #: (authority, items overdue now), most first.
    overdue: list[tuple[str, int]]
    #: Mean local days from forwarding to the answer of the items answered in the period.
    average_days: float | None

    @property
    def empty(self) -> bool:
        return not (self.new or self.answered or self.overdue)


async def digest_line(
    session: AsyncSession, unit: Unit, start: date, end: date, today: date, tz: ZoneInfo
) -> DigestLine:
    node, org = await scope_node(session, unit)
    answered_from, answered_until = _bounds(start, end, tz)
    facts = await stats_q.facts(
        session,
        node.path,
        org,
        received=(start, end),
        answered=(answered_from, answered_until),
        overdue_before=today,
        waiting=AT_AUTHORITY,
    )
    answered = [
        f
        for f in facts
        if f.answered_at is not None and answered_from <= f.answered_at < answered_until
    ]
    days = [d for d in (_days_to_answer(f, tz) for f in answered) if d is not None]
    return DigestLine(
        new=sum(1 for f in facts if start <= f.received_on <= end),
        answered=len(answered),
        overdue=_overdue(facts, today),
        average_days=mean(days) if days else None,
    )


@dataclass(frozen=True)
class PetitionTotals:
    """``/totals petitions``: the items received in a period in a subtree."""

    total: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    #: (authority, items forwarded to it), most first.
    by_authority: list[tuple[str, int]] = field(default_factory=list)
    #: Items with an answer from an authority, and those answered on or before the due date.
    answered: int = 0
    on_time: int = 0
    median_days: float | None = None
    overdue: list[tuple[str, int]] = field(default_factory=list)


async def totals(
    session: AsyncSession, unit: Unit, start: date, end: date, today: date, tz: ZoneInfo
) -> PetitionTotals:
    """Counts of the items received from ``start`` to ``end`` (days, inclusive) under the
    unit's scope; overdue ones among them as of ``today``."""
    node, org = await scope_node(session, unit)
    facts = await stats_q.facts(session, node.path, org, received=(start, end))
    answered = [f for f in facts if f.answered_at is not None and f.due_on is not None]
    on_time = [
        f
        for f in answered
        if f.answered_at is not None
        and f.due_on is not None
        and _local_day(f.answered_at, tz) <= f.due_on
    ]
    days = [d for d in (_days_to_answer(f, tz) for f in answered) if d is not None]
    authorities = Counter(f.authority for f in facts if f.authority is not None)
    return PetitionTotals(
        total=len(facts),
        by_status=dict(Counter(f.status for f in facts)),
        by_category=dict(Counter(f.category for f in facts)),
        by_authority=sorted(authorities.items(), key=lambda item: (-item[1], item[0])),
        answered=len(answered),
        on_time=len(on_time),
        median_days=float(median(days)) if days else None,
        overdue=_overdue(facts, today),
    )
