"""Scale-out on PostgreSQL: updates/s with 1 and with 3 `phoihop run --webhook` processes, and how
long the scheduler takes to move to another process after its holder is killed with SIGKILL.

    createdb -h 127.0.0.1 -U postgres bench_scaleout
    .venv/bin/python bench/scaleout.py [--database-url URL] [--users 30] [--messages 20]
                                       [--repeat 1] [--retry SECONDS] [--out FILE]

The database at ``--database-url`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/
bench_scaleout``) is wiped, migrated and seeded with the demo province plus ``--users`` cadres
(telegram ids 5000+). Its schema is dropped: never point this at real data.

Throughput: for 1 and then 3 processes, real subprocesses (``python -m bot run --webhook ...``,
with the production settings: rate limiter, scheduler, outbox every second) sit behind the Bot API
emulator, which runs in this process and plays the load balancer (round robin). Each user sends
``--messages`` ``/log`` one-line shortcuts in a closed loop: the next only once the webhook answered
200 for the previous one (our webhook answers after the update was handled, so the reply has been
sent by then). Updates/s = users x messages / wall time; latency = from the update's creation to
the webhook's 200. Every reply must start with "Đã lưu thành mục #".

Takeover: with 3 processes, find the one holding the scheduler lock (pg_locks), SIGKILL it and time
until another process holds the lock; twice (the second time from the new leader). The processes
use the default ``PHOIHOP_SCHEDULER_RETRY`` (5 s) unless ``--retry`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.emulator import BotApiEmulator
from bot.schema import prepare_database
from storage.db import Database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_scaleout"
SECRET = "bench_scaleout-secret"
HOOK = "https://bot.example.org/tg/hook"
FIRST_CADRE_ID = 5000
SAVED_PREFIX = "Đã lưu thành mục #"
SHORTCUTS = (
    "/log hoa_giai 2",
    "/log tuyen_truyen 3 250",
    "/log don_thu 2 1 1",
    "/log giam_sat 1",
    "/log ket_nap 4",
    "/log nha_dai_doan_ket 1 2 120tr",
)


class BenchError(Exception):
    pass


@dataclass
class Throughput:
    processes: int
    updates: int
    seconds: float
    updates_per_s: float
    p50_ms: float
    p99_ms: float
    failed_deliveries: int
    #: CPU per update (ms): the bot processes, their PostgreSQL backends, this driver (emulator,
    #: load balancer, users). Their sum bounds updates/s on 2 cores whatever the process count.
    cpu_ms_bots: float
    cpu_ms_postgres: float
    cpu_ms_driver: float
    #: The machine's 1-minute load average after the run: other work on the 2 cores skews figures.
    load_after: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(url: str, users: int) -> None:
    from bot.demo import seed_demo
    from storage.queries import people as people_q
    from storage.queries import units as units_q

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    now = datetime.now(UTC)
    await prepare_database(db, now)
    async with db.session() as session:
        await seed_demo(session, now)
        areas = [
            u
            for u in await units_q.list_units(session)
            if u.kind == "residential_area" and u.org == "mttq"
        ]
        for i in range(users):
            person = await people_q.ensure(session, FIRST_CADRE_ID + i, now)
            await people_q.grant(
                session, person.id, areas[i % len(areas)].id, "cadre", now, "bench"
            )
    await db.dispose()


class Cluster:
    """N bot processes behind the emulator."""

    def __init__(self, emu: BotApiEmulator, url: str, workdir: Path, retry: float | None) -> None:
        self.emu, self.url, self.workdir, self.retry = emu, url, workdir, retry
        self.procs: list[tuple[asyncio.subprocess.Process, str]] = []

    async def start(self, count: int) -> None:
        before = self._set_webhooks()
        for n in range(count):
            port = free_port()
            env = {
                **os.environ,
                "PHOIHOP_DATABASE_URL": self.url,
                "PHOIHOP_BOT_TOKEN": self.emu.token,
                "PHOIHOP_BOT_API_URL": self.emu.base_url,
                "PHOIHOP_WEBHOOK_SECRET": SECRET,
                "PHOIHOP_LOG_LEVEL": "WARNING",
            }
            if self.retry is not None:
                env["PHOIHOP_SCHEDULER_RETRY"] = str(self.retry)
            log = (self.workdir / f"bot{len(self.procs)}-{n}.log").open("wb")
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--webhook",
                HOOK,
                "--listen",
                f"127.0.0.1:{port}",
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=log,
            )
            self.procs.append((proc, f"http://127.0.0.1:{port}/tg/hook"))
        await self.emu.wait_for(lambda: self._set_webhooks() == before + count, timeout=120)
        self.emu.route_webhook([target for proc, target in self.procs if proc.returncode is None])

    def _set_webhooks(self) -> int:
        return sum(1 for method, _ in self.emu.calls if method.lower() == "setwebhook")

    async def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            await asyncio.wait_for(proc.wait(), 60)
        self.procs = []


async def drive(emu: BotApiEmulator, users: int, messages: int) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def one(index: int) -> None:
        user = emu.user(FIRST_CADRE_ID + index, f"Cán bộ {index}", language_code="vi")
        for m in range(messages):
            shortcut = SHORTCUTS[(index + m) % len(SHORTCUTS)]
            started = time.perf_counter()
            replies = await user.send(shortcut)
            latencies.append(time.perf_counter() - started)
            if not any((r.text or "").startswith(SAVED_PREFIX) for r in replies):
                raise BenchError(f"reply to {shortcut!r}: {[r.text for r in replies]}")

    for index in range(users):  # open every private chat first (not measured)
        await emu.user(FIRST_CADRE_ID + index, f"Cán bộ {index}", language_code="vi").send("/start")
    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(users)))
    return time.perf_counter() - started, latencies


async def throughput(
    url: str, workdir: Path, processes: int, users: int, messages: int
) -> Throughput:
    await prepare(url, users)
    async with BotApiEmulator() as emu:
        emu.deliver_timeout = 120
        cluster = Cluster(emu, url, workdir, None)
        await cluster.start(processes)
        db = Database(url)
        try:
            bot_pids = [proc.pid for proc, _ in cluster.procs]
            pg_before = {pid: cpu_of(pid) for pid in await backend_pids(db)}
            bots_before = sum(cpu_of(pid) for pid in bot_pids)
            self_before = resource.getrusage(resource.RUSAGE_SELF)
            failed_before = sum(1 for a in emu.webhook_attempts if a.status != 200)
            seconds, latencies = await drive(emu, users, messages)
            failed = sum(1 for a in emu.webhook_attempts if a.status != 200) - failed_before
            self_after = resource.getrusage(resource.RUSAGE_SELF)
            bots_cpu = sum(cpu_of(pid) for pid in bot_pids) - bots_before
            pg_cpu = sum(cpu_of(pid) - pg_before.get(pid, 0.0) for pid in await backend_pids(db))
        finally:
            await cluster.stop()
            await db.dispose()
        driver_cpu = (self_after.ru_utime + self_after.ru_stime) - (
            self_before.ru_utime + self_before.ru_stime
        )
    latencies.sort()
    count = users * messages
    return Throughput(
        processes=processes,
        updates=count,
        seconds=round(seconds, 2),
        updates_per_s=round(count / seconds, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 1),
        p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        failed_deliveries=failed,
        cpu_ms_bots=round(bots_cpu * 1000 / count, 1),
        cpu_ms_postgres=round(pg_cpu * 1000 / count, 1),
        cpu_ms_driver=round(driver_cpu * 1000 / count, 1),
        load_after=round(os.getloadavg()[0], 2),
    )


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backend_pids(db: Database) -> list[int]:
    """PostgreSQL backends serving this database (the bots' pools, the lock connection)."""
    async with db.engine.connect() as conn:
        rows = await conn.scalars(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        )
        return list(rows)


async def leader_pid(db: Database) -> int | None:
    async with db.engine.connect() as conn:
        name = await conn.scalar(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
                "AND a.application_name LIKE 'phoihop scheduler %'"
            )
        )
    return int(name.rsplit(":", 1)[1]) if name else None


