"""Server time of the leaders' dashboard's first screen (issue 19) for a province of 1,000,000 entries.

    .venv/bin/python bench/dashboard.py --workdir DIR [--rows 1000000] [--reps 20] [--out FILE]
        [--profile FILE]

Data: ``bench/export.py``'s province (``bench/province.py``: 100 communes, each with a Front
committee, 5 member-organisation units and 10 residential areas, 1,601 units), here with
``--rows`` entries over 2026 and the rollup rebuilt by ``rollup.rebuild``, four quarterly report
rounds of ``residential_front`` open over the 1,000 residential areas (nine in ten submitted),
one meeting a month per commune with ten replies. Generated into ``--workdir`` if that holds none
yet (``export.db``, ``data.json``; about three minutes at a million entries; ``bench/export.py
--workdir DIR --rows 1000000`` makes the same) and copied for each run, which adds people: a
province leader (admin of the province), a commune leader (admin of the first commune) and one
cadre in every residential area (the board names each unit's cadres).

The server is the dashboard as ``phoihop run`` serves it (``bot.runtime.runner.start_dashboard``:
``WebServer(Dashboard(services, token))``, an aiohttp application, SQLite, ``settle_heap`` once
started), in a process of its own on 127.0.0.1, with one addition: a middleware that times each
request inside the server (from the routed handler's start to its response, launch-data check,
database and JSON included; the socket and HTTP parsing not) and counts the SQL statements it
sent (a ``before_cursor_execute`` listener on the engine), returned to the bench in the
``Server-Timing`` and ``X-Bench-Statements`` headers. Its clock stands at the data's "now"
(21/11/2026), so the periods asked are those of the data whatever the day of the run.

This process plays the phone: one HTTP connection (as a browser keeps it), launch data signed with
the bot's token (``bot.webapp_auth.launch_data``), and the requests the page makes
(bot/data/webapp/app.js): ``api/me`` then ``api/completeness`` (the board, the tab it opens on:
the first screen), ``api/totals`` with the page's first period (this month) and with this year
(what a leader taps next), ``api/meetings``, ``api/petitions``; when the board is grouped (a
province's: a row per commune), ``board_drill``, the tap on its first commune. For each leader: one cold round
(the first request of each after start), then ``--reps`` warm rounds; p50 / p95 / max of server
time and of client wall time, statements per request (equal for a province and a commune: none per
sub-unit), response size. The province's totals for the year are checked against one GROUP BY over
the raw entries (the rollup, /totals and the page agree; tests/web/ checks page = /totals).

Target (issue 19): the first screen (``me`` + ``completeness``) < 300 ms server time, p95.
``--profile FILE``: the server runs its warm requests under cProfile and writes the stats there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).resolve()
sys.path.insert(0, str(ROOT))

from bench.export import generate, machine  # noqa: E402
from bench.export_latency import percentile  # noqa: E402
from bench.province import NOW  # noqa: E402

TOKEN = "123456789:bench-dashboard-token"
PROVINCE_LEADER = 9_001
COMMUNE_LEADER = 9_002
FIRST_AREA_CADRE = 9_100
TARGET_MS = 300.0
#: The requests of the first screen (the board tab, where the page opens).
FIRST_SCREEN = ("me", "completeness")


@dataclass
class Timing:
    leader: str
    request: str
    reps: int
    server_p50_ms: float
    server_p95_ms: float
    server_max_ms: float
    cpu_p50_ms: float
    client_p50_ms: float
    client_p95_ms: float
    cold_server_ms: float
    cold_client_ms: float
    statements: int
    kb: float


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


async def add_people(db_path: Path, code: str) -> dict[str, Any]:
    """The two leaders, and a cadre in every residential area (from the generated people)."""
    from sqlalchemy import text

    from storage.db import Database
    from storage.queries import people as people_q
    from storage.queries import units as units_q

    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with db.session() as session:
            province = await units_q.by_code(session, code)
            commune = await units_q.by_code(session, f"{code}-001")
            assert province is not None and commune is not None
            leader = await people_q.ensure(session, PROVINCE_LEADER, NOW)
            await people_q.grant(session, leader.id, province.id, "admin", NOW, "bench")
            local = await people_q.ensure(session, COMMUNE_LEADER, NOW)
            await people_q.grant(session, local.id, commune.id, "admin", NOW, "bench")
            areas = (
                await session.execute(
                    text(
                        "SELECT id FROM units WHERE kind = 'residential_area' AND org = 'mttq' "
                        "ORDER BY id"
                    )
                )
            ).all()
            people = (
                await session.execute(
                    text("SELECT id FROM people WHERE telegram_id >= 700000 ORDER BY id")
                )
            ).all()
            for (area_id,), (person_id,) in zip(areas, people, strict=False):
                await people_q.grant(session, person_id, area_id, "cadre", NOW, "bench")
    finally:
        await db.dispose()
    return {"province_id": province.id, "commune_id": commune.id, "area_cadres": len(areas)}


def naive_year(db_path: Path, start: str, end: str) -> dict[tuple[str, str], int]:
    """The province's sums for a period straight from the entries (no rollup)."""
    con = sqlite3.connect(db_path)
    try:
        rows = con.execute(
            "SELECT a.type_key, v.measure_key, SUM(v.value_milli) FROM activities a "
            "JOIN activity_values v ON v.activity_id = a.id WHERE a.deleted_at IS NULL "
            "AND a.occurred_on BETWEEN ? AND ? GROUP BY a.type_key, v.measure_key",
            (start, end),
        ).fetchall()
    finally:
        con.close()
    return {(t, m): int(v) for t, m, v in rows if v}


