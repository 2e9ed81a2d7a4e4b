"""Another user's reply latency while a province-year ``/export`` is built, in the production set-up.

    .venv/bin/python bench/export_latency.py --workdir DIR [--users 10] [--think 1.0]
        [--baseline 20] [--modes thread,on_loop,process] [--out FILE]

The data is ``bench/export.py``'s province (500,000 entries over 2026, 1,601 units, four report
rounds, 1,200 meetings): generated into ``--workdir`` if that holds none yet (about four minutes;
``bench/export.py --workdir DIR`` makes the same), and copied for each run, since a run adds
entries.

The bot runs in a process of its own, as in production: the real application with
``build_application(rate_limit=True)`` (python-telegram-bot's ``AIORateLimiter``, as ``phoihop
run`` has it), our long poller, SQLite. This process plays Telegram: the Bot API emulator and the
users. (In one process the users could not send while the bot's loop is blocked, and a frozen bot
would look fast.) ``--users`` cadres of residential areas send ``/log`` shortcuts one at a time,
waiting ``--think`` seconds after each reply (people on phones; users start spread over one think
time). Latency is from ``push_update`` to the bot's ``sendMessage`` reaching the emulator (a hook
on the emulator's handler; no polling).

1. ``baseline``: ``--baseline`` seconds of those users alone.
2. ``export``: an owner of the province sends ``/export năm 2026``; the users keep going until the
   workbook (``sendDocument``) reaches the emulator. Only replies to messages sent in that window
   count. ``--modes`` runs this with a fresh bot process per mode:

   - ``process``: what ``/export`` does (``bot/export_worker.py``: the build, from a snapshot on a
     connection of its own, in a process of its own);
   - ``thread``: the same build in a worker thread of the bot process (what ``/export`` did until
     03/12/2026: it shares the bot's GIL);
   - ``on_loop``: as before issue 14, ``build_export`` in the bot's own session on its event loop.

   ``thread`` and ``on_loop`` replace ``bot.export_worker.export_in_process`` in the bot process
   only.

Target (issue 14): p99 < 500 ms during the export (first mode). Every reply must be "Đã lưu …";
the workbook's entry count (its caption) must lie between the database's counts before and after
the run (users log entries while it runs; the workbook holds its snapshot's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).resolve()
sys.path.insert(0, str(ROOT))

from bench.export import PERIOD, generate, machine  # noqa: E402
from bot.emulator import BotApiEmulator, UserClient  # noqa: E402

OWNER_ID = 8_000
FIRST_CADRE_ID = 8_100
SHORTCUTS = ("/log ket_nap 2", "/log hoa_giai 1", "/log ket_nap 5", "/log hoa_giai 3")
SAVED_PREFIX = "Đã lưu"
TARGET_P99_MS = 500.0
REPLY_TIMEOUT = 600.0


class BenchError(Exception):
    pass


@dataclass
class Window:
    phase: str
    seconds: float
    replies: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def window(phase: str, seconds: float, latencies: list[float]) -> Window:
    ms = [v * 1000 for v in latencies]
    return Window(
        phase,
        round(seconds, 1),
        len(ms),
        round(percentile(ms, 50), 1),
        round(percentile(ms, 95), 1),
        round(percentile(ms, 99), 1),
        round(max(ms, default=0.0), 1),
    )


class Tap:
    """Hooks the emulator's sendMessage and sendDocument: wakes whoever waits for that chat."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self._waiting: dict[int, asyncio.Future[str]] = {}
        self.documents: list[dict[str, Any]] = []
        self.document_arrived = asyncio.Event()
        methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = emu._methods
        send_message, send_document = methods["sendmessage"], methods["senddocument"]

        async def on_message(params: dict[str, Any]) -> Any:
            result = await send_message(params)
            future = self._waiting.pop(int(result["chat"]["id"]), None)
            if future is not None and not future.done():
                future.set_result(str(result.get("text", "")))
            return result

        async def on_document(params: dict[str, Any]) -> Any:
            result = await send_document(params)
            self.documents.append(result)
            self.document_arrived.set()
            return result

        methods["sendmessage"] = on_message
        methods["senddocument"] = on_document

    def expect(self, chat_id: int) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future


