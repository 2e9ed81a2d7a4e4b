"""Activity entries, their values, history, drafts and period locks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import connection_of, note_write
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


async def catalog_version(session: AsyncSession) -> tuple[Any, ...]:
    """What changes whenever the catalog does: a load rewrites every type's ``updated_at`` (and a
    measure only changes with its type), so count, newest stamp and retired count identify it."""
    stmt = select(
        func.count(),
        func.max(ActivityType.updated_at),
        func.sum(case((ActivityType.retired, 1), else_=0)),
    )
    conn = await connection_of(session)
    row = (await conn.execute(stmt)).one()
    return tuple(row)


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


async def latest_with_values(
    session: AsyncSession, person_id: int
) -> tuple[Activity, dict[str, int]] | None:
    """The person's newest entry that is not deleted (by id: the order they were saved in) and
    its values, in one statement (a row per value). The entry is not attached to the session."""
    conn = await connection_of(session)
    rows = (await conn.execute(_LATEST, {"person_id": person_id})).all()
    if not rows:
        return None
    first = rows[0]
    activity = Activity(**{name: first[i] for i, name in enumerate(_ENTRY_FIELDS)})
    width = len(_ENTRY_FIELDS)
    values = {r[width]: r[width + 1] for r in rows if r[width] is not None}
    return activity, values


_ENTRY_FIELDS = [c.key for c in Activity.__table__.columns]
_LATEST = (
    select(
        *(Activity.__table__.c[name] for name in _ENTRY_FIELDS),
        ActivityValue.measure_key,
        ActivityValue.value_milli,
    )
    .outerjoin(ActivityValue, ActivityValue.activity_id == Activity.id)
    .where(
        Activity.id
        == select(Activity.id)
        .where(Activity.person_id == bindparam("person_id"), Activity.deleted_at.is_(None))
        .order_by(Activity.id.desc())
        .limit(1)
        .scalar_subquery()
    )
)


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


async def insert_activity(session: AsyncSession, values: dict[str, Any]) -> int:
    """A new entry's row; its id. Core on the session's connection: the ORM's unit of work cost
    more than the statement for the one row ``/log`` writes."""
    conn = await connection_of(session)
    new_id = (await conn.execute(_INSERT_ACTIVITY, values)).scalar_one()
    note_write(session)
    return int(new_id)


async def add_values(session: AsyncSession, activity_id: int, values_milli: dict[str, int]) -> None:
    if not values_milli:
        return
    conn = await connection_of(session)
    await conn.execute(
        _INSERT_VALUE,
        [
            {"activity_id": activity_id, "measure_key": k, "value_milli": v}
            for k, v in values_milli.items()
        ],
    )
    note_write(session)


async def set_values(session: AsyncSession, activity_id: int, values_milli: dict[str, int]) -> None:
    await session.execute(delete(ActivityValue).where(ActivityValue.activity_id == activity_id))
    await add_values(session, activity_id, values_milli)


async def add_history(
    session: AsyncSession,
    activity_id: int,
    person_id: int | None,
    at: datetime,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    conn = await connection_of(session)
    await conn.execute(
        _INSERT_HISTORY,
        {
            "activity_id": activity_id,
            "person_id": person_id,
            "at": at,
            "action": action,
            "before": before,
            "after": after,
        },
    )
    note_write(session)


_INSERT_ACTIVITY = insert(Activity).returning(Activity.id)
_INSERT_VALUE = insert(ActivityValue)
_INSERT_HISTORY = insert(ActivityHistory)


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
    unit_ids: Sequence[int] | None = None,
    limit: int = 5,
    offset: int = 0,
) -> tuple[list[tuple[Activity, Unit]], int]:
    """Entries not deleted, newest first, with the total count for paging; only in ``scopes``
    or ``unit_ids`` when either is given (the units one may still touch)."""
    conds: list[ColumnElement[bool]] = [Activity.deleted_at.is_(None)]
    if person_id is not None:
        conds.append(Activity.person_id == person_id)
    if scopes is not None or unit_ids is not None:
        reach = [scope.clause() for scope in scopes or ()]
        if unit_ids:
            reach.append(Activity.unit_id.in_(list(unit_ids)))
        conds.append(or_(*reach) if reach else false())
    base = select(Activity, Unit).join(Unit, Unit.id == Activity.unit_id).where(and_(*conds))
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    stmt = (
        base.order_by(Activity.occurred_on.desc(), Activity.id.desc()).limit(limit).offset(offset)
    )
    return [(a, u) for a, u in (await session.execute(stmt)).all()], total


async def lock_id(session: AsyncSession, unit: Unit, day: date) -> int | None:
    """The id of a period lock covering this unit on this day, if any (what covers what: the
    docstring of ``PeriodLock``): a lock of the unit's organisation whose prefix is one of the
    unit's path prefixes (``/1/``, ``/1/5/``, ... its own path)."""
    conn = await connection_of(session)
    padded = lock_prefixes(unit)
    if padded is None:  # deeper than any tree we know: the general form
        stmt = (
            select(PeriodLock.id)
            .where(covering_lock(_prefixes(unit), unit.org, day, day))
            .order_by(PeriodLock.id)
            .limit(1)
        )
        return await conn.scalar(stmt)
    params: dict[str, Any] = {f"p{i}": prefix for i, prefix in enumerate(padded)}
    params["org"], params["day"] = unit.org, day
    return await conn.scalar(_LOCKED, params)


def _prefixes(unit: Unit) -> list[str]:
    parts = [part for part in unit.path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def lock_prefixes(unit: Unit) -> list[str] | None:
    """The unit's path prefixes padded to ``LOCK_DEPTH`` with "" (no unit's path), for the
    statements compiled once with that many (an "expanding" IN is rewritten on every
    execution); None for a unit deeper than any tree we know, which takes the general form."""
    prefixes = _prefixes(unit)
    if len(prefixes) > LOCK_DEPTH:
        return None
    return prefixes + [""] * (LOCK_DEPTH - len(prefixes))


def covering_lock(
    prefixes: Sequence[Any], org: Any, day: Any, same_day: Any
) -> ColumnElement[bool]:
    """A ``PeriodLock`` row covers the unit with these path prefixes on the day (given twice:
    a statement run with positional parameters takes each place's own): the condition shared
    by ``lock_id`` and the rollup write that refuses a locked day in its own statement
    (``storage.queries.rollup.add_within``)."""
    return and_(
        PeriodLock.prefix.in_(list(prefixes)),
        PeriodLock.org == org,
        PeriodLock.starts_on <= day,
        PeriodLock.ends_on >= same_day,
    )


async def locked(session: AsyncSession, unit: Unit, day: date) -> bool:
    """Whether an approved report's lock covers this unit on this day."""
    return await lock_id(session, unit, day) is not None


async def lock(session: AsyncSession, lock_id: int) -> PeriodLock | None:
    return await session.get(PeriodLock, lock_id)


LOCK_DEPTH = 8
_LOCKED = (
    select(PeriodLock.id)
    .where(
        covering_lock(
            [bindparam(f"p{i}") for i in range(LOCK_DEPTH)],
            bindparam("org"),
            bindparam("day"),
            bindparam("day"),
        )
    )
    .order_by(PeriodLock.id)
    .limit(1)
)


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