# --------------------------------------------------------------------------------------------------
# The server: a process of its own, the dashboard as `phoihop run` serves it, plus a timer
# --------------------------------------------------------------------------------------------------


async def server_child(db_path: str, profile: str | None) -> None:
    import cProfile

    from aiohttp import web
    from sqlalchemy import Engine, event

    from bot.clock import FakeClock
    from bot.runtime.runner import make_services, settle_heap
    from bot.runtime.webapp import Dashboard
    from bot.settings import Settings
    from storage.db import Database

    db = Database(f"sqlite+aiosqlite:///{db_path}")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db.url, bot_token=TOKEN, log_level="WARNING"
    )
    # The data's "now": the same periods whatever the day of the run.
    services = make_services(settings, db, FakeClock(NOW))
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    # Every engine: the dashboard's GETs read through ``Database.read``'s own engine on SQLite.
    event.listen(Engine, "before_cursor_execute", count)
    profiler = cProfile.Profile() if profile else None

    @web.middleware
    async def timed(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        statements[0] = 0
        measured = profiler is not None and request.headers.get("X-Bench-Warm") == "1"
        if measured:
            assert profiler is not None
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        try:
            response: web.StreamResponse = await handler(request)
        finally:
            if measured:
                assert profiler is not None
                profiler.disable()
        elapsed = (time.perf_counter() - started) * 1000
        used = (time.process_time() - cpu) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.3f}, cpu;dur={used:.3f}"
        response.headers["X-Bench-Statements"] = str(statements[0])
        return response

    # What WebServer.start does (bot/runtime/webapp.py), with the timer in front.
    app = web.Application(client_max_size=64 * 1024, middlewares=[timed])
    Dashboard(services, TOKEN).add_routes(app)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    settle_heap()  # what `phoihop run` does once started
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(json.dumps({"port": int(runner.addresses[0][1])}), flush=True)
    await stop.wait()
    await runner.cleanup()
    await db.dispose()
    if profiler is not None and profile:
        profiler.dump_stats(profile)


# --------------------------------------------------------------------------------------------------
# The phone
# --------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    server_ms: float
    cpu_ms: float
    client_ms: float
    statements: int
    size: int
    body: Any


async def fetch(client: Any, base: str, path: str, init_data: str, *, warm: bool) -> Sample:
    headers = {"Authorization": f"tma {init_data}", "X-Bench-Warm": "1" if warm else "0"}
    started = time.perf_counter()
    async with client.get(base + path, headers=headers) as response:
        raw = await response.read()
    client_ms = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}: {raw[:300]!r}")
    timing = dict(
        part.strip().split(";dur=") for part in response.headers["Server-Timing"].split(",")
    )
    return Sample(
        float(timing["app"]),
        float(timing["cpu"]),
        client_ms,
        int(response.headers["X-Bench-Statements"]),
        len(raw),
        json.loads(raw),
    )


