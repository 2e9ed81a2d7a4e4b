"""Saving, editing and deleting activity entries, each with its audit history and its share of the
rollup, and who may change an entry (rights over its unit now; not in a locked period).

Values are ``Decimal`` here and thousandths in the database (``to_milli`` / ``from_milli``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_window
from bot.access import Actor
from storage.models import Activity, Unit
from storage.queries import activities as act_q
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q

__all__ = [
    "MAX_NOTE",
    "MILLI",
    "EntryError",
    "NewEntry",
    "copy_of",
    "create_entry",
    "delete_entry",
    "edit_entry",
    "editable",
    "from_milli",
    "repeat_of",
    "snapshot",
    "to_milli",
    "units_for_logging",
    "viewable",
]


MAX_NOTE = 1000


MILLI = Decimal(1000)


class EntryError(Exception):
    """An entry cannot be changed; ``code`` says why (for a localized message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def to_milli(value: Decimal) -> int:
    return int(value * MILLI)


def from_milli(value: int) -> Decimal:
    return (Decimal(value) / MILLI).normalize() if value % 1000 else Decimal(value // 1000)


async def units_for_logging(session: AsyncSession, actor: Actor) -> list[Unit]:
    """The units a person logs for: those they are a member of (an admin logs for their own unit;
    logging for a sub-unit is the sub-unit cadres' work)."""
    seen: dict[int, Unit] = {}
    for role in actor.roles:
        seen.setdefault(role.unit.id, role.unit)
    return sorted(seen.values(), key=lambda u: u.path)


@dataclass(frozen=True)
class NewEntry:
    unit_id: int
    type_key: str
    values: dict[str, Decimal]
    occurred_on: date
    note: str | None = None
    photo_file_id: str | None = None
    source: str = "guided"


async def create_entry(
    session: AsyncSession, actor: Actor, entry: NewEntry, now: datetime
) -> Activity:
    """Save an entry, its history row and its share of the rollup in the caller's transaction.

    Returns the entry as saved, not attached to the session (written with Core statements)."""
    unit = actor.unit(entry.unit_id) or await units_q.get(session, entry.unit_id)
    if unit is None or not actor.can_work_for(unit):
        raise EntryError("forbidden")
    problem = (
        "all_zero"
        if not any(v > 0 for v in entry.values.values())
        else "bad_date"
        if not date_window.within(entry.occurred_on, now.date())
        else None
    )
    milli = {k: to_milli(v) for k, v in entry.values.items()}
    # First, and whole or not at all: a locked day, or a total past what the database sums
    # exactly, refuses the entry before anything of it is written, in the rollup write itself
    # (``rollup_q.add_within``). A refusal names the lock first, as it always did.
    if problem is not None or not await rollup_q.add_within(
        session, unit, entry.type_key, milli, entry.occurred_on
    ):
        if await act_q.locked(session, unit, entry.occurred_on):
            raise EntryError("locked")
        raise EntryError(problem or "too_large")
    fields = {
        "unit_id": unit.id,
        "person_id": actor.person.id,
        "type_key": entry.type_key,
        "occurred_on": entry.occurred_on,
        "note": entry.note,
        "photo_file_id": entry.photo_file_id,
        "source": entry.source,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    activity = Activity(id=await act_q.insert_activity(session, fields), **fields)
    await act_q.add_values(session, activity.id, milli)
    await act_q.add_history(
        session, activity.id, actor.person.id, now, "create", None, snapshot_of(activity, milli)
    )
    return activity


def _years(day: date) -> list[tuple[str, date]]:
    return [span for span in rollup_q.spans_of(day) if span[0] == "y"]


async def _check_room(
    session: AsyncSession,
    unit: Unit,
    type_key: str,
    adding: dict[str, int],
    day: date,
    removing: dict[str, int] | None = None,
) -> None:
    """Refuse (``EntryError("too_large")``) a change that would carry a total past what the database
    sums exactly (``rollup_q.SUM_LIMIT_MILLI``): each value is bounded at input
    (``bot.parsing.MAX_VALUE``), but many entries at that bound are not. ``removing`` is what the
    same cells lose in the same change (an edit within the same years). For edits (rare); a new
    entry's check is part of its rollup write (``create_entry``)."""
    fullest = await rollup_q.fullest(session, unit, type_key, adding, day)
    for key, value in adding.items():
        after = fullest.get(key, 0) + value - (removing or {}).get(key, 0)
        if after > rollup_q.SUM_LIMIT_MILLI:
            raise EntryError("too_large")


async def repeat_of(
    session: AsyncSession, person_id: int, entry: NewEntry, since: datetime
) -> Activity | None:
    """The person's latest entry if it says exactly what ``entry`` says and was saved after
    ``since``: the same one-line ``/log`` sent again, most likely because its answer never came.
    One statement: the entry with its values."""
    found = await act_q.latest_with_values(session, person_id)
    if found is None:
        return None
    latest, values = found
    if latest.created_at < since or (
        latest.unit_id,
        latest.type_key,
        latest.occurred_on,
        latest.note,
        latest.photo_file_id,
    ) != (entry.unit_id, entry.type_key, entry.occurred_on, entry.note, entry.photo_file_id):
        return None
    wanted = {k: to_milli(v) for k, v in entry.values.items()}
    return latest if values == wanted else None


async def copy_of(session: AsyncSession, person_id: int, activity_id: int) -> NewEntry | None:
    """A new entry saying what the person's latest entry says, if ``activity_id`` is still that
    entry (a second tap, or an entry saved since, makes the offer stale)."""
    found = await act_q.latest_with_values(session, person_id)
    if found is None or found[0].id != activity_id:
        return None
    latest, values = found
    return NewEntry(
        unit_id=latest.unit_id,
        type_key=latest.type_key,
        values={k: from_milli(v) for k, v in values.items()},
        occurred_on=latest.occurred_on,
        note=latest.note,
        photo_file_id=latest.photo_file_id,
        source=latest.source,
    )


async def snapshot(session: AsyncSession, activity: Activity) -> dict[str, Any]:
    return snapshot_of(activity, (await act_q.values_of(session, [activity.id]))[activity.id])


def snapshot_of(activity: Activity, values: dict[str, int]) -> dict[str, Any]:
    """An entry as its history keeps it ("before" / "after"), from its values in milli-units."""
    return {
        "type": activity.type_key,
        "unit_id": activity.unit_id,
        "occurred_on": activity.occurred_on.isoformat(),
        "note": activity.note,
        "photo": activity.photo_file_id,
        "values": {k: str(from_milli(v)) for k, v in sorted(values.items())},
    }


async def editable(session: AsyncSession, actor: Actor, activity_id: int) -> tuple[Activity, Unit]:
    """The entry if this actor may change it now, else ``EntryError``."""
    activity = await session.get(Activity, activity_id)
    if activity is None or activity.deleted_at is not None:
        raise EntryError("not_found")
    unit = await units_q.get(session, activity.unit_id)
    assert unit is not None
    if not _may_touch(actor, activity, unit):
        raise EntryError("forbidden")
    if await act_q.locked(session, unit, activity.occurred_on):
        raise EntryError("locked")
    return activity, unit


def _may_touch(actor: Actor, activity: Activity, unit: Unit) -> bool:
    """Rights over the entry's unit now, not authorship alone: a member who left the unit (or
    was removed) no longer touches its entries, which stay the unit's, for its leaders."""
    own = activity.person_id == actor.person.id and actor.can_work_for(unit)
    return own or actor.can_admin(unit)


async def viewable(session: AsyncSession, actor: Actor, activity_id: int) -> Activity:
    """The entry if this actor may see its history: as ``editable``, but a locked period does
    not hide what happened to an entry (issue 16: locked entries keep their History button)."""
    activity = await session.get(Activity, activity_id)
    if activity is None or activity.deleted_at is not None:
        raise EntryError("not_found")
    unit = await units_q.get(session, activity.unit_id)
    assert unit is not None
    if not _may_touch(actor, activity, unit):
        raise EntryError("forbidden")
    return activity


async def edit_entry(
    session: AsyncSession,
    actor: Actor,
    activity_id: int,
    now: datetime,
    *,
    values: dict[str, Decimal] | None = None,
    occurred_on: date | None = None,
    note: str | None = None,
    change_note: bool = False,
) -> Activity:
    """Change an entry: history keeps before and after; the rollup moves from old to new."""
    activity, unit = await editable(session, actor, activity_id)
    old_milli = (await act_q.values_of(session, [activity.id]))[activity.id]
    old_day = activity.occurred_on
    before = snapshot_of(activity, old_milli)
    if occurred_on is not None:
        if not date_window.within(occurred_on, now.date()):
            raise EntryError("bad_date")
        if await act_q.locked(session, unit, occurred_on):
            raise EntryError("locked")
        activity.occurred_on = occurred_on
    if change_note:
        activity.note = note
    new_milli = dict(old_milli)
    if values is not None:
        new_milli.update({k: to_milli(v) for k, v in values.items()})
        if not any(v > 0 for v in new_milli.values()):
            raise EntryError("all_zero")
        await act_q.set_values(session, activity.id, new_milli)
    if values is not None or occurred_on is not None:
        same_years = _years(old_day) == _years(activity.occurred_on)
        await _check_room(
            session,
            unit,
            activity.type_key,
            new_milli,
            activity.occurred_on,
            old_milli if same_years else None,
        )
        await rollup_q.apply(session, unit, activity.type_key, old_milli, old_day, -1)
        await rollup_q.apply(session, unit, activity.type_key, new_milli, activity.occurred_on, +1)
    activity.updated_at = now
    activity.version += 1
    await session.flush()
    await act_q.add_history(
        session, activity.id, actor.person.id, now, "edit", before, snapshot_of(activity, new_milli)
    )
    return activity


async def delete_entry(
    session: AsyncSession, actor: Actor, activity_id: int, now: datetime
) -> Activity:
    activity, unit = await editable(session, actor, activity_id)
    milli = (await act_q.values_of(session, [activity.id]))[activity.id]
    before = snapshot_of(activity, milli)
    activity.deleted_at = now
    activity.version += 1
    await session.flush()
    await rollup_q.apply(session, unit, activity.type_key, milli, activity.occurred_on, -1)
    await act_q.add_history(session, activity.id, actor.person.id, now, "delete", before, None)
    return activity
