"""Building the tree: official areas from ``vietnam-provinces``, any tree from CSV, single units.

Imports run in one transaction and report every bad row with its line number; a file with any bad
row imports nothing, so an operator never has to clean up half an import.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit
from storage.queries import units as units_q
from storage.queries.units import UnitError

CSV_COLUMNS = ("code", "name", "kind", "org", "parent")


class ImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _division_name(name: str, division_type: str) -> str:
    """The package names provinces bare ("Tuyên Quang"); people say "Tỉnh Tuyên Quang"."""
    if division_type == "tỉnh" and not name.lower().startswith("tỉnh"):
        return f"Tỉnh {name}"
    return name


def short_name(area_name: str) -> str:
    """ "Xã Yên Nguyên" -> "xã Yên Nguyên", "Tổ dân phố 3" -> "tổ dân phố 3": an area's name
    inside a unit's name ("Hội Liên hiệp Phụ nữ xã Yên Nguyên")."""
    head, _, rest = area_name.partition(" ")
    return f"{head.lower()} {rest}"


#: How a residential area's name begins (thôn, tổ dân phố, bản, ấp, …).
_RESIDENTIAL_HEADS = ("thôn", "tổ", "bản", "làng", "khu", "ấp", "khối", "buôn", "xóm", "khóm")


def front_name(area_name: str) -> str:
    """The Front unit of an area is named after the body that acts, as documents name it: the
    committee of a province or commune ("Ủy ban MTTQ xã Yên Nguyên"), the Ban Công tác Mặt trận
    of a residential area ("Ban Công tác Mặt trận thôn Cầu Bâm"). The area's official name is
    kept in the unit's official code; a search by the area's name still finds the unit."""
    if area_name.partition(" ")[0].lower() in _RESIDENTIAL_HEADS:
        return f"Ban Công tác Mặt trận {short_name(area_name)}"
    return f"Ủy ban MTTQ {short_name(area_name)}"


@functools.cache
def provinces_data() -> list[dict[str, object]]:
    """The nested province → ward data of the optional ``vietnam-provinces`` package (read once)."""
    try:
        import vietnam_provinces
    except ImportError as exc:
        raise ImportFailed(
            ["the optional package vietnam-provinces is not installed: pip install -e '.[areas]'"]
        ) from exc
    path = Path(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH)
    data: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def province_code(code: int) -> str:
    return f"{code:02d}"


def ward_code(code: int) -> str:
    return f"{code:05d}"


async def import_areas(
    session: AsyncSession,
    now: datetime,
    province: str | None = None,
    limit_wards: int | None = None,
) -> ImportReport:
    """Provinces and communes as Front committee units ("Ủy ban MTTQ xã …", official NSO code).

    ``province`` is an NSO code ("8", "08") or a codename ("tuyen_quang"). Re-running adds only
    what is missing.
    """
    report = ImportReport()
    data = provinces_data()
    if province is not None:
        wanted = province.strip().lower()
        data = [
            p
            for p in data
            if wanted in (str(p["codename"]), str(p["code"]), province_code(int(str(p["code"]))))
        ]
        if not data:
            raise ImportFailed([f"no province {province!r} in vietnam-provinces"])
    for prov in data:
        pcode = province_code(int(str(prov["code"])))
        parent = await units_q.by_code(session, pcode)
        if parent is None:
            name = _division_name(str(prov["name"]), str(prov["division_type"]))
            parent = await units_q.add(
                session,
                code=pcode,
                name=front_name(name),
                kind="province",
                org="mttq",
                parent=None,
                now=now,
                official_code=pcode,
            )
            report.added.append(pcode)
        else:
            report.skipped.append(pcode)
        wards = list(prov["wards"])  # type: ignore[call-overload]
        for ward in wards[:limit_wards] if limit_wards else wards:
            wcode = ward_code(int(ward["code"]))
            if await units_q.by_code(session, wcode) is not None:
                report.skipped.append(wcode)
                continue
            await units_q.add(
                session,
                code=wcode,
                name=front_name(str(ward["name"])),
                kind="commune",
                org="mttq",
                parent=parent,
                now=now,
                official_code=wcode,
            )
            report.added.append(wcode)
    return report


def read_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; header ``code,name,kind,org,parent[,official_code]``."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed(
            [f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}"]
        )
    return [
        (index + 2, {k: (v or "").strip() for k, v in row.items() if k})
        for index, row in enumerate(reader)
    ]


async def import_csv(session: AsyncSession, text: str, now: datetime) -> ImportReport:
    """Units from CSV in any row order (parents may come after children, or already exist)."""
    rows = read_csv(text)
    report = ImportReport()
    errors: list[str] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if not row.get("code"):
            errors.append(f"line {line}: code is empty")
        elif row["code"] in seen:
            errors.append(f"line {line}: code {row['code']!r} repeats line {seen[row['code']]}")
        else:
            seen[row["code"]] = line
    if errors:  # the tree cannot be resolved with missing or repeated codes
        raise ImportFailed(errors)
    pending = rows
    while pending:
        progressed = False
        waiting = []
        for line, row in pending:
            parent: Unit | None = None
            if row.get("parent"):
                parent = await units_q.by_code(session, row["parent"])
                if parent is None:
                    waiting.append((line, row))
                    continue
            existing = await units_q.by_code(session, row["code"])
            if existing is not None:
                report.skipped.append(row["code"])
            else:
                try:
                    await units_q.add(
                        session,
                        code=row["code"],
                        name=row.get("name", ""),
                        kind=row.get("kind", ""),
                        org=row.get("org") or "mttq",
                        parent=parent,
                        now=now,
                        official_code=row.get("official_code") or None,
                    )
                    report.added.append(row["code"])
                except UnitError as exc:
                    errors.append(f"line {line}: {exc}")
            progressed = True
        if not progressed:
            errors.extend(
                f"line {line}: parent {row['parent']!r} not found" for line, row in waiting
            )
            break
        pending = waiting
    if errors:
        raise ImportFailed(errors)
    return report