async def drive(port: int, reps: int) -> tuple[list[Timing], dict[str, Any]]:
    import aiohttp

    from bot.webapp_auth import launch_data

    base = f"http://127.0.0.1:{port}/app/"
    timings: list[Timing] = []
    seen: dict[str, Any] = {}
    async with aiohttp.ClientSession() as client:
        for leader, telegram_id in (("province", PROVINCE_LEADER), ("commune", COMMUNE_LEADER)):
            init_data = launch_data(
                TOKEN, user_id=telegram_id, first_name="Lãnh đạo", auth_date=NOW
            )
            me = (await fetch(client, base, "api/me", init_data, warm=False)).body
            unit, periods = me["unit"]["id"], [p["key"] for p in me["periods"]]
            paths = {
                "me": "api/me",
                "completeness": "api/completeness",
                "totals_month": f"api/totals?unit={unit}&period={periods[0]}",
                "totals_year": f"api/totals?unit={unit}&period={periods[2]}",
                "meetings": "api/meetings",
                "petitions": "api/petitions",
            }
            samples: dict[str, list[Sample]] = {name: [] for name in paths}
            cold: dict[str, Sample] = {}
            for rep in range(reps + 1):
                for name, path in paths.items():
                    sample = await fetch(client, base, path, init_data, warm=rep > 0)
                    if rep == 0:
                        cold[name] = sample
                    else:
                        samples[name].append(sample)
            # A grouped board (a province's: a row per commune): the tap on its first row,
            # the same endpoint drilled into that commune.
            first = samples["completeness"][-1].body["rounds"]
            groups = first[0].get("groups") if first else None
            if groups:
                drill = f"api/completeness?unit={groups[0]['id']}"
                cold["board_drill"] = await fetch(client, base, drill, init_data, warm=False)
                samples["board_drill"] = [
                    await fetch(client, base, drill, init_data, warm=True) for _ in range(reps)
                ]
            for name, found in samples.items():
                server = [s.server_ms for s in found]
                client_ms = [s.client_ms for s in found]
                timings.append(
                    Timing(
                        leader,
                        name,
                        len(found),
                        round(percentile(server, 50), 1),
                        round(percentile(server, 95), 1),
                        round(max(server), 1),
                        round(percentile([s.cpu_ms for s in found], 50), 1),
                        round(percentile(client_ms, 50), 1),
                        round(percentile(client_ms, 95), 1),
                        round(cold[name].server_ms, 1),
                        round(cold[name].client_ms, 1),
                        max(s.statements for s in found),
                        round(found[-1].size / 1024, 1),
                    )
                )
            screen = [sum(samples[name][i].server_ms for name in FIRST_SCREEN) for i in range(reps)]
            seen[leader] = {
                "unit": me["unit"],
                "first_screen_p50_ms": round(percentile(screen, 50), 1),
                "first_screen_p95_ms": round(percentile(screen, 95), 1),
                "first_screen_max_ms": round(max(screen), 1),
                "rounds": [
                    {"units": r["total"], "counts": r["counts"], "rows": _rows(r)}
                    for r in samples["completeness"][-1].body["rounds"]
                ],
                "totals_year": samples["totals_year"][-1].body,
                "totals_month_rows": len(samples["totals_month"][-1].body["rows"]),
            }
    return timings, seen


def _rows(round_: dict[str, Any]) -> int:
    """The rows the board shows for a round: a commune each when grouped, else a unit each."""
    groups = round_.get("groups")
    return len(groups) if groups is not None else len(round_["units"])


def check_year(db_path: Path, body: dict[str, Any]) -> dict[str, Any]:
    """The page's province totals for the year = a GROUP BY over the raw entries."""
    from bot.periods import Period

    period = Period.from_key(body["period"]["key"])
    naive = naive_year(db_path, period.start.isoformat(), period.end.isoformat())
    shown = {
        (kind["key"], f["measure"]): round(f["value"] * 1000)
        for kind in body["kinds"]
        for f in kind["figures"]
    }
    return {
        "period": body["period"]["label"],
        "cells": len(shown),
        "equal": shown == naive,
    }


