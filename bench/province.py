"""A generated province for the benchmarks (fan-out, export): the tree and bulk-loaded entries.

Copied in spirit from ``bench/totals.py`` (which measures the rollup and changes with it): one
province, ``communes`` communes, each with a Front committee, 5 member-organisation units and
``areas`` residential areas; entries are bulk loaded through ``sqlite3`` (valid by construction:
catalog types and measures, units of the tree), then the rollup is rebuilt by our own code.
"""

from __future__ import annotations

import random
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.models import Unit  # noqa: E402
from storage.queries import rollup as rollup_q  # noqa: E402
from storage.queries import units as units_q  # noqa: E402

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
#: Entries inserted per executemany (the generator never holds all of them).
CHUNK = 50_000
MEMBER_ORGS = ("phu_nu", "thanh_nien", "nong_dan", "cuu_chien_binh", "cong_doan")
NOTES = (
    "Họp dân tại nhà văn hóa thôn",
    "Phối hợp với Chi hội Phụ nữ",
    "Trao quà cho hộ nghèo dịp cuối năm",
    "Tuyên truyền phòng chống lừa đảo qua mạng",
    "",
    "",
)


@dataclass
class Province:
    province: Unit
    communes: list[Unit]
    #: Every unit except the province, in creation order.
    units: list[Unit]
    #: (unit id, org) of every unit entries are logged for (member organisations and areas).
    leaves: list[tuple[int, str]]


async def build_province(db: Database, communes: int, areas: int, code: str = "bt") -> Province:
    """The tree through ``units_q.add`` (real paths and anchors), in one transaction."""
    async with db.session() as s:
        province = await units_q.add(
            s, code=code, name="Tỉnh Thử Nghiệm", kind="province", org="mttq", parent=None, now=NOW
        )
        made: list[Unit] = []
        commune_units: list[Unit] = []
        leaves: list[tuple[int, str]] = []
        for c in range(1, communes + 1):
            commune = await units_q.add(
                s,
                code=f"{code}-{c:03d}",
                name=f"Xã Thử {c:03d}",
                kind="commune",
                org="mttq",
                parent=province,
                now=NOW,
            )
            commune_units.append(commune)
            made.append(commune)
            for org in MEMBER_ORGS:
                member = await units_q.add(
                    s,
                    code=f"{code}-{c:03d}-{org}",
                    name=f"{org} xã {c:03d}",
                    kind="commune",
                    org=org,
                    parent=commune,
                    now=NOW,
                )
                made.append(member)
                leaves.append((member.id, org))
            for a in range(1, areas + 1):
                area = await units_q.add(
                    s,
                    code=f"{code}-{c:03d}-{a:02d}",
                    name=f"Thôn {a:02d} xã {c:03d}",
                    kind="residential_area",
                    org="mttq",
                    parent=commune,
                    now=NOW,
                )
                made.append(area)
                leaves.append((area.id, "mttq"))
    return Province(province, commune_units, made, leaves)


async def catalog(db: Database) -> list[tuple[str, list[str]]]:
    """(type key, measure keys) of the catalog, in catalog order."""
    async with db.session() as s:
        rows = await s.execute(
            text(
                "SELECT t.key, m.key FROM activity_types t JOIN activity_measures m "
                "ON m.type_key = t.key ORDER BY t.position, t.key, m.position, m.key"
            )
        )
        kinds: dict[str, list[str]] = {}
        for type_key, measure_key in rows.all():
            kinds.setdefault(type_key, []).append(measure_key)
    return list(kinds.items())


def load_entries(
    path: str,
    leaves: list[tuple[int, str]],
    kinds: list[tuple[str, list[str]]],
    first_day: date,
    days: int,
    rows: int,
    *,
    person_ids: list[int] | None = None,
    seed: int = 1,
) -> int:
    """``rows`` entries spread evenly over the leaves and the days; returns the value rows."""
    rng = random.Random(seed)
    stamp = NOW.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    start = con.execute("SELECT coalesce(max(id), 0) FROM activities").fetchone()[0]
    entries: list[tuple[object, ...]] = []
    values: list[tuple[object, ...]] = []
    total = 0
    for i in range(start + 1, start + rows + 1):
        unit_id, _org = leaves[rng.randrange(len(leaves))]
        type_key, measures = kinds[rng.randrange(len(kinds))]
        day = (first_day + timedelta(days=rng.randrange(days))).isoformat()
        person = person_ids[rng.randrange(len(person_ids))] if person_ids else None
        note = rng.choice(NOTES) or None
        entries.append((i, unit_id, person, type_key, day, note, stamp, stamp))
        for m in measures:
            values.append((i, m, rng.randint(1, 200) * 1000))
        if len(entries) == CHUNK or i == start + rows:
            total += _insert(con, entries, values)
            entries, values = [], []
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return total


def _insert(
    con: sqlite3.Connection, entries: list[tuple[object, ...]], values: list[tuple[object, ...]]
) -> int:
    con.executemany(
        "INSERT INTO activities (id, unit_id, person_id, type_key, occurred_on, note, source, "
        "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 'bench', ?, ?, 1)",
        entries,
    )
    con.executemany(
        "INSERT INTO activity_values (activity_id, measure_key, value_milli) VALUES (?, ?, ?)",
        values,
    )
    return len(values)


async def rebuild_rollup(db: Database) -> int:
    async with db.session() as s:
        return await rollup_q.rebuild(s)
