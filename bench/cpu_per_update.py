"""CPU per update in the production configuration, against a bare echo bot; memory over a long run.

    .venv/bin/python bench/cpu_per_update.py [--rounds 3] [--users 20] [--updates 600]
        [--memory-updates 100000] [--sample-every 5000] [--out FILE]
    .venv/bin/python bench/cpu_per_update.py --quick      # a few minutes: small counts throughout

The bot runs in a process of its own; the Bot API emulator and the simulated users run in this one.
CPU per update is the bot process's CPU time (user + system, every thread: aiosqlite's connection
threads count) between two marks, read from ``/proc/<pid>/stat``, divided by the updates handled
in between: the emulator's work is not in it.

Three phases, each a fresh bot process, alternating for ``--rounds`` rounds (the median of each is
reported, because on a shared VM the speed of one process differs from the next's):

1. ``echo``: a bare python-telegram-bot ``Application`` with the **same** ``AIORateLimiter`` as
   ``build_application(rate_limit=True)`` (``max_retries=0``) and the same ``Defaults``; its one
   ``MessageHandler`` sends the text back. Production replies are capped near Telegram's 30/s by
   that limiter, so CPU per update, not updates/s, is the figure that matters.
2. ``shortcut``: the real application, ``build_application(rate_limit=True)``, on a fresh SQLite
   file (the demo province plus ``--users`` cadres of residential areas), each cadre sending
   ``/log <type> <numbers>`` shortcuts in a closed loop. Target: <= 1.8x the echo bot's CPU.
3. ``guided``: the same, each cadre entering whole guided ``/log`` entries (command, type button,
   typed numbers, date button, note, /skip of the photo, "save" button: nine updates, every one an
   answer to the flow). Target: <= 2.5x the echo bot's CPU per update.

Then ``memory``: one Phối hợp process handles ``--memory-updates`` shortcuts (without the 30/s
limiter, else 100,000 updates take an hour; the limiter keeps no per-update state for private
chats). Every ``--sample-every`` updates it reports its RSS, peak RSS, the number of statements
SQLAlchemy compiled (an unbounded dict given as the engine's ``compiled_cache``, so growth shows
instead of being hidden by the LRU's 500 entries), the sessions alive and their identity maps.
The slope of each over the second half of the run is printed (per 10,000 updates): flat is ~0.

Every Phối hợp reply is checked ("Đã lưu thành mục #N." for a shortcut and a saved entry), and the
database must hold one activity per saved entry; otherwise the run fails (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from log_throughput import (
    FIRST_CADRE_ID,
    SAVED_PREFIX,
    SHORTCUTS,
    WARMUP_USER,
    BenchError,
    ReplyTap,
    ask,
)

from bot.emulator import BotApiEmulator, UserClient

SCRIPT = str(Path(__file__).resolve())
STATS_MARKER = "BENCH-STATS "
#: Set to a file name: the bot process writes a cProfile of everything after start-up there.
PROFILE_ENV = "PHOIHOP_BENCH_PROFILE"
READY_MARKER = "BENCH-READY"
TARGET_SHORTCUT = 1.8
TARGET_GUIDED = 2.5
#: The guided entry: (action, argument). Nine updates, the last one saves.
GUIDED = (
    ("send", "/log"),
    ("press", "Nhà Đại đoàn kết"),
    ("send", "2"),
    ("send", "0"),
    ("send", "120tr"),
    ("press", "Hôm qua"),
    ("send", "thôn 3"),
    ("send", "/skip"),
    ("press", "Lưu"),
)
WARMUP_ROUNDS = 3


@dataclass
class PhaseResult:
    phase: str
    updates: int
    wall_s: float
    updates_per_s: float
    cpu_ms_per_update: float
    peak_rss_mb: float


@dataclass
class MemoryResult:
    updates: int
    samples: list[dict[str, float]] = field(default_factory=list)
    slopes_per_10k: dict[str, float] = field(default_factory=dict)


# ====================================================================== the bot process
def _process_stats(cache: dict[Any, Any] | None) -> dict[str, float]:
    from sqlalchemy.orm import Session

    sessions = [o for o in gc.get_objects() if isinstance(o, Session)]
    return {
        "compiled_statements": float(len(cache)) if cache is not None else 0.0,
        "sessions_alive": float(len(sessions)),
        "identity_map_objects": float(sum(len(s.identity_map) for s in sessions)),
    }


async def _serve_until_stopped(report: Callable[[], dict[str, float]]) -> None:
    """Print READY, answer SIGUSR1 with a stats line, return on SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(
        signal.SIGUSR1,
        lambda: print(STATS_MARKER + json.dumps(report()), flush=True),
    )
    profile = os.environ.get(PROFILE_ENV)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    print(READY_MARKER, flush=True)
    await stop.wait()
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile)