async def run(db_path: Path, reps: int, profile: Path | None) -> tuple[list[Timing], Any]:
    command = [sys.executable, str(SCRIPT), "--server-child", str(db_path)]
    if profile is not None:
        command += ["--profile", str(profile)]
    child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        if not line:
            raise SystemExit("the server did not start")
        port = int(json.loads(line)["port"])
        return await drive(port, reps)
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
        await child.wait()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workdir", type=Path, help="the generated province (made when missing)")
    p.add_argument("--rows", type=int, default=1_000_000, help="entries, when generating")
    p.add_argument("--communes", type=int, default=100)
    p.add_argument("--areas", type=int, default=10)
    p.add_argument("--reps", type=int, default=20, help="warm requests of each kind")
    p.add_argument("--out", type=Path, help="write the results as JSON")
    p.add_argument("--profile", type=Path, help="cProfile stats of the server's warm requests")
    p.add_argument("--server-child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.server_child:
        asyncio.run(server_child(args.server_child, str(args.profile) if args.profile else None))
        return 0
    if args.workdir is None:
        p.error("--workdir is required")

    args.workdir.mkdir(parents=True, exist_ok=True)
    source, saved = args.workdir / "export.db", args.workdir / "data.json"
    if not (source.exists() and saved.exists()):
        source.unlink(missing_ok=True)
        print(f"generating {args.rows:,} entries into {source} (minutes)...", flush=True)
        saved.write_text(json.dumps(asyncio.run(generate(source, args))))
    data = json.loads(saved.read_text())
    if data["entries"] != args.rows:
        p.error(f"{source} holds {data['entries']:,} entries, not {args.rows:,}: another --workdir")
    print(f"machine: {machine()}", flush=True)
    print(f"data: {data}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-", dir=args.workdir) as folder:
        db_path = Path(folder) / "run.db"
        shutil.copy(source, db_path)
        people = asyncio.run(add_people(db_path, data["province_code"]))
        print(f"people: {people}", flush=True)
        timings, seen = asyncio.run(run(db_path, args.reps, args.profile))
        checked = check_year(db_path, seen["province"]["totals_year"])
    print(
        f"{'leader':9} {'request':13} {'server p50':>10} {'p95':>7} {'max':>7} {'cpu p50':>7} "
        f"{'client p50':>10} {'p95':>7} {'cold srv':>8} {'stmts':>5} {'KB':>7}"
    )
    for t in timings:
        print(
            f"{t.leader:9} {t.request:13} {t.server_p50_ms:10.1f} {t.server_p95_ms:7.1f} "
            f"{t.server_max_ms:7.1f} {t.cpu_p50_ms:7.1f} {t.client_p50_ms:10.1f} {t.client_p95_ms:7.1f} "
            f"{t.cold_server_ms:8.1f} {t.statements:5d} {t.kb:7.1f}"
        )
    ok = checked["equal"]
    for leader, found in seen.items():
        p95 = found["first_screen_p95_ms"]
        ok = ok and p95 < TARGET_MS
        print(
            f"{leader} leader ({found['unit']['name']}): first screen (me + completeness, "
            f"{sum(r['units'] for r in found['rounds'])} reports in {len(found['rounds'])} rounds, "
            f"{sum(r['rows'] for r in found['rounds'])} rows on the board) server p50 {found['first_screen_p50_ms']} ms, p95 {p95} ms, max "
            f"{found['first_screen_max_ms']} ms — target < {TARGET_MS:g} ms: "
            f"{'PASS' if p95 < TARGET_MS else 'FAIL'}"
        )
    print(
        f"province totals for {checked['period']} = GROUP BY over the entries "
        f"({checked['cells']} figures): {checked['equal']}"
    )
    print(f"load average after: {os.getloadavg()}")
    if args.out:
        for found in seen.values():
            found.pop("totals_year", None)
        args.out.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "data": data,
                    "people": people,
                    "timings": [asdict(t) for t in timings],
                    "screens": seen,
                    "check": checked,
                },
                indent=2,
                default=str,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
