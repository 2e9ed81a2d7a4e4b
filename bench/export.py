"""Time and peak memory of a province-year ``/export`` (``bot.export.export_in_thread``).

    .venv/bin/python bench/export.py [--rows 500000] [--communes 100] [--areas 10] [--out FILE]

Data (a fresh SQLite file; ``bench/province.py``): one province of ``--communes`` communes, each
with a Front committee, 5 member-organisation units and ``--areas`` residential areas (1,601 units
by default); ``--rows`` entries over 2026 with every catalog type (values for each of its
measures, a note on two thirds of them, a person who logged it), the rollup rebuilt by
``rollup.rebuild``; 1,000 people; four quarterly rounds of the shipped ``residential_front``
template opened at the province for every residential area (``reports.open_round``), nine in ten
reports answered on every question and submitted; one meeting a month in every commune with ten
replies each.

Measured: the export of the province for ``năm 2026``, written to a file the way /export and
``phoihop export`` write it (``export_in_thread``: a worker thread reading a snapshot through a
connection of its own), in a child process that does nothing else
(``python bench/export.py --child``), so that its peak RSS (``VmHWM``) is the export's. A second child opens the
database and loads the same modules but exports nothing: the baseline. The workbook is then read
back with openpyxl (read-only) to count its rows and check them against the database.
Target: peak RSS < 300 MB. ``--workdir DIR --reuse`` exports the data a previous run generated
there again (generation takes about four minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.province import (  # noqa: E402
    NOW,
    build_province,
    catalog,
    load_entries,
    rebuild_rollup,
)
from bot import reports  # noqa: E402
from bot.periods import Period  # noqa: E402
from bot.schema import prepare_database  # noqa: E402
from bot.templates import Question  # noqa: E402
from storage.db import Database  # noqa: E402

YEAR = 2026
#: "năm 2026" under the default rule (Decree 09: 15/12/2025 – 14/12/2026).
PERIOD = Period("year", YEAR, 1)
TARGET_MB = 300.0
PEOPLE = 1000
STAMP = NOW.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


def add_people(path: str) -> list[int]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    first = con.execute("SELECT coalesce(max(id), 0) FROM people").fetchone()[0] + 1
    con.executemany(
        "INSERT INTO people (id, telegram_id, first_name, last_name, started, blocked, "
        "created_at) VALUES (?, ?, ?, ?, 1, 0, ?)",
        ((first + i, 700_000 + i, f"Cán bộ {i:04d}", "Nguyễn Văn", STAMP) for i in range(PEOPLE)),
    )
    con.execute("COMMIT")
    con.close()
    return list(range(first, first + PEOPLE))


def answer(q: Question, rng: random.Random, period: Period) -> Any:
    if q.type in ("integer", "money", "decimal"):
        low = int(q.min or 0)
        high = int(q.max) if q.max is not None else 1_000_000_000
        value = rng.randint(low, min(high, low + 50))
        return value * 100_000 if q.type == "money" else value
    if q.type == "yesno":
        return rng.random() < 0.8
    if q.type == "date":
        return (period.start + timedelta(days=rng.randrange(60))).isoformat()
    if q.type == "choice" and q.options:
        return rng.choice(q.options).key
    if q.type == "multi" and q.options:
        return [o.key for o in q.options if rng.random() < 0.5]
    if q.type == "photo":
        return f"photo-file-{rng.randrange(10**9)}"
    return "Đã triển khai theo kế hoạch, nhân dân đồng tình hưởng ứng."


async def add_rounds(db: Database, path: str, province_code: str, people: list[int]) -> int:
    """Four quarterly rounds over every residential area; answers bulk loaded. Returns answers."""
    rng = random.Random(7)
    from storage.queries import units as units_q

    async with db.session() as s:
        row = next(t for t in await reports.latest_templates(s) if t.key == "residential_front")
        template = reports.template_of(row)
        root = await units_q.by_code(s, province_code)
        assert root is not None
        rounds = []
        for quarter in range(1, 5):
            period = Period("quarter", YEAR, quarter)
            deadline = datetime.combine(period.end, datetime.min.time(), UTC) + timedelta(days=10)
            r = await reports.open_round(
                s,
                None,
                template_row=row,
                period=period,
                root=root,
                deadline=deadline,
                now=datetime.combine(period.start, datetime.min.time(), UTC),
                kind="residential_area",
                org="mttq",
            )
            rounds.append((r.id, period))
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    answers = 0
    for round_id, period in rounds:
        ids = [i for (i,) in con.execute("SELECT id FROM reports WHERE round_id = ?", (round_id,))]
        for report_id in ids:
            if rng.random() < 0.1:
                continue  # still a draft, nothing answered
            rows = [
                (
                    report_id,
                    q.key,
                    json.dumps({"v": answer(q, rng, period)}, ensure_ascii=False),
                    rng.choice(people),
                    STAMP,
                )
                for q in template.questions
            ]
            con.executemany(
                "INSERT INTO report_answers (report_id, question_key, value, answered_by, "
                "answered_at) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            con.execute(
                "UPDATE reports SET status = 'submitted', submitted_at = ?, submitted_by = ? "
                "WHERE id = ?",
                (STAMP, rng.choice(people), report_id),
            )
            answers += len(rows)
    con.execute("COMMIT")
    con.close()
    return answers


def add_meetings(path: str, communes: list[int], people: list[int]) -> tuple[int, int]:
    """One briefing a month per commune, ten replies each."""
    rng = random.Random(11)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    meetings = replies = 0
    for commune_id in communes:
        for month in range(1, 13):
            starts = datetime(YEAR, month, 10, 1, 0)  # 08:00 in Vietnam
            meetings += 1
            cur = con.execute(
                "INSERT INTO meetings (uid, kind, title, starts_at, duration_minutes, place, "
                "agenda, unit_id, status, sequence, created_at, updated_at) VALUES "
                "(?, 'briefing', ?, ?, 120, 'Hội trường UBND xã', '', ?, 'scheduled', 0, ?, ?)",
                (
                    f"bench-{commune_id}-{month}@phoihop",
                    f"Giao ban tháng {month}/{YEAR}",
                    starts.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    commune_id,
                    STAMP,
                    STAMP,
                ),
            )
            meeting_id = cur.lastrowid
            for person in rng.sample(people, 10):
                choice = rng.random()
                kind = "yes" if choice < 0.7 else "no" if choice < 0.9 else "delegate"
                con.execute(
                    "INSERT INTO meeting_rsvps (meeting_id, person_id, answer, reason, delegate, "
                    "answered_at, attended) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        meeting_id,
                        person,
                        kind,
                        "Trùng lịch tiếp dân" if kind == "no" else None,
                        "Phó Chủ tịch" if kind == "delegate" else None,
                        STAMP,
                        1 if kind != "no" else 0,
                    ),
                )
                replies += 1
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return meetings, replies


async def generate(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    timings: dict[str, Any] = {}
    try:
        t = time.monotonic()
        await prepare_database(db, NOW)
        tree = await build_province(db, args.communes, args.areas)
        kinds = await catalog(db)
        people = add_people(str(path))
        timings["units"] = len(tree.units) + 1
        values = load_entries(
            str(path),
            tree.leaves,
            kinds,
            date(YEAR, 1, 1),
            365,
            args.rows,
            person_ids=people,
            seed=3,
        )
        timings["entries"], timings["values"] = args.rows, values
        timings["rollup_rows"] = await rebuild_rollup(db)
        timings["answers"] = await add_rounds(db, str(path), tree.province.code, people)
        timings["meetings"], timings["replies"] = add_meetings(
            str(path), [c.id for c in tree.communes], people
        )
        timings["generate_s"] = round(time.monotonic() - t, 1)
        timings["province_code"] = tree.province.code
    finally:
        await db.dispose()
    return timings


# --------------------------------------------------------------------------------------------------
# The child: only the export
# --------------------------------------------------------------------------------------------------


async def child(db_path: str, code: str, out: str | None) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from bot.export import export_in_thread
    from bot.i18n import I18n
    from bot.runtime.cli import operator_actor
    from storage.queries import units as units_q

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    result: dict[str, Any] = {}
    try:
        async with db.session() as s:
            unit = await units_q.by_code(s, code)
            assert unit is not None
        if out is not None:
            # The path /export and `phoihop export` take: a worker thread, its own connection.
            cpu, t = time.process_time(), time.monotonic()
            summary = await export_in_thread(
                db.url,
                operator_actor(unit),
                unit.id,
                PERIOD,
                out,
                tr=I18n(tz).translator("vi"),
                tz=tz,
            )
            result = {
                "seconds": round(time.monotonic() - t, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "totals_rows": summary.totals_rows,
                "entries": summary.entries,
                "answers": summary.answers,
                "attendees": summary.attendees,
            }
    finally:
        await db.dispose()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def peak_rss_mb() -> float:
    """This process's peak RSS. ``VmHWM``, not ``ru_maxrss``: Linux keeps ``ru_maxrss`` across
    ``execve``, so a child forked from the (large) generating parent would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_child(db_path: Path, code: str, out: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(db_path), "--code", code]
    if out is not None:
        cmd += ["--xlsx", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"export child failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def check(db_path: Path, xlsx: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Rows in the workbook against the database (independent counts)."""
    from openpyxl import load_workbook

    con = sqlite3.connect(db_path)
    entries = con.execute(
        "SELECT count(*) FROM activities WHERE deleted_at IS NULL AND occurred_on BETWEEN ? AND ?",
        (PERIOD.start.isoformat(), PERIOD.end.isoformat()),
    ).fetchone()[0]
    con.close()
    t = time.monotonic()
    book = load_workbook(xlsx, read_only=True)
    rows = {name: book[name].max_row - 1 for name in book.sheetnames}
    book.close()
    return {
        "sheet_rows": rows,
        "entries_in_db": entries,
        "entries_match": rows.get("Nhật ký hoạt động") == entries == result["entries"],
        "read_back_s": round(time.monotonic() - t, 1),
    }


def machine() -> dict[str, Any]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import openpyxl
    import xlsxwriter

    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "xlsxwriter": xlsxwriter.__version__,
        "openpyxl": openpyxl.__version__,
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=500_000, help="entries over the year")
    p.add_argument("--communes", type=int, default=100)
    p.add_argument("--areas", type=int, default=10)
    p.add_argument("--out", type=Path, help="write the results as JSON")
    p.add_argument("--workdir", type=Path, help="keep the database and the workbook here")
    p.add_argument(
        "--reuse", action="store_true", help="export the database a previous run left in --workdir"
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--code", help=argparse.SUPPRESS)
    p.add_argument("--xlsx", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.code, args.xlsx))))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        work = args.workdir or Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        db_path = work / "export.db"
        saved = work / "data.json"
        print(f"machine: {machine()}", flush=True)
        if args.reuse and db_path.exists() and saved.exists():
            data = json.loads(saved.read_text())
        else:
            db_path.unlink(missing_ok=True)
            data = asyncio.run(generate(db_path, args))
            saved.write_text(json.dumps(data))
        print(f"data: {data}", flush=True)
        code = data["province_code"]
        baseline = run_child(db_path, code, None)
        xlsx = work / "province-2026.xlsx"
        result = run_child(db_path, code, xlsx)
        result["file_mb"] = round(xlsx.stat().st_size / 2**20, 1)
        verified = check(db_path, xlsx, result)
    ok = result["peak_rss_mb"] < TARGET_MB and verified["entries_match"]
    print(
        f"export of the province for {PERIOD.label('en')} ({PERIOD.start:%d/%m/%Y}–"
        f"{PERIOD.end:%d/%m/%Y}): {result['seconds']} s "
        f"(CPU {result['cpu_s']} s), {result['file_mb']} MB file; rows: {verified['sheet_rows']}"
    )
    print(
        f"peak RSS: {result['peak_rss_mb']} MB (baseline child without the export: "
        f"{baseline['peak_rss_mb']} MB) — target < {TARGET_MB:g} MB: "
        f"{'PASS' if result['peak_rss_mb'] < TARGET_MB else 'FAIL'}"
    )
    print(
        f"entries in the workbook = in the database ({verified['entries_in_db']}): "
        f"{verified['entries_match']}"
    )
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "data": data,
                    "export": result,
                    "baseline": baseline,
                    "check": verified,
                },
                indent=2,
                default=str,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
