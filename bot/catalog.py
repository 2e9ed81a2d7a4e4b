"""The activity catalog: YAML in, validated with line-numbered errors, loaded without losing history.

Loading adds new types and measures, updates labels and ceilings, and retires what the file marks
``retired: true``. Nothing is ever deleted: entries of a retired type keep counting in totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.activities import forget_catalog
from storage.models import ActivityMeasure, ActivityType
from storage.queries import catalog as catalog_q

DEFAULT_CATALOG = Path(__file__).parent / "data" / "catalog.yaml"
KINDS = ("count", "money", "decimal")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class CatalogError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    kind: str
    label_vi: str
    label_en: str
    unit_vi: str
    unit_en: str
    ceiling: int | None
    #: English for one ("case"), from ``unit: {en_one: ...}``; "" when the plural serves.
    unit_en_one: str = ""
    #: Words naming the measure beside a number in free text (units, distinguishing words).
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class TypeSpec:
    key: str
    name_vi: str
    name_en: str
    measures: tuple[MeasureSpec, ...]
    retired: bool = False
    #: Words that signal the type in free text ("QVNN", "hòa giải"), see ``bot.free_text``.
    words: tuple[str, ...] = ()


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping so errors can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        str(k): v for k, v in loader.construct_mapping(node, deep=True).items()
    }
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_catalog(text: str) -> list[TypeSpec]:
    """Validate a catalog file; every problem is reported as ``line N: ...``."""
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise CatalogError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("types"), list):
        raise CatalogError(["line 1: the file must have a list `types:`"])
    errors: list[str] = []
    specs: list[TypeSpec] = []
    seen: set[str] = set()
    for item in data["types"]:
        if not isinstance(item, dict):
            errors.append("a type must be a mapping with key, name, measures")
            continue
        line = item.get("__line__", "?")
        key = item.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            errors.append(f"line {line}: type key {key!r} must be lower-case letters, digits and _")
            continue
        if key in seen:
            errors.append(f"line {line}: type {key} appears twice")
            continue
        seen.add(key)
        name_vi, name_en = _labels(item.get("name"), f"line {line}: type {key}: name", errors)
        measures = _measures(item.get("measures"), key, line, errors)
        retired = item.get("retired", False)
        if not isinstance(retired, bool):
            errors.append(f"line {line}: type {key}: retired must be true or false")
            retired = False
        words = _words(item, f"line {line}: type {key}", errors)
        specs.append(TypeSpec(key, name_vi, name_en, tuple(measures), retired, words))
    if errors:
        raise CatalogError(errors)
    return specs


def _labels(value: Any, where: str, errors: list[str]) -> tuple[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), str) and value.get(k) for k in ("vi", "en")
    ):
        errors.append(f"{where} needs both vi and en")
        return "", ""
    extra = sorted(str(k) for k in value if k not in ("vi", "en", "__line__"))
    if extra:
        # Usually an unquoted comma in a flow mapping: {vi: Xóa nhà tạm, nhà dột nát} splits the name.
        errors.append(f"{where} has unexpected {', '.join(extra)} (put text with commas in quotes)")
    return str(value["vi"]).strip(), str(value["en"]).strip()


#: A signal word is a short phrase: anything longer is a sentence pasted by mistake.
MAX_WORD = 60


def _words(item: dict[str, Any], where: str, errors: list[str]) -> tuple[str, ...]:
    """``words: [hòa giải, HGCS]``: optional; phrases of letters and digits, each at most
    ``MAX_WORD`` characters. A bare number (``167``, YAML reads it as an integer) is a word too:
    "nhà 167" names Decision 167's houses. Nothing here folds: the file keeps its spelling."""
    value = item.get("words", [])
    if not isinstance(value, list):
        errors.append(f"{where}: words must be a list, e.g. [hòa giải, HGCS]")
        return ()
    words: list[str] = []
    for word in value:
        if isinstance(word, bool) or not isinstance(word, str | int):
            what = "a mapping" if isinstance(word, dict) else repr(word)
            errors.append(f"{where}: words: {what} is not a word or phrase (quote it)")
            continue
        text = " ".join(str(word).split())
        if not text or len(text) > MAX_WORD or not any(ch.isalnum() for ch in text):
            errors.append(f"{where}: words: {text!r} must be 1 to {MAX_WORD} characters of text")
            continue
        words.append(text)
    return tuple(words)