async def ask(emu: BotApiEmulator, tap: Tap, user: UserClient, text: str) -> tuple[float, float]:
    """(sent at, seconds until the reply) of one message."""
    future = tap.expect(user.id)
    started = time.perf_counter()
    emu.push_text(user, text)
    reply = await asyncio.wait_for(future, REPLY_TIMEOUT)
    if not reply.startswith(SAVED_PREFIX):
        raise BenchError(f"the bot replied {reply[:200]!r} to {text!r}")
    return started, time.perf_counter() - started


async def users_until(
    emu: BotApiEmulator, tap: Tap, users: list[UserClient], think: float, done: asyncio.Event
) -> list[tuple[float, float]]:
    """Every user sends shortcuts (a reply, ``think`` seconds, the next) until ``done``."""
    samples: list[tuple[float, float]] = []

    async def one(index: int, user: UserClient) -> None:
        await asyncio.sleep(think * index / len(users))
        i = 0
        while not done.is_set():
            samples.append(await ask(emu, tap, user, SHORTCUTS[(index + i) % len(SHORTCUTS)]))
            i += 1
            await asyncio.sleep(think)

    async with asyncio.TaskGroup() as group:
        for index, user in enumerate(users):
            group.create_task(one(index, user))
    return samples


async def timer(seconds: float, done: asyncio.Event) -> None:
    await asyncio.sleep(seconds)
    done.set()


async def grant_people(db_path: Path, code: str, users: int) -> None:
    """The owner of the province and ``users`` cadres of residential areas."""
    from bot.clock import SystemClock
    from storage.db import Database
    from storage.queries import people as people_q
    from storage.queries import units as units_q

    now = SystemClock().now()
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with db.session() as session:
            province = await units_q.by_code(session, code)
            assert province is not None
            areas = [
                u
                for u in await units_q.list_units(session)
                if u.kind == "residential_area" and u.org == "mttq"
            ]
            owner = await people_q.ensure(session, OWNER_ID, now)
            await people_q.grant(session, owner.id, province.id, "owner", now, "bench")
            for i in range(users):
                person = await people_q.ensure(session, FIRST_CADRE_ID + i, now)
                unit = areas[i * 37 % len(areas)]
                await people_q.grant(session, person.id, unit.id, "cadre", now, "bench")
    finally:
        await db.dispose()


# --------------------------------------------------------------------------------------------------
# The bot: a process of its own, as in production (the emulator plays Telegram from outside)
# --------------------------------------------------------------------------------------------------


async def bot_child(db_path: str, api: str, files: str, token: str, mode: str) -> None:
    import signal

    from bot.clock import SystemClock
    from bot.i18n import I18n
    from bot.runtime.app import build_application
    from bot.runtime.runner import settle_heap, start_app, stop_app
    from bot.services import Services
    from bot.settings import Settings
    from storage.db import Database

    db = Database(f"sqlite+aiosqlite:///{db_path}")
    if mode == "on_loop":
        use_the_loop(db)
    elif mode == "thread":
        use_a_thread()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=db.url,
        bot_api_url=api,
        bot_api_file_url=files,
        bot_token=token,
        log_level="WARNING",
        outbox_interval=0,
        flood_burst=0,
    )
    services = Services(settings=settings, db=db, clock=SystemClock(), i18n=I18n(settings.tz))
    app = build_application(services, token=token, rate_limit=True)  # as in production
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await start_app(app, poll_timeout=5)
    settle_heap()  # what `phoihop run` does once started
    cpu = time.process_time()
    await stop.wait()
    cpu = time.process_time() - cpu
    await stop_app(app)
    await db.dispose()
    print(json.dumps({"bot_cpu_s": round(cpu, 1)}), flush=True)


