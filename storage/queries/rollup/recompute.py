"""Recomputing the whole rollup from the entries (``phoihop rollup rebuild``, the demo data, tests
that check the incremental writes against it).

Half-months are summed from the entries, quarters and years from the half-months
(``coarse_sums``), and the rows inserted in batches: the same cells the writes keep, counted
another way, which is what makes it a check on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity, ActivityRollup, ActivityValue, Unit

from .cells import ALL_ORGS, HALF, ancestors, bucket_of, spans_of

__all__ = ["coarse_sums", "rebuild"]


async def rebuild(session: AsyncSession) -> int:
    """Recompute the whole rollup from the entries (``phoihop rollup rebuild``): half-months summed
    from the entries, quarters and years from the half-months, inserted in batches of plain rows."""
    await session.execute(delete(ActivityRollup))
    units = {u.id: u for u in (await session.scalars(select(Unit))).all()}
    rows = await session.execute(
        select(
            Activity.unit_id,
            Activity.type_key,
            Activity.occurred_on,
            ActivityValue.measure_key,
            ActivityValue.value_milli,
        )
        .join(ActivityValue, ActivityValue.activity_id == Activity.id)
        .where(Activity.deleted_at.is_(None))
    )
    sums: dict[tuple[int, str, date, str, str, str], list[int]] = {}
    for unit_id, type_key, day, measure_key, value in rows.all():
        unit = units[unit_id]
        for ancestor in ancestors(unit):
            cell = sums.setdefault(
                (ancestor, HALF, bucket_of(day), unit.org, type_key, measure_key), [0, 0]
            )
            cell[0] += value
            cell[1] += 1
    sums.update(coarse_sums(sums))
    batch: list[dict[str, Any]] = []
    for row in _rows(sums.items()):
        batch.append(row)
        if len(batch) == 5000:
            await session.execute(insert(ActivityRollup), batch)
            batch = []
    if batch:
        await session.execute(insert(ActivityRollup), batch)
    return len(sums)


def coarse_sums(
    halves: dict[tuple[int, str, date, str, str, str], list[int]],
) -> dict[tuple[int, str, date, str, str, str], list[int]]:
    """Quarter and year rows, per organisation and for all organisations, from half-month rows:
    each half-month lies in exactly one span of each kind and alignment."""
    result: dict[tuple[int, str, date, str, str, str], list[int]] = {}
    for (unit_id, _half, bucket, org, type_key, measure_key), (value, entries) in halves.items():
        for span, start in spans_of(bucket)[1:]:
            for key_org in (org, ALL_ORGS):
                key = (unit_id, span, start, key_org, type_key, measure_key)
                cell = result.setdefault(key, [0, 0])
                cell[0] += value
                cell[1] += entries
    return result


def _rows(
    items: Iterable[tuple[tuple[int, str, date, str, str, str], list[int]]],
) -> Iterable[dict[str, Any]]:
    for (unit_id, span, bucket, org, type_key, measure_key), (value, entries) in items:
        yield {
            "unit_id": unit_id,
            "span": span,
            "bucket": bucket,
            "org": org,
            "type_key": type_key,
            "measure_key": measure_key,
            "value_milli": value,
            "entries": entries,
        }
