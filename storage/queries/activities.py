"""Activity entries, their values, history, drafts and period locks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Activity,
    ActivityHistory,
    ActivityMeasure,
    ActivityType,
    ActivityValue,
    LogDraft,
    PeriodLock,
    Unit,
)
from storage.queries.units import Scope
from storage.queries.upsert import insert_for


async def types(session: AsyncSession, *, include_retired: bool = False) -> Sequence[ActivityType]:
    stmt = select(ActivityType).order_by(ActivityType.position, ActivityType.key)
    if not include_retired:
        stmt = stmt.where(ActivityType.retired.is_(False))
    return (await session.scalars(stmt)).all()


async def measures(session: AsyncSession, type_key: str) -> Sequence[ActivityMeasure]:
    stmt = (
        select(ActivityMeasure)
        .where(ActivityMeasure.type_key == type_key, ActivityMeasure.retired.is_(False))
        .order_by(ActivityMeasure.position)
    )
    return (await session.scalars(stmt)).all()


async def all_measures(session: AsyncSession) -> dict[str, list[ActivityMeasure]]:
    """Every active measure, by type, in one query."""
    stmt = (
        select(ActivityMeasure)
        .where(ActivityMeasure.retired.is_(False))
        .order_by(ActivityMeasure.position)
    )
    result: dict[str, list[ActivityMeasure]] = {}
    for measure in (await session.scalars(stmt)).all():
        result.setdefault(measure.type_key, []).append(measure)
    return result


async def usage_by_person(session: AsyncSession, person_id: int) -> dict[str, int]:
    stmt = (
        select(Activity.type_key, func.count())
        .where(Activity.person_id == person_id, Activity.deleted_at.is_(None))
        .group_by(Activity.type_key)
    )
    return {key: int(n) for key, n in (await session.execute(stmt)).all()}


async def last_unit_of(session: AsyncSession, person_id: int) -> int | None:
    stmt = (
        select(Activity.unit_id)
        .where(Activity.person_id == person_id)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


async def values_of(
    session: AsyncSession, activity_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    if not activity_ids:
        return {}
    rows = await session.execute(
        select(ActivityValue).where(ActivityValue.activity_id.in_(activity_ids))
    )
    result: dict[int, dict[str, int]] = {i: {} for i in activity_ids}
    for (value,) in rows.all():
        result[value.activity_id][value.measure_key] = value.value_milli
    return result


async def add_values(session: AsyncSession, activity_id: int, values_milli: dict[str, int]) -> None:
    session.add_all(
        ActivityValue(activity_id=activity_id, measure_key=k, value_milli=v)
        for k, v in values_milli.items()
    )
    await session.flush()


async def set_values(session: AsyncSession, activity_id: int, values_milli: dict[str, int]) -> None:
    await session.execute(delete(ActivityValue).where(ActivityValue.activity_id == activity_id))
    for key, value in values_milli.items():
        session.add(ActivityValue(activity_id=activity_id, measure_key=key, value_milli=value))
    await session.flush()


async def add_history(
    session: AsyncSession,
    activity_id: int,
    person_id: int | None,
    at: datetime,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        ActivityHistory(
            activity_id=activity_id,
            person_id=person_id,
            at=at,
            action=action,
            before=before,
            after=after,
        )
    )
    await session.flush()


async def history(session: AsyncSession, activity_id: int) -> Sequence[ActivityHistory]:
    stmt = (
        select(ActivityHistory)
        .where(ActivityHistory.activity_id == activity_id)
        .order_by(ActivityHistory.id)
    )
    return (await session.scalars(stmt)).all()


async def recent(
    session: AsyncSession,
    *,
    person_id: int | None = None,
    scopes: Sequence[Scope] | None = None,
    limit: int = 5,
    offset: int = 0,
) -> tuple[list[tuple[Activity, Unit]], int]:
    """Entries not deleted, newest first, with the total count for paging."""
    conds: list[ColumnElement[bool]] = [Activity.deleted_at.is_(None)]
    if person_id is not None:
        conds.append(Activity.person_id == person_id)
    if scopes is not None:
        conds.append(or_(*(scope.clause() for scope in scopes)) if scopes else false())
    base = select(Activity, Unit).join(Unit, Unit.id == Activity.unit_id).where(and_(*conds))
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    stmt = (
        base.order_by(Activity.occurred_on.desc(), Activity.id.desc()).limit(limit).offset(offset)
    )
    return [(a, u) for a, u in (await session.execute(stmt)).all()], total


async def locked(session: AsyncSession, unit: Unit, day: date) -> bool:
    """Whether an approved report covers this unit (or an ancestor's subtree) on this day."""
    ancestor_ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    stmt = select(func.count()).where(
        PeriodLock.unit_id.in_(ancestor_ids), PeriodLock.starts_on <= day, PeriodLock.ends_on >= day
    )
    return bool(await session.scalar(stmt))


async def load_draft(session: AsyncSession, person_id: int) -> dict[str, Any] | None:
    row = await session.get(LogDraft, person_id)
    return dict(row.data) if row is not None else None


async def save_draft(
    session: AsyncSession, person_id: int, data: dict[str, Any], now: datetime
) -> None:
    await session.execute(
        insert_for(session, LogDraft)
        .values(person_id=person_id, data=data, updated_at=now)
        .on_conflict_do_update(
            index_elements=[LogDraft.person_id], set_={"data": data, "updated_at": now}
        )
    )


async def discard_draft(session: AsyncSession, person_id: int) -> None:
    await session.execute(delete(LogDraft).where(LogDraft.person_id == person_id))
