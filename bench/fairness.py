"""Fair service under a burst: another person's reply while fifty people each send ten `/log`.

    .venv/bin/python bench/fairness.py [--users 50] [--messages 10] [--rounds 3]
                                       [--probe-every 1.0] [--order user|round] [--out FILE]

The real application in production configuration (``build_application(rate_limit=True)``:
python-telegram-bot's ``AIORateLimiter`` paces every reply to Telegram's 30 a second; long polling
through ``bot/runtime/polling.py`` and its inbox table; ``PerPersonOrder`` with ``PHOIHOP_UPDATE_CONCURRENCY`` 8), on a
fresh SQLite file with the demo province plus ``--users`` cadres (telegram ids 5000+), against
the Bot API emulator in this process (its ``getUpdates`` answers at most 100 updates, as
Telegram's does).

Each round:

1. the burst: every cadre's ``--messages`` one-line shortcuts (``/log hoa_giai 2`` …) are queued in
   the emulator at once, ``--order user`` (each person's ten together, one person after another,
   as ten taps in a row arrive) or ``round`` (everybody's first, then everybody's second …);
2. at the same instant another person (telegram id 4999, a cadre too) sends ``/me``; once the
   answer arrives they wait ``--probe-every`` seconds and send it again, until every shortcut of
   the burst is answered;
3. checked: every shortcut answered "Đã lưu thành mục #…", every /me answered with its id, the
   database holds exactly the burst's new entries.

Printed: the other person's reply time (p50, p99, max over every round's probes; target p99 <
2 s), the same without each round's first probe, how long the burst took to drain and at what
rate, and the load average of the machine (``os.getloadavg``) before and after, since this
2-core machine is shared. Exit 1 when a check fails, 3 with ``--strict`` when the target is
missed.

The first ``/me`` of a round reaches Telegram behind the whole burst. Until the inbox (issue 15)
polling confirmed nothing past the oldest unfinished update, and ``getUpdates`` answers at most
100 updates from there, so the bot saw that ``/me`` only once fewer than 100 of the burst were
left ahead of it (14-16 s, docs/benchmarks.md). Now each batch is stored in the ``inbox`` table
and confirmed at once, and the stored updates are loaded each person's oldest first
(bot/runtime/inbox.py): the ``/me`` is loaded as soon as its batch is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.log_throughput import SHORTCUTS, count_rows, percentile  # noqa: E402
from bot.emulator import BotApiEmulator, UserClient  # noqa: E402

FIRST_CADRE_ID = 5000
OTHER_ID = 4999
SAVED_PREFIX = "Đã lưu thành mục #"
TARGET_P99_S = 2.0
DRAIN_TIMEOUT = 300.0


class BenchError(Exception):
    """The run is invalid (a wrong or missing reply, missing rows): fail loudly."""


@dataclass
class RoundResult:
    burst: int
    drain_s: float
    replies_per_s: float
    probes: list[float] = field(default_factory=list)


class Tap:
    """Counts the bot's messages per chat as the emulator stores them, and wakes the probe."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.per_chat: Counter[int] = Counter()
        self.wrong: list[tuple[int, str]] = []
        self.burst_left = 0
        self.burst_done = asyncio.Event()
        self.probe: asyncio.Future[tuple[float, str]] | None = None
        methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = emu._methods
        original = methods["sendmessage"]

        async def send_message(params: dict[str, Any]) -> Any:
            result = await original(params)
            arrived = time.perf_counter()
            chat_id = int(result["chat"]["id"])
            text = str(result.get("text", ""))
            self.per_chat[chat_id] += 1
            if chat_id == OTHER_ID:
                if self.probe is not None and not self.probe.done():
                    self.probe.set_result((arrived, text))
                else:
                    self.wrong.append((chat_id, text))
            elif not text.startswith(SAVED_PREFIX):
                self.wrong.append((chat_id, text))
            else:
                self.burst_left -= 1
                if self.burst_left == 0:
                    self.burst_done.set()
            return result

        methods["sendmessage"] = send_message


async def probe_loop(emu: BotApiEmulator, tap: Tap, other: UserClient, every: float) -> list[float]:
    """/me from the other person until the burst is answered; each reply's seconds."""
    times: list[float] = []
    while True:
        tap.probe = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        emu.push_text(other, "/me")
        try:
            arrived, text = await asyncio.wait_for(tap.probe, DRAIN_TIMEOUT)
        except TimeoutError:
            raise BenchError(f"/me got no reply within {DRAIN_TIMEOUT:.0f} s") from None
        if f"Telegram id {OTHER_ID}" not in text:
            raise BenchError(f"/me was answered {text[:200]!r}")
        times.append(arrived - started)
        if tap.burst_done.is_set():
            return times
        try:
            await asyncio.wait_for(tap.burst_done.wait(), every)
            return times
        except TimeoutError:
            continue