def use_the_loop(db: Any) -> None:
    """For comparison: the export as it ran before, in the bot's own session on its event loop."""
    import bot.export as export_domain
    import bot.export_worker as export_worker
    from bot.i18n import I18n
    from storage.models import Unit

    async def on_the_loop(
        url: str, actor: Any, unit_id: int, period: Any, path: str, *, locale: str, tz: Any
    ) -> Any:
        tr = I18n(tz).translator(locale)
        async with db.session() as session:
            unit = await session.get(Unit, unit_id)
            return await export_domain.build_export(
                session, actor, unit, period, path, locale=locale, tr=tr, tz=tz
            )

    export_worker.export_in_process = on_the_loop  # type: ignore[assignment]


def use_a_thread() -> None:
    """For comparison: the same build (``export_from_snapshot``) in a worker thread of the bot
    process, sharing its GIL (what /export did until 03/12/2026)."""
    import bot.export as export_domain
    import bot.export_worker as export_worker
    from bot.i18n import I18n

    async def in_a_thread(
        url: str, actor: Any, unit_id: int, period: Any, path: str, *, locale: str, tz: Any
    ) -> Any:
        tr = I18n(tz).translator(locale)
        return await export_domain.export_in_thread(url, actor, unit_id, period, path, tr=tr, tz=tz)

    export_worker.export_in_process = in_a_thread  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------------
# The driver: the emulator and the users
# --------------------------------------------------------------------------------------------------


async def run(db_path: Path, args: argparse.Namespace) -> dict[str, Any]:
    emu = BotApiEmulator()
    await emu.start()
    tap = Tap(emu)
    results: dict[str, Any] = {}
    users = [
        emu.user(FIRST_CADRE_ID + i, f"Cán bộ {i}", language_code="vi") for i in range(args.users)
    ]
    owner = emu.user(OWNER_ID, "Chủ tịch", language_code="vi")
    try:
        for index, mode in enumerate(args.modes.split(",")):
            command = [
                sys.executable,
                str(SCRIPT),
                "--bot-child",
                str(db_path),
                "--api",
                emu.base_url,
                "--files",
                emu.base_file_url,
                "--token",
                emu.token,
            ]
            command += ["--child-mode", mode]
            if args.switch_interval:
                command += ["--switch-interval", str(args.switch_interval)]
            child = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.PIPE, cwd=ROOT
            )
            try:
                await emu.wait_polling(timeout=120)
                results[mode] = await phases(emu, tap, users, owner, args, baseline=index == 0)
            finally:
                if child.returncode is None:
                    child.terminate()
                out, _ = await child.communicate()
            lines = out.decode().strip().splitlines()
            if lines:
                results[mode].update(json.loads(lines[-1]))
    finally:
        await emu.stop()
    return results


