"""The activity rollup: kept in step with every entry write, read by totals and digests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity, ActivityRollup, ActivityValue, Unit
from storage.queries.upsert import insert_for


def bucket_of(day: date) -> date:
    """Half-month buckets: days 1–14 and 15–end."""
    return date(day.year, day.month, 1 if day.day < 15 else 15)


def ancestors(unit: Unit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


async def apply(
    session: AsyncSession,
    unit: Unit,
    type_key: str,
    values_milli: dict[str, int],
    day: date,
    sign: int,
) -> None:
    """Add (sign=1) or remove (sign=-1) one entry's values for its unit and every ancestor, in one
    multi-row upsert (each (ancestor, measure) key appears once, as both databases require)."""
    bucket = bucket_of(day)
    rows = [
        {
            "unit_id": unit_id,
            "org": unit.org,
            "type_key": type_key,
            "measure_key": measure_key,
            "bucket": bucket,
            "value_milli": sign * value,
            "entries": sign,
        }
        for unit_id in ancestors(unit)
        for measure_key, value in values_milli.items()
    ]
    if not rows:
        return
    stmt = insert_for(session, ActivityRollup).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            ActivityRollup.unit_id,
            ActivityRollup.org,
            ActivityRollup.type_key,
            ActivityRollup.measure_key,
            ActivityRollup.bucket,
        ],
        set_={
            "value_milli": ActivityRollup.value_milli + stmt.excluded.value_milli,
            "entries": ActivityRollup.entries + stmt.excluded.entries,
        },
    )
    await session.execute(stmt)


def check_aligned(start: date, end: date) -> None:
    if start.day not in (1, 15) or (end + timedelta(days=1)).day not in (1, 15):
        raise ValueError(f"{start}..{end} is not a whole number of half-month buckets")


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
    """Sums in thousandths, keyed (unit_id, org or "", type_key, measure_key)."""
    check_aligned(start, end)
    if not unit_ids:
        return {}
    stmt = select(
        ActivityRollup.unit_id,
        ActivityRollup.type_key,
        ActivityRollup.measure_key,
        func.sum(ActivityRollup.value_milli),
        *([ActivityRollup.org] if by_org else []),
    ).where(
        ActivityRollup.unit_id.in_(unit_ids),
        ActivityRollup.bucket >= start,
        ActivityRollup.bucket <= end,
    )
    if org is not None:
        stmt = stmt.where(ActivityRollup.org == org)
    if type_key is not None:
        stmt = stmt.where(ActivityRollup.type_key == type_key)
    group = [ActivityRollup.unit_id, ActivityRollup.type_key, ActivityRollup.measure_key]
    if by_org:
        group.append(ActivityRollup.org)
    result: dict[tuple[int, str, str, str], int] = {}
    for row in (await session.execute(stmt.group_by(*group))).all():
        key = (int(row[0]), str(row[4]) if by_org else "", str(row[1]), str(row[2]))
        result[key] = int(row[3] or 0)
    return result


async def rebuild(session: AsyncSession) -> int:
    """Recompute the whole rollup from the entries (``phoihop rollup rebuild``)."""
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
    sums: dict[tuple[int, str, str, str, date], list[int]] = {}
    for unit_id, type_key, day, measure_key, value in rows.all():
        unit = units[unit_id]
        for ancestor in ancestors(unit):
            cell = sums.setdefault(
                (ancestor, unit.org, type_key, measure_key, bucket_of(day)), [0, 0]
            )
            cell[0] += value
            cell[1] += 1
    session.add_all(_rows(sums.items()))
    await session.flush()
    return len(sums)


def _rows(
    items: Iterable[tuple[tuple[int, str, str, str, date], list[int]]],
) -> Iterable[ActivityRollup]:
    for (unit_id, org, type_key, measure_key, bucket), (value, entries) in items:
        yield ActivityRollup(
            unit_id=unit_id,
            org=org,
            type_key=type_key,
            measure_key=measure_key,
            bucket=bucket,
            value_milli=value,
            entries=entries,
        )