def _measures(value: Any, type_key: str, line: Any, errors: list[str]) -> list[MeasureSpec]:
    if not isinstance(value, list) or not value:
        errors.append(f"line {line}: type {type_key} needs at least one measure")
        return []
    result: list[MeasureSpec] = []
    keys: set[str] = set()
    for item in value:
        mline = item.get("__line__", line) if isinstance(item, dict) else line
        where = f"line {mline}: type {type_key}"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not KEY_RE.match(item["key"])
        ):
            errors.append(f"{where}: every measure needs a key of lower-case letters, digits and _")
            continue
        key = item["key"]
        if key in keys:
            errors.append(f"{where}: measure {key} appears twice")
            continue
        keys.add(key)
        kind = item.get("kind")
        if kind not in KINDS:
            errors.append(
                f"{where}: measure {key}: kind must be one of {', '.join(KINDS)}, not {kind!r}"
            )
            continue
        label_vi, label_en = _labels(item.get("label"), f"{where}: measure {key}: label", errors)
        unit = item.get("unit") or {"vi": "", "en": ""}
        ceiling = item.get("ceiling")
        if ceiling is not None and (
            not isinstance(ceiling, int) or isinstance(ceiling, bool) or ceiling <= 0
        ):
            errors.append(f"{where}: measure {key}: ceiling must be a positive whole number")
            ceiling = None
        result.append(
            MeasureSpec(
                key,
                kind,
                label_vi,
                label_en,
                str(unit.get("vi", "")),
                str(unit.get("en", "")),
                ceiling,
                str(unit.get("en_one", "")),
                _words(item, f"{where}: measure {key}", errors),
            )
        )
    return result


async def load_catalog(session: AsyncSession, specs: list[TypeSpec], now: datetime) -> LoadReport:
    report = LoadReport()
    position = await catalog_q.last_type_position(session)
    for spec in specs:
        row = await session.get(ActivityType, spec.key)
        if row is None:
            position += 1
            row = ActivityType(key=spec.key, position=position, updated_at=now)
            session.add(row)
            report.added.append(spec.key)
        elif spec.retired and not row.retired:
            report.retired.append(spec.key)
        else:
            report.updated.append(spec.key)
        row.name_vi, row.name_en, row.retired, row.updated_at = (
            spec.name_vi,
            spec.name_en,
            spec.retired,
            now,
        )
        row.words = list(spec.words)
        await session.flush()
        existing = {m.key: m for m in await catalog_q.measures_of_type(session, spec.key)}
        for index, mspec in enumerate(spec.measures):
            measure = existing.pop(mspec.key, None)
            if measure is None:
                measure = ActivityMeasure(type_key=spec.key, key=mspec.key)
                session.add(measure)
            measure.kind, measure.label_vi, measure.label_en = (
                mspec.kind,
                mspec.label_vi,
                mspec.label_en,
            )
            measure.unit_vi, measure.unit_en, measure.ceiling = (
                mspec.unit_vi,
                mspec.unit_en,
                mspec.ceiling,
            )
            measure.unit_en_one, measure.words = mspec.unit_en_one, list(mspec.words)
            measure.position, measure.retired = index, False
        for gone in existing.values():
            # A measure left out of the file is no longer asked; its recorded values stay.
            gone.retired = True
    await session.flush()
    # The version kept catalogs are checked against includes this load's time; a second load at
    # the same instant (a test's frozen clock) would not change it.
    forget_catalog()
    return report


async def ensure_default_catalog(session: AsyncSession, now: datetime) -> LoadReport | None:
    """A new deployment ships with the §7 catalog: load it when the catalog is empty.

    A deployment whose catalog was loaded before types and measures had words gets the shipped
    words for the shipped types it holds, so the free-text reader works after an upgrade without
    an operator's ``catalog load``."""
    shipped = parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    if await catalog_q.type_count(session):
        await fill_missing_words(session, shipped, now)
        return None
    return await load_catalog(session, shipped, now)


async def fill_missing_words(
    session: AsyncSession, specs: list[TypeSpec], now: datetime
) -> list[str]:
    """Give the words of ``specs`` to the types of the same key that have none at all (neither
    the type nor any of its measures): such a type was loaded before words existed, never
    taught otherwise. Labels, ceilings and everything an operator chose stay as they are.
    Returns the keys filled."""
    by_key = {spec.key: spec for spec in specs}
    filled: list[str] = []
    for row in await catalog_q.all_types(session):
        spec = by_key.get(row.key)
        if spec is None or row.words:
            continue
        measures = await catalog_q.measures_of_type(session, row.key)
        if any(m.words for m in measures):
            continue
        row.words, row.updated_at = list(spec.words), now  # other processes' caches reload
        words_of = {m.key: list(m.words) for m in spec.measures}
        for measure in measures:
            measure.words = words_of.get(measure.key, [])
        filled.append(row.key)
    if filled:
        await session.flush()
        forget_catalog()
    return filled