async def phases(
    emu: BotApiEmulator,
    tap: Tap,
    users: list[UserClient],
    owner: UserClient,
    args: argparse.Namespace,
    *,
    baseline: bool,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for index, user in enumerate(users):  # warm-up: one message each
        # Not the one their samples start with: the same shortcut again within minutes asks
        # "save another?" (issue 15) instead of saving.
        await ask(emu, tap, user, SHORTCUTS[(index - 1) % len(SHORTCUTS)])
    if baseline:
        done = asyncio.Event()
        started = time.perf_counter()
        timing = asyncio.create_task(timer(args.baseline, done))
        samples = await users_until(emu, tap, users, args.think, done)
        await timing
        base = window("baseline", time.perf_counter() - started, [s for _t, s in samples])
        results["baseline"] = asdict(base)
        print(f"baseline: {base}", flush=True)

    done = asyncio.Event()
    tap.document_arrived.clear()
    began = time.perf_counter()
    emu.push_text(owner, "/export năm 2026")

    async def until_document() -> None:
        await asyncio.wait_for(tap.document_arrived.wait(), 3600)
        done.set()

    waiting = asyncio.create_task(until_document())
    samples = await users_until(emu, tap, users, args.think, done)
    await waiting
    ended = time.perf_counter()
    during = [s for t, s in samples if t < ended]
    result = window("export", ended - began, during)
    results["export"] = asdict(result)
    print(f"export: {result}", flush=True)
    caption = str(tap.documents[-1].get("caption", ""))
    found = re.search(r"(\d+) hoạt động", caption)
    results["workbook_entries"] = int(found.group(1)) if found else None
    results["workbook_bytes"] = tap.documents[-1]["document"].get("file_size")
    return results


def entries_in_period(db_path: Path) -> int:
    con = sqlite3.connect(db_path)
    try:
        return int(
            con.execute(
                "SELECT count(*) FROM activities WHERE deleted_at IS NULL AND occurred_on "
                "BETWEEN ? AND ?",
                (PERIOD.start.isoformat(), PERIOD.end.isoformat()),
            ).fetchone()[0]
        )
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workdir", type=Path, help="bench/export.py's data (or make it)")
    p.add_argument("--users", type=int, default=10)
    p.add_argument("--think", type=float, default=1.0, help="seconds between a reply and the next")
    p.add_argument("--baseline", type=float, default=20.0, help="seconds without the export")
    p.add_argument(
        "--modes",
        default="process",
        help="comma-separated: process (what /export does), thread, on_loop (as before)",
    )
    p.add_argument("--rows", type=int, default=500_000, help="entries, when generating")
    p.add_argument("--communes", type=int, default=100)
    p.add_argument("--areas", type=int, default=10)
    p.add_argument("--out", type=Path, help="write the results as JSON")
    p.add_argument("--bot-child", help=argparse.SUPPRESS)
    p.add_argument("--api", help=argparse.SUPPRESS)
    p.add_argument("--files", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--child-mode", default="process", help=argparse.SUPPRESS)
    p.add_argument(
        "--switch-interval",
        type=float,
        help="sys.setswitchinterval in the bot process (an experiment; default: Python's 5 ms)",
    )
    args = p.parse_args(argv)
    if args.bot_child:
        if args.switch_interval:
            sys.setswitchinterval(args.switch_interval)
        asyncio.run(bot_child(args.bot_child, args.api, args.files, args.token, args.child_mode))
        return 0
    if args.workdir is None:
        p.error("--workdir is required")

    args.workdir.mkdir(parents=True, exist_ok=True)
    source, saved = args.workdir / "export.db", args.workdir / "data.json"
    if not (source.exists() and saved.exists()):
        source.unlink(missing_ok=True)
        saved.write_text(json.dumps(asyncio.run(generate(source, args))))
    data = json.loads(saved.read_text())
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-export-latency-", dir=args.workdir) as folder:
        db_path = Path(folder) / "run.db"
        shutil.copy(source, db_path)
        asyncio.run(grant_people(db_path, data["province_code"], args.users))
        before = entries_in_period(db_path)
        results = asyncio.run(run(db_path, args))
        after = entries_in_period(db_path)
    first = results[args.modes.split(",")[0]]
    exported = first["workbook_entries"]
    # Users log entries while the export runs: the workbook holds its snapshot's count.
    consistent = exported is not None and before <= exported <= after
    p99 = first["export"]["p99_ms"]
    ok = p99 < TARGET_P99_MS and consistent
    print(
        f"another user's reply while a province-year /export runs "
        f"({first['export']['seconds']} s, {args.modes.split(',')[0]}): p99 {p99} ms over "
        f"{first['export']['replies']} replies — target < {TARGET_P99_MS:g} ms: "
        f"{'PASS' if p99 < TARGET_P99_MS else 'FAIL'}; workbook entries {exported} within the "
        f"database's {before}..{after}: {consistent}"
    )
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "date_utc": datetime.now(UTC).isoformat(timespec="minutes"),
                    "pid": os.getpid(),
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": results,
                },
                indent=2,
                default=str,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