def burst_texts(users: int, messages: int, order: str) -> list[tuple[int, str]]:
    """(user index, text) in the order the burst reaches Telegram."""
    pairs = [(u, m) for u in range(users) for m in range(messages)]
    if order == "round":
        pairs.sort(key=lambda pair: (pair[1], pair[0]))
    return [(u, SHORTCUTS[(u + m) % len(SHORTCUTS)]) for u, m in pairs]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.clock import SystemClock
    from bot.demo import seed_demo
    from bot.i18n import I18n
    from bot.runtime.app import build_application
    from bot.runtime.runner import settle_heap, start_app, stop_app
    from bot.schema import prepare_database
    from bot.services import Services
    from bot.settings import Settings
    from storage.db import Database
    from storage.queries import people as people_q
    from storage.queries import units as units_q

    clock = SystemClock()
    results: list[RoundResult] = []
    with tempfile.TemporaryDirectory(prefix="phoihop-fairness-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await prepare_database(db, clock.now())
        async with db.session() as session:
            await seed_demo(session, clock.now())
            areas = [
                u
                for u in await units_q.list_units(session)
                if u.kind == "residential_area" and u.org == "mttq"
            ]
            for i, telegram_id in enumerate(
                [OTHER_ID, *range(FIRST_CADRE_ID, FIRST_CADRE_ID + args.users)]
            ):
                person = await people_q.ensure(session, telegram_id, clock.now())
                unit = areas[i % len(areas)]
                await people_q.grant(session, person.id, unit.id, "cadre", clock.now(), "bench")
        emu = BotApiEmulator()
        await emu.start()
        tap = Tap(emu)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=db.url,
            bot_api_url=emu.base_url,
            bot_api_file_url=emu.base_file_url,
            bot_token=emu.token,
            log_level="WARNING",
        )
        services = Services(settings=settings, db=db, clock=clock, i18n=I18n(settings.tz))
        app = build_application(services, token=emu.token, rate_limit=True)  # as in production
        try:
            await start_app(app, poll_timeout=5)
            other = emu.user(OTHER_ID, "Khác", language_code="vi")
            cadres = [
                emu.user(FIRST_CADRE_ID + i, f"Cán bộ {i}", language_code="vi")
                for i in range(args.users)
            ]
            # Warm-up: every cadre once (imports, caches, their first message of the day).
            tap.burst_left, tap.burst_done = args.users, asyncio.Event()
            for index, cadre in enumerate(cadres):
                # Not the shortcut the burst starts with: the same one again within minutes
                # asks "save another?" (issue 15) instead of saving.
                emu.push_text(cadre, SHORTCUTS[(index - 1) % len(SHORTCUTS)])
            await asyncio.wait_for(tap.burst_done.wait(), DRAIN_TIMEOUT)
            await app.bot_data["poller"].settled()
            settle_heap()
            before = await count_rows(db, "activities")
            burst = burst_texts(args.users, args.messages, args.order)
            for _ in range(args.rounds):
                # Past Telegram's 1 message a second per chat of the warm-up and the last round.
                await asyncio.sleep(1.0)
                tap.burst_left, tap.burst_done = len(burst), asyncio.Event()
                started = time.perf_counter()
                for index, text in burst:
                    emu.push_text(cadres[index], text)
                probes = await probe_loop(emu, tap, other, args.probe_every)
                drain = time.perf_counter() - started
                results.append(RoundResult(len(burst), drain, len(burst) / drain, probes))
                await app.bot_data["poller"].settled()
            saved = await count_rows(db, "activities") - before
        finally:
            await stop_app(app)
            await emu.stop()
            await db.dispose()
    expected = args.rounds * args.users * args.messages
    if tap.wrong or saved != expected:
        raise BenchError(
            f"expected {expected} entries, {saved} saved; wrong replies {tap.wrong[:3]}"
        )
    probes = sorted(p for r in results for p in r.probes)
    return {
        "users": args.users,
        "messages": args.messages,
        "rounds": args.rounds,
        "order": args.order,
        "probe_every_s": args.probe_every,
        "probes": len(probes),
        "p50_s": round(percentile(probes, 50), 3),
        "p99_s": round(percentile(probes, 99), 3),
        "max_s": round(probes[-1], 3),
        "round_results": [asdict(r) for r in results],
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"{report['users']} users x {report['messages']} /log shortcuts at once "
        f"(order: {report['order']}), {report['rounds']} rounds; another person's /me every "
        f"{report['probe_every_s']:g} s after its answer (production: AIORateLimiter, polling)",
        f"load average before {report['load_before']}, after {report['load_after']} "
        f"({report['cpus']} CPUs, Python {report['python']})",
        "",
    ]
    for i, r in enumerate(report["round_results"], 1):
        lines.append(
            f"round {i}: {r['burst']} shortcuts drained in {r['drain_s']:.1f} s "
            f"({r['replies_per_s']:.1f}/s); /me: "
            + ", ".join(f"{p:.2f}" for p in r["probes"])
            + " s"
        )
    ok = report["p99_s"] < TARGET_P99_S
    later = sorted(p for r in report["round_results"] for p in r["probes"][1:])
    lines += [
        "",
        f"the other person's reply over {report['probes']} probes: p50 {report['p50_s']:.3f} s, "
        f"p99 {report['p99_s']:.3f} s, max {report['max_s']:.3f} s",
        f"  {'PASS' if ok else 'FAIL'}  p99 < {TARGET_P99_S:g} s",
    ]
    if later:
        # The first /me of a round reaches Telegram behind the whole burst: polling sees it only
        # once fewer than 100 updates (getUpdates' limit) remain unfinished ahead of it.
        lines.append(
            f"  without each round's first /me (queued at Telegram behind the burst): "
            f"{len(later)} probes, p50 {percentile(later, 50):.3f} s, "
            f"p99 {percentile(later, 99):.3f} s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probe-every", type=float, default=1.0)
    parser.add_argument("--order", choices=("user", "round"), default="user")
    parser.add_argument("--out", help="also write the results as JSON to this file")
    parser.add_argument("--strict", action="store_true", help="exit 3 when the target is missed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        report = asyncio.run(run(args))
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    report.update(
        load_before=load_before,
        load_after=[round(x, 2) for x in os.getloadavg()],
        cpus=os.cpu_count(),
        python=platform.python_version(),
    )
    print(render(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 3 if args.strict and report["p99_s"] >= TARGET_P99_S else 0


if __name__ == "__main__":
    sys.exit(main())
