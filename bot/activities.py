"""The activity log's domain: the catalog as cadres see it, drafts and their next step, saving,
editing and deleting entries with an audit history, and the lock set by approved reports.

Values are ``Decimal`` here and thousandths in the database (exact sums on every backend).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_window
from bot.access import Actor
from storage.models import Activity, ActivityMeasure, Unit
from storage.queries import activities as act_q
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q

MAX_NOTE = 1000
MILLI = Decimal(1000)


class EntryError(Exception):
    """An entry cannot be changed; ``code`` says why (for a localized message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Measure:
    key: str
    kind: str
    label_vi: str
    label_en: str
    unit_vi: str
    unit_en: str
    ceiling: int | None
    #: The English unit for exactly one ("case" beside "cases"); empty: the plural serves.
    unit_en_one: str = ""
    #: The catalog's words for this measure in free text (``bot.free_text``).
    words: tuple[str, ...] = ()

    def label(self, locale: str) -> str:
        return self.label_vi if locale == "vi" else self.label_en

    def unit(self, locale: str, value: Decimal | None = None) -> str:
        """The unit as a figure is read: Vietnamese nouns do not change with the number;
        English says "1 case", "2 cases" (``value`` given: the figure it follows)."""
        if locale == "vi":
            return self.unit_vi
        if value == 1 and self.unit_en_one:
            return self.unit_en_one
        return self.unit_en

    @classmethod
    def of(cls, row: ActivityMeasure) -> Measure:
        return cls(
            row.key,
            row.kind,
            row.label_vi,
            row.label_en,
            row.unit_vi,
            row.unit_en,
            row.ceiling,
            row.unit_en_one,
            tuple(row.words or ()),
        )


@dataclass(frozen=True)
class Kind:
    """An activity type with its measures."""

    key: str
    name_vi: str
    name_en: str
    retired: bool
    measures: tuple[Measure, ...]
    #: The catalog's words that signal this type in free text (``bot.free_text``).
    words: tuple[str, ...] = ()

    def name(self, locale: str) -> str:
        return self.name_vi if locale == "vi" else self.name_en

    def measure(self, key: str) -> Measure | None:
        return next((m for m in self.measures if m.key == key), None)


@dataclass(frozen=True)
class Catalog:
    """Every activity type (retired ones too) in catalog order, as read at one catalog version."""

    version: tuple[Any, ...]
    kinds: tuple[Kind, ...]

    def get(self, key: str) -> Kind | None:
        return next((k for k in self.kinds if k.key == key), None)


#: The catalog per database, kept between updates: it changes only when ``phoihop catalog load``
#: runs, yet every ``/log`` needs it, and reading ~15 types and ~30 measures through the ORM cost
#: more than the rest of a shortcut ``/log``. A load in this process drops it at once; a load by
#: another process is seen within ``CATALOG_RECHECK`` seconds, when the catalog's version is read
#: again (one small query, instead of one per use).
_catalogs: WeakKeyDictionary[Any, tuple[Catalog, float]] = WeakKeyDictionary()
CATALOG_RECHECK = 1.0


async def catalog(session: AsyncSession) -> Catalog:
    """The catalog: from memory when it was checked recently or its version has not changed."""
    engine = session.bind
    cached, checked = _catalogs.get(engine, (None, 0.0))
    now = time.monotonic()
    if cached is not None and now - checked < CATALOG_RECHECK:
        return cached
    version = await act_q.catalog_version(session)
    if cached is not None and cached.version == version:
        _catalogs[engine] = (cached, now)
        return cached
    rows = list(await act_q.types(session, include_retired=True))
    measures = await act_q.all_measures(session)
    fresh = Catalog(
        version,
        tuple(
            Kind(
                row.key,
                row.name_vi,
                row.name_en,
                row.retired,
                tuple(Measure.of(m) for m in measures.get(row.key, [])),
                tuple(row.words or ()),
            )
            for row in rows
        ),
    )
    _catalogs[engine] = (fresh, now)
    return fresh


def forget_catalog() -> None:
    """Drop every kept catalog: a load in this process may keep the version (same instant)."""
    _catalogs.clear()


async def kind(session: AsyncSession, key: str) -> Kind | None:
    return (await catalog(session)).get(key)


async def catalog_kinds(session: AsyncSession, *, include_retired: bool = True) -> list[Kind]:
    """Every type in catalog order (retired ones too by default: their entries still count)."""
    kinds = (await catalog(session)).kinds
    return [k for k in kinds if include_retired or not k.retired]


async def active_kinds(session: AsyncSession) -> list[Kind]:
    """The types offered for new entries, in catalog order."""
    return await catalog_kinds(session, include_retired=False)


async def offered_kinds(session: AsyncSession, person_id: int) -> list[Kind]:
    """Active types, the ones this person logs most first, then catalog order."""
    usage = await act_q.usage_by_person(session, person_id)
    kinds = await active_kinds(session)
    order = {k.key: i for i, k in enumerate(kinds)}
    return sorted(kinds, key=lambda k: (-usage.get(k.key, 0), order[k.key]))


def to_milli(value: Decimal) -> int:
    return int(value * MILLI)


def from_milli(value: int) -> Decimal:
    return (Decimal(value) / MILLI).normalize() if value % 1000 else Decimal(value // 1000)


def above_ceiling(measure: Measure, value: Decimal) -> bool:
    """The ceiling rule: a value above its measure's ceiling is most likely a slip (an extra zero,
    "120tr" for 12), so it is saved only once the cadre confirms it. Not a limit: confirmed, any
    value is kept. Every way of typing a value (guided /log, the shortcut, an edit in /mine) asks."""
    return measure.ceiling is not None and value > measure.ceiling


def first_above_ceiling(kind: Kind, values: dict[str, Decimal]) -> Measure | None:
    """The first measure, in the kind's order, whose value needs the cadre's confirmation."""
    return next(
        (m for m in kind.measures if m.key in values and above_ceiling(m, values[m.key])), None
    )


async def units_for_logging(session: AsyncSession, actor: Actor) -> list[Unit]:
    """The units a person logs for: those they are a member of (an admin logs for their own unit;
    logging for a sub-unit is the sub-unit cadres' work)."""
    seen: dict[int, Unit] = {}
    for role in actor.roles:
        seen.setdefault(role.unit.id, role.unit)
    return sorted(seen.values(), key=lambda u: u.path)


# --- drafts -------------------------------------------------------------------------------------


def next_step(draft: dict[str, Any], measures: Iterable[str]) -> str:
    """What to ask next: the first thing not answered yet (so a draft resumes where it stopped);
    ``measures`` are the keys of the chosen activity's measures, in order."""
    if draft.get("pending"):
        return "confirm"
    if "unit_id" not in draft:
        return "unit"
    if "type" not in draft:
        return "type"
    values = draft.get("values", {})
    for key in measures:
        if key not in values:
            return f"m:{key}"
    for step in ("date", "note", "photo"):
        if step not in draft:
            return step
    return "review"


def answer(draft: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """Record an answer and remember the order, for /back."""
    draft = dict(draft)
    if field.startswith("m:"):
        draft["values"] = {**draft.get("values", {}), field[2:]: value}
    else:
        draft[field] = value
    draft["answered"] = [f for f in draft.get("answered", []) if f != field] + [field]
    return draft


def forget(draft: dict[str, Any], field: str) -> dict[str, Any]:
    draft = dict(draft)
    draft.pop("pending", None)
    if field.startswith("m:"):
        values = dict(draft.get("values", {}))
        values.pop(field[2:], None)
        draft["values"] = values
    else:
        draft.pop(field, None)
        if field == "type":
            draft["values"] = {}
            draft["answered"] = [f for f in draft.get("answered", []) if not f.startswith("m:")]
    draft["answered"] = [f for f in draft.get("answered", []) if f != field]
    return draft


def back(draft: dict[str, Any]) -> dict[str, Any]:
    """Forget the most recent answer so it is asked again."""
    if draft.get("pending"):
        draft = dict(draft)
        draft.pop("pending")
        return draft
    answered = draft.get("answered", [])
    return forget(draft, answered[-1]) if answered else draft


def values_of(draft: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in draft.get("values", {}).items()}


async def load_draft(session: AsyncSession, person_id: int) -> dict[str, Any] | None:
    return await act_q.load_draft(session, person_id)


async def save_draft(
    session: AsyncSession, person_id: int, draft: dict[str, Any], now: datetime
) -> None:
    await act_q.save_draft(session, person_id, draft, now)


async def discard_draft(session: AsyncSession, person_id: int) -> None:
    await act_q.discard_draft(session, person_id)


# --- entries ------------------------------------------------------------------------------------


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
