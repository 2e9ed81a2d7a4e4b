"""Reading the rollup: sums per unit, type and measure over a period (``totals``), entry counts for
ranking (``entry_counts``), and the fullest cells an entry would add to (``fullest``).

Every read covers its period with the fewest spans (``cells.cover``) and picks, per span, the
all-organisation rows or the per-organisation ones (``spans_clause``), so a long period over many
units reads one row per cell instead of one per half-month.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActivityRollup, Unit

from .cells import ALL_ORGS, HALF, ancestors, cover, spans_of

__all__ = ["entry_counts", "fullest", "spans_clause", "totals"]


async def fullest(
    session: AsyncSession, unit: Unit, type_key: str, measure_keys: Iterable[str], day: date
) -> dict[str, int]:
    """What the fullest rollup cells an entry of ``unit`` on ``day`` would add to hold now, per
    measure: the two years (both cut-off rules) of the root of its tree, all organisations. Values
    are never negative, so every other cell the entry counts in holds at most this."""
    root = ancestors(unit)[0]
    years = [start for span, start in spans_of(day) if span == "y"]
    rows = await session.execute(
        select(ActivityRollup.measure_key, func.max(ActivityRollup.value_milli))
        .where(
            ActivityRollup.unit_id == root,
            ActivityRollup.span == "y",
            ActivityRollup.bucket.in_(years),
            ActivityRollup.org == ALL_ORGS,
            ActivityRollup.type_key == type_key,
            ActivityRollup.measure_key.in_(list(measure_keys)),
        )
        .group_by(ActivityRollup.measure_key)
    )
    return {key: int(value or 0) for key, value in rows.all()}


async def totals(
    session: AsyncSession,
    unit_ids: Sequence[int],
    start: date,
    end: date,
    *,
    org: str | None = None,
    type_key: str | None = None,
    by_org: bool = False,
) -> dict[tuple[int, str, str, str], int]:
    """Sums in thousandths, keyed (unit_id, org or "", type_key, measure_key).

    When the period is one span and the rows read are one per key (a Front-wide quarter or year
    read from the "*" rows, or one organisation, or a breakdown by organisation) the rows are
    the sums already: no GROUP BY, which was half of SQLite's time for a province's quarter."""
    if not unit_ids:
        return {}
    spans = cover(start, end)
    all_orgs = org is None and not by_org
    grouped = len(spans) > 1 or (all_orgs and spans[0][0] == HALF)
    value = func.sum(ActivityRollup.value_milli) if grouped else ActivityRollup.value_milli
    stmt = select(
        ActivityRollup.unit_id,
        ActivityRollup.type_key,
        ActivityRollup.measure_key,
        value,
        *([ActivityRollup.org] if by_org else []),
    ).where(ActivityRollup.unit_id.in_(unit_ids), spans_clause(spans, all_orgs=all_orgs))
    if org is not None:
        stmt = stmt.where(ActivityRollup.org == org)
    if type_key is not None:
        stmt = stmt.where(ActivityRollup.type_key == type_key)
    if grouped:
        group = [ActivityRollup.unit_id, ActivityRollup.type_key, ActivityRollup.measure_key]
        if by_org:
            group.append(ActivityRollup.org)
        stmt = stmt.group_by(*group)
    # Core, not the ORM's execute: plain tuples, no ORM result set-up, for thousands of rows.
    rows = (await (await session.connection()).execute(stmt)).all()
    if by_org:
        return {(r[0], r[4], r[1], r[2]): int(r[3] or 0) for r in rows}
    return {(r[0], "", r[1], r[2]): int(r[3] or 0) for r in rows}


async def entry_counts(
    session: AsyncSession,
    unit_ids: Sequence[int],
    start: date,
    end: date,
    *,
    org: str | None = None,
    type_key: str | None = None,
) -> dict[int, int]:
    """How many entries each unit's subtree logged in the period (for ranking /totals' rows), read
    from the rollup's ``entries``: an entry counts once in every measure it gave a value for, so a
    type's entries are its busiest measure's, and a unit's the sum over its types."""
    if not unit_ids:
        return {}
    spans = cover(start, end)
    stmt = (
        select(
            ActivityRollup.unit_id,
            ActivityRollup.type_key,
            ActivityRollup.measure_key,
            func.sum(ActivityRollup.entries),
        )
        .where(ActivityRollup.unit_id.in_(unit_ids), spans_clause(spans, all_orgs=org is None))
        .group_by(ActivityRollup.unit_id, ActivityRollup.type_key, ActivityRollup.measure_key)
    )
    if org is not None:
        stmt = stmt.where(ActivityRollup.org == org)
    if type_key is not None:
        stmt = stmt.where(ActivityRollup.type_key == type_key)
    busiest: dict[tuple[int, str], int] = {}
    for unit_id, kind, _measure, count in (await (await session.connection()).execute(stmt)).all():
        key = (unit_id, kind)
        busiest[key] = max(busiest.get(key, 0), int(count or 0))
    result: dict[int, int] = {}
    for (unit_id, _kind), count in busiest.items():
        result[unit_id] = result.get(unit_id, 0) + count
    return result


def spans_clause(spans: list[tuple[str, date]], *, all_orgs: bool) -> Any:
    """Rows of these spans: for every organisation together (``all_orgs``), the quarter and year
    rows marked ``ALL_ORGS`` and the half-month rows of each organisation; otherwise the rows of
    each organisation only."""
    by_span: dict[str, list[date]] = {}
    for span, bucket in spans:
        by_span.setdefault(span, []).append(bucket)
    return or_(
        *(
            and_(
                ActivityRollup.span == span,
                ActivityRollup.bucket.in_(buckets),
                ActivityRollup.org == ALL_ORGS
                if all_orgs and span != HALF
                else ActivityRollup.org != ALL_ORGS,
            )
            for span, buckets in by_span.items()
        )
    )