async def takeovers(url: str, workdir: Path, retry: float | None, rounds: int) -> list[float]:
    await prepare(url, 0)
    db = Database(url)
    results: list[float] = []
    async with BotApiEmulator() as emu:
        cluster = Cluster(emu, url, workdir, retry)
        await cluster.start(rounds + 1)
        try:
            for _ in range(rounds):
                pid = None
                while pid is None:
                    pid = await leader_pid(db)
                    await asyncio.sleep(0.02)
                os.kill(pid, signal.SIGKILL)
                killed = time.perf_counter()
                while True:
                    new = await leader_pid(db)
                    if new is not None and new != pid:
                        break
                    if time.perf_counter() - killed > 120:
                        raise BenchError("no process took the scheduler over within 120 s")
                    await asyncio.sleep(0.02)
                results.append(round(time.perf_counter() - killed, 2))
        finally:
            await cluster.stop()
            await db.dispose()
    return results


def machine() -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": pg or "?",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[int, list[Throughput]] = {1: [], 3: []}
    with tempfile.TemporaryDirectory(prefix="phoihop-scaleout-") as tmp:
        workdir = Path(tmp)
        for _ in range(args.repeat):  # alternate, so that a busy minute hurts both alike
            for processes in (1, 3):
                result = await throughput(
                    args.database_url, workdir, processes, args.users, args.messages
                )
                runs[processes].append(result)
                print(
                    f"{processes} process(es): {result.updates_per_s} updates/s "
                    f"(p50 {result.p50_ms} ms, p99 {result.p99_ms} ms; CPU per update: bots "
                    f"{result.cpu_ms_bots} ms, PostgreSQL {result.cpu_ms_postgres} ms, driver "
                    f"{result.cpu_ms_driver} ms; load {result.load_after})",
                    flush=True,
                )
        takeover = await takeovers(args.database_url, workdir, args.retry, 2)
        print(f"scheduler takeover after SIGKILL: {', '.join(f'{t} s' for t in takeover)}")
    median = {n: round(statistics.median(r.updates_per_s for r in rs), 1) for n, rs in runs.items()}
    return {
        "machine": machine(),
        "users": args.users,
        "messages": args.messages,
        "runs": {str(n): [asdict(r) for r in rs] for n, rs in runs.items()},
        "median_updates_per_s": {str(n): v for n, v in median.items()},
        "speedup": round(median[3] / median[1], 2),
        "scheduler_retry_s": args.retry or 5.0,
        "takeover_s": takeover,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--retry", type=float, default=None, help="PHOIHOP_SCHEDULER_RETRY")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (medians reported)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    try:
        result = asyncio.run(run(args))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
