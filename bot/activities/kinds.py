"""The activity catalog as cadres see it: types (``Kind``) and their measures (``Measure``), in
catalog order, and the ceiling rule that asks before saving an unlikely value.

Read at every ``/log``, so it is kept in memory per database and re-read only when its version
changes (``catalog``); ``bot.catalog`` loads the catalog file and drops the kept copy
(``forget_catalog``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActivityMeasure
from storage.queries import activities as act_q

__all__ = [
    "CATALOG_RECHECK",
    "Catalog",
    "Kind",
    "Measure",
    "above_ceiling",
    "active_kinds",
    "catalog",
    "catalog_kinds",
    "first_above_ceiling",
    "forget_catalog",
    "kind",
    "offered_kinds",
]


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