async def serve_echo(args: argparse.Namespace) -> None:
    from telegram import Update
    from telegram.constants import ParseMode
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        ContextTypes,
        Defaults,
        MessageHandler,
        filters,
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await context.bot.send_message(message.chat_id, message.text)

    app = (
        ApplicationBuilder()
        .token(args.token)
        .base_url(args.base_url)
        .base_file_url(args.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .concurrent_updates(False)
        .rate_limiter(AIORateLimiter(max_retries=0))  # as build_application(rate_limit=True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=5, allowed_updates=Update.ALL_TYPES)
    await app.start()
    gc.collect()
    gc.freeze()  # what `phoihop run` does once started: the same footing for both
    try:
        await _serve_until_stopped(lambda: _process_stats(None))
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def serve_phoihop(args: argparse.Namespace) -> None:
    from bot.clock import SystemClock
    from bot.demo import seed_demo
    from bot.i18n import I18n
    from bot.runtime.app import build_application
    from bot.runtime.runner import settle_heap, start_app, stop_app
    from bot.schema import prepare_database
    from bot.services import Services
    from bot.settings import Settings
    from storage.db import Database, create_sessionmaker
    from storage.queries import people as people_q
    from storage.queries import units as units_q

    clock = SystemClock()
    db = Database(f"sqlite+aiosqlite:///{args.db}")
    cache: dict[Any, Any] | None = None
    if args.count_statements:
        # Every statement SQLAlchemy compiles lands here (the public ``compiled_cache`` option,
        # which supersedes the engine's LRU), so its size counts the distinct statements ever
        # compiled. Only in the memory run: the CPU phases run the engine as configured.
        cache = {}
        db.engine = db.engine.execution_options(compiled_cache=cache)
        db.sessionmaker = create_sessionmaker(db.engine)
    await prepare_database(db, clock.now())
    async with db.session() as session:
        await seed_demo(session, clock.now())
        areas = [
            u
            for u in await units_q.list_units(session)
            if u.kind == "residential_area" and u.org == "mttq"
        ]
        for i in range(args.users):
            person = await people_q.ensure(session, FIRST_CADRE_ID + i, clock.now())
            unit = areas[i % len(areas)]
            await people_q.grant(session, person.id, unit.id, "cadre", clock.now(), "bench")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=db.url,
        bot_api_url=args.base_url,
        bot_api_file_url=args.file_url,
        bot_token=args.token,
        log_level="WARNING",
        flood_burst=0,  # the simulated users type faster than people: no flood refusals
    )
    services = Services(settings=settings, db=db, clock=clock, i18n=I18n(settings.tz))
    app = build_application(services, token=args.token, rate_limit=not args.no_rate_limit)
    await start_app(app, poll_timeout=5)
    settle_heap()
    try:
        await _serve_until_stopped(lambda: _process_stats(cache))
    finally:
        await stop_app(app)
        await db.dispose()


# ====================================================================== this process: the users
class Bot:
    """A bot process, its CPU and memory as /proc sees them, and its stats on request."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ticks = os.sysconf("SC_CLK_TCK")

    @classmethod
    async def start(cls, kind: str, emu: BotApiEmulator, tmp: str, **options: Any) -> Bot:
        command = [
            sys.executable,
            SCRIPT,
            "--serve",
            kind,
            "--base-url",
            emu.base_url,
            "--file-url",
            emu.base_file_url,
            "--token",
            emu.token,
            "--db",
            str(Path(tmp) / "bench.db"),
            "--users",
            str(options.get("users", 1)),
        ]
        if options.get("no_rate_limit"):
            command.append("--no-rate-limit")
        if options.get("count_statements"):
            command.append("--count-statements")
        proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        bot = cls(proc)
        await bot._line(READY_MARKER, timeout=120)
        return bot

    async def _line(self, marker: str, timeout: float) -> str:  # noqa: ASYNC109
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise BenchError(f"the bot process ended (exit {await self.proc.wait()})")
                line = raw.decode().strip()
                if line.startswith(marker):
                    return line[len(marker) :]

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._ticks  # utime, stime

    def memory_mb(self) -> tuple[float, float]:
        """(RSS now, peak RSS) in MB."""
        values: dict[str, float] = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]

    async def stats(self) -> dict[str, float]:
        self.proc.send_signal(signal.SIGUSR1)
        return dict(json.loads(await self._line(STATS_MARKER, timeout=60)))

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 60)


async def _echo_loop(emu: BotApiEmulator, users: list[UserClient], per_user: int) -> int:
    tap = ReplyTap(emu)

    async def one(index: int, user: UserClient) -> None:
        for i in range(per_user):
            text = SHORTCUTS[(index + i) % len(SHORTCUTS)]
            _, reply = await ask(emu, tap, user, text)
            if reply != text:
                raise BenchError(f"echo replied {reply!r} to {text!r}")

    async with asyncio.TaskGroup() as group:
        for index, user in enumerate(users):
            group.create_task(one(index, user))
    return len(users) * per_user


async def _shortcut_loop(users: list[UserClient], per_user: int, offset: int = 0) -> int:
    async def one(index: int, user: UserClient) -> None:
        for i in range(per_user):
            text = SHORTCUTS[(index + i + offset) % len(SHORTCUTS)]
            replies = await user.send(text)
            if not replies or not replies[-1].text.startswith(SAVED_PREFIX):
                got = replies[-1].text[:200] if replies else "nothing"
                raise BenchError(f"Phối hợp replied {got!r} to {text!r}")

    async with asyncio.TaskGroup() as group:
        for index, user in enumerate(users):
            group.create_task(one(index, user))
    return len(users) * per_user


async def _guided_loop(users: list[UserClient], entries: int) -> int:
    async def one(user: UserClient) -> None:
        for _ in range(entries):
            replies: list[Any] = []
            for action, value in GUIDED:
                replies = await (user.send(value) if action == "send" else user.press(value))
            if not replies or not replies[-1].text.startswith(SAVED_PREFIX):
                got = replies[-1].text[:200] if replies else "nothing"
                raise BenchError(f"the guided entry ended with {got!r}")

    async with asyncio.TaskGroup() as group:
        for user in users:
            group.create_task(one(user))
    return len(users) * entries * len(GUIDED)


class InboxSettled:
    """The emulator's ``settle_hook`` for a bot in another process: the bot confirms a batch to
    Telegram once it is stored in its inbox, before handling it (bot/runtime/polling.py), so a
    ``UserClient`` action returns once the inbox has nothing unfinished. One task reads the
    file every 5 ms for every waiting user (the bench's CPU, not the bot's); a database
    without an inbox table (a build before it) is settled at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._quiet: asyncio.Future[None] | None = None

    def _unfinished(self) -> int:
        import sqlite3

        with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            try:
                [(count,)] = conn.execute("SELECT count(*) FROM inbox WHERE done_at IS NULL")
            except sqlite3.OperationalError:  # no inbox table
                return 0
        return int(count)

    async def _watch(self, quiet: asyncio.Future[None]) -> None:
        while self._unfinished():  # noqa: ASYNC110 - another process's file has no event
            await asyncio.sleep(0.005)
        quiet.set_result(None)
        self._quiet = None

    async def __call__(self) -> None:
        if self._quiet is None:
            self._quiet = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().create_task(self._watch(self._quiet))
        await asyncio.shield(self._quiet)


async def count_activities(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM activities").fetchone()[0])


async def run_phase(phase: str, args: argparse.Namespace) -> PhaseResult:
    emu = BotApiEmulator()
    emu.deliver_timeout = 60.0
    await emu.start()
    with tempfile.TemporaryDirectory(prefix="phoihop-cpu-") as tmp:
        bot = await Bot.start("echo" if phase == "echo" else "phoihop", emu, tmp, users=args.users)
        if phase != "echo":
            emu.settle_hook = InboxSettled(Path(tmp) / "bench.db")
        try:
            warm = emu.user(WARMUP_USER, "Nam", last_name="Lê Văn", language_code="vi")
            users = [
                emu.user(FIRST_CADRE_ID + i, f"Cán bộ {i}", language_code="vi")
                for i in range(args.users)
            ]
            entries = max(1, args.updates // (args.users * len(GUIDED)))
            per_user = max(1, args.updates // args.users)
            if phase == "echo":
                await _echo_loop(emu, [warm], WARMUP_ROUNDS)
                await _echo_loop(emu, users, 1)  # every user's first update: not measured
            elif phase == "shortcut":
                await _shortcut_loop([warm], WARMUP_ROUNDS)
                await _shortcut_loop(users, 1)
            else:
                await _guided_loop([warm], 1)
                await _guided_loop(users, 1)
            before = await count_activities(Path(tmp) / "bench.db") if phase != "echo" else 0
            cpu, started = bot.cpu_seconds(), time.perf_counter()
            if phase == "echo":
                updates = await _echo_loop(emu, users, per_user)
            elif phase == "shortcut":
                updates = await _shortcut_loop(users, per_user, offset=1)
            else:
                updates = await _guided_loop(users, entries)
            wall, cpu = time.perf_counter() - started, bot.cpu_seconds() - cpu
            _, peak = bot.memory_mb()
            if phase != "echo":
                saved = await count_activities(Path(tmp) / "bench.db") - before
                expected = updates if phase == "shortcut" else updates // len(GUIDED)
                if saved != expected:
                    raise BenchError(f"{phase}: {saved} new activities, expected {expected}")
        finally:
            await bot.stop()
            await emu.stop()
    return PhaseResult(
        phase=phase,
        updates=updates,
        wall_s=round(wall, 2),
        updates_per_s=round(updates / wall, 1),
        cpu_ms_per_update=round(cpu * 1000 / updates, 3),
        peak_rss_mb=round(peak, 1),
    )


def slope_per_10k(samples: list[dict[str, float]], key: str) -> float:
    """Least-squares slope of ``key`` against updates over the second half of the samples."""
    half = samples[len(samples) // 2 :]
    if len(half) < 2:
        return 0.0
    xs = [s["updates"] for s in half]
    ys = [s[key] for s in half]
    return float(statistics.linear_regression(xs, ys).slope * 10_000)


async def run_memory(args: argparse.Namespace) -> MemoryResult:
    emu = BotApiEmulator()
    emu.deliver_timeout = 60.0
    await emu.start()
    result = MemoryResult(updates=0)
    with tempfile.TemporaryDirectory(prefix="phoihop-mem-") as tmp:
        bot = await Bot.start(
            "phoihop", emu, tmp, users=args.users, no_rate_limit=True, count_statements=True
        )
        # As in run_phase: the bot takes updates into its inbox before handling them, so a
        # user's send is settled only once the inbox is empty, not when getUpdates returned.
        emu.settle_hook = InboxSettled(Path(tmp) / "bench.db")
        try:
            users = [
                emu.user(FIRST_CADRE_ID + i, f"Cán bộ {i}", language_code="vi")
                for i in range(args.users)
            ]
            await _shortcut_loop(users, 1)
            per_user = max(1, args.sample_every // args.users)
            done = 0
            while True:
                rss, peak = bot.memory_mb()
                stats = await bot.stats()
                sample = {"updates": float(done), "rss_mb": rss, "peak_rss_mb": peak, **stats}
                result.samples.append(sample)
                print(
                    f"  {done:>7} updates: RSS {rss:6.1f} MB (peak {peak:6.1f}), "
                    f"{stats['compiled_statements']:.0f} compiled statements, "
                    f"{stats['sessions_alive']:.0f} sessions alive "
                    f"({stats['identity_map_objects']:.0f} objects in identity maps)",
                    flush=True,
                )
                if done >= args.memory_updates:
                    break
                # offset + 1: each user's first shortcut differs from the one before it (the
                # warm-up's, then the last sample's), else the bot asks "the same entry again?".
                done += await _shortcut_loop(users, per_user, offset=done + 1)
        finally:
            await bot.stop()
            await emu.stop()
    result.updates = done
    for key in ("rss_mb", "peak_rss_mb", "compiled_statements", "identity_map_objects"):
        result.slopes_per_10k[key] = round(slope_per_10k(result.samples, key), 3)
    return result


def median_of(runs: list[PhaseResult]) -> PhaseResult:
    ranked = sorted(runs, key=lambda run: run.cpu_ms_per_update)
    return ranked[(len(ranked) - 1) // 2]


def render(rounds: dict[str, list[PhaseResult]], memory: MemoryResult | None) -> str:
    echo = median_of(rounds["echo"])
    lines = [
        f"{'phase':10}{'updates':>9}{'upd/s':>8}{'CPU ms/upd':>12}{'x echo':>8}"
        f"{'peak RSS':>10}   rounds (CPU ms/update)",
    ]
    for phase, runs in rounds.items():
        med = median_of(runs)
        ratio = med.cpu_ms_per_update / echo.cpu_ms_per_update
        lines.append(
            f"{phase:10}{med.updates:>9}{med.updates_per_s:>8.1f}{med.cpu_ms_per_update:>12.2f}"
            f"{ratio:>8.2f}{med.peak_rss_mb:>9.1f}M   "
            + ", ".join(f"{r.cpu_ms_per_update:.2f}" for r in runs)
        )
    shortcut = median_of(rounds["shortcut"]).cpu_ms_per_update / echo.cpu_ms_per_update
    guided = median_of(rounds["guided"]).cpu_ms_per_update / echo.cpu_ms_per_update
    lines.append("")
    lines.append(
        f"  {'PASS' if shortcut <= TARGET_SHORTCUT else 'FAIL'}  /log shortcut <= "
        f"{TARGET_SHORTCUT}x echo CPU per update: {shortcut:.2f}x"
    )
    lines.append(
        f"  {'PASS' if guided <= TARGET_GUIDED else 'FAIL'}  guided /log update <= "
        f"{TARGET_GUIDED}x echo CPU per update: {guided:.2f}x"
    )
    if memory is not None:
        lines += ["", render_memory(memory)]
    return "\n".join(lines)


def render_memory(memory: MemoryResult) -> str:
    return (
        f"memory over {memory.updates} shortcut updates, slope over the second half "
        "per 10,000 updates: "
        + ", ".join(f"{k} {v:+.3f}" for k, v in memory.slopes_per_10k.items())
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--users", type=int, default=20, help="simulated cadres (default 20)")
    parser.add_argument(
        "--updates", type=int, default=600, help="measured updates per phase (default 600)"
    )
    parser.add_argument("--memory-updates", type=int, default=100_000)
    parser.add_argument("--sample-every", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="small counts, a few minutes")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--phases", default="echo,shortcut,guided", help="comma-separated (default: all three)"
    )
    parser.add_argument("--out", help="also write the results as JSON to this file")
    # The bot process (internal).
    parser.add_argument("--serve", choices=["echo", "phoihop"], help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--file-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--no-rate-limit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count-statements", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.updates = 1, 180
        args.memory_updates, args.sample_every = 4_000, 500
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.serve:
        serve: Callable[[argparse.Namespace], Awaitable[None]] = (
            serve_echo if args.serve == "echo" else serve_phoihop
        )
        asyncio.run(serve(args))
        return 0
    rounds: dict[str, list[PhaseResult]] = {p: [] for p in args.phases.split(",")}
    memory: MemoryResult | None = None
    try:
        for n in range(args.rounds):
            for phase in rounds:
                result = asyncio.run(run_phase(phase, args))
                rounds[phase].append(result)
                print(
                    f"round {n + 1} {phase:9}: {result.cpu_ms_per_update:.2f} ms CPU per update "
                    f"({result.updates} updates, {result.updates_per_s:.1f}/s)",
                    flush=True,
                )
        if not args.skip_memory:
            memory = asyncio.run(run_memory(args))
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    print()
    if all(rounds.get(phase) for phase in ("echo", "shortcut", "guided")):
        print(render(rounds, memory))
    elif memory is not None:
        print(render_memory(memory))
    if args.out:
        report = {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average": os.getloadavg(),
            "rounds": {k: [asdict(r) for r in v] for k, v in rounds.items()},
            "memory": asdict(memory) if memory else None,
        }
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
