"""Digest charts drawn ahead of their slot and kept by what they show.

Drawing a chart costs ~60–200 ms of CPU (``bot/charts.py``) and holds the GIL, so drawing each
digest's chart as it is sent caps a fan-out at about five digests a second. Instead:

- A chart is kept in the database (``chart_images``) by ``chart_key``: a hash of exactly its
  labels, values, title and language. ``ChartStore.png`` at send time computes the digest's
  figures as before (cheap SQL), hashes them and takes the stored image if there is one, else
  draws it (in a thread) and stores it. An entry logged after the chart was drawn changes the
  figures, hence the key: the chart is drawn again, never sent stale.
- ``ChartPrerender`` (a leader job, ``bot/runtime/app.py``) draws, some minutes before a weekly or monthly
  slot (``Settings.chart_lead``), the charts of every active linked chat's digest in a process
  pool (one worker per CPU, spawned fresh and shut down after, so the bot itself never imports
  matplotlib for it), stores them as they come, and forgets charts older than ``KEEP``.
- The Telegram side reuses the ``file_id`` of a chart's first upload for the other chats that
  show the same chart (``handlers/sender.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import digests
from bot.charts import bar_chart_png, chart_key
from bot.clock import Clock
from bot.i18n import I18n, Translator
from storage.db import Database
from storage.queries import charts as charts_q
from storage.queries import chats as chats_q
from storage.queries import units as units_q

log = logging.getLogger(__name__)

CHART_BARS = 10
#: Charts older than this are forgotten: a month's digest plus some days for a late send.
KEEP = timedelta(days=40)
#: The job forgets old charts at most this often (it runs every minute).
PRUNE_EVERY = timedelta(hours=1)
#: Charts waiting for a pool worker at once, per worker (more only holds memory).
QUEUED_PER_WORKER = 2


def range_label(tr: Translator, start: date, end: date) -> str:
    """The digest's days, ``09/11/2026 – 15/11/2026`` (Babel's dd/MM/yyyy in both languages);
    one day alone when the range is one day (a preview on a Monday)."""
    return tr.day(start) if start == end else f"{tr.day(start)} – {tr.day(end)}"


@dataclass(frozen=True)
class ChartSpec:
    """What one chart shows; plain data, so it crosses to a pool worker as it is."""

    labels: tuple[str, ...]
    values: tuple[float, ...]
    title: str
    locale: str

    @property
    def key(self) -> str:
        return chart_key(list(self.labels), list(self.values), self.title, self.locale)


def chart_spec(tr: Translator, data: digests.DigestData) -> ChartSpec:
    """The digest's chart: entries per indicator, most first, at most ``CHART_BARS``."""
    names = {k.key: k.name(tr.locale) for k in data.kinds}
    ranked = sorted(data.entries_by_kind.items(), key=lambda kv: (-kv[1], kv[0]))[:CHART_BARS]
    return ChartSpec(
        labels=tuple(names.get(key, key) for key, _ in ranked),
        values=tuple(float(n) for _, n in ranked),
        title=tr._("Activities by indicator, {range}").format(
            range=range_label(tr, data.start, data.end)
        ),
        locale=tr.locale,
    )


def draw(spec: ChartSpec) -> bytes:
    """Draw one chart (in a pool worker or a thread)."""
    return bar_chart_png(list(spec.labels), list(spec.values), spec.title)


class ChartStore:
    """Charts by key, drawn when missing (see the module docstring)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def png(self, spec: ChartSpec) -> bytes:
        key = spec.key
        async with self.db.session() as session:
            stored = await charts_q.png(session, key)
        if stored is not None:
            return stored
        image = await asyncio.to_thread(draw, spec)
        async with self.db.session() as session:
            await charts_q.put(session, key, image, self.clock.now())
        return image


# --------------------------------------------------------------------------------------------------
# Drawing ahead of the slot
# --------------------------------------------------------------------------------------------------


def upcoming(now: datetime, tz: ZoneInfo, lead: timedelta) -> list[tuple[str, date, date]]:
    """(cadence, start, end) of the digests whose slot is after ``now`` and at most ``lead`` away."""
    return [
        (cadence, start, end)
        for cadence, _suffix, start, end, due in digests.due_digests(now + lead, tz)
        if now < due <= now + lead
    ]


def _never() -> bool:
    return False


async def upcoming_specs(
    db: Database,
    i18n: I18n,
    now: datetime,
    tz: ZoneInfo,
    lead: timedelta,
    stopping: Callable[[], bool] = _never,
) -> tuple[list[tuple[str, date, date]], dict[str, ChartSpec]]:
    """The slots ahead, and the charts (by key) the active linked chats' digests will show then
    (fewer if ``stopping()`` turns true meanwhile).

    Chats of one unit share the figures: each (unit, period) is read once, in a short session of
    its own, so the outbox's sessions interleave with these (SQLite serialises sessions)."""
    slots = upcoming(now, tz, lead)
    if not slots:
        return [], {}
    async with db.session() as session:
        chats = await chats_q.digest_settings(session)
    wanted: dict[tuple[int, str, date, date], set[str]] = {}
    for unit_id, language, weekly, monthly in chats:
        for cadence, start, end in slots:
            if weekly if cadence == "w" else monthly:
                wanted.setdefault((unit_id, cadence, start, end), set()).add(language)
    specs: dict[str, ChartSpec] = {}
    for (unit_id, cadence, start, end), languages in wanted.items():
        if stopping():
            break
        async with db.session() as session:
            unit = await units_q.get(session, unit_id)
            if unit is None:
                continue
            data = await digests.digest_data(
                session, unit, start, end, now, cadence=cadence, details=False
            )
        if data.empty:
            continue  # an empty period's digest has no chart
        for language in sorted(languages):
            spec = chart_spec(i18n.translator(language), data)
            specs.setdefault(spec.key, spec)
    return slots, specs


def _worker_init() -> None:
    """Pool workers yield the CPU to the bot's own process (it answers people meanwhile)."""
    with contextlib.suppress(OSError):  # not allowed here: draw at the same priority
        os.nice(5)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh interpreters ("spawn": no copy of the bot's threads, sockets
    or database connections, as ``fork`` would give), each importing matplotlib on first draw."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
    )


@dataclass
class PrerenderReport:
    slots: list[tuple[str, date, date]] = field(default_factory=list)
    #: Distinct charts the coming digests show, and how many of them had to be drawn.
    charts: int = 0
    drawn: int = 0
    workers: int = 0
    pruned: int = 0
    seconds: float = 0.0


class ChartPrerender:
    """The leader's job: draws the coming slot's charts ahead (see the module docstring).

    Each slot is done once per process; a process that takes over the job (or restarts) reads
    the figures again but finds the charts stored and draws nothing."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        i18n: I18n,
        tz: ZoneInfo,
        *,
        lead: timedelta,
        workers: int = 0,
        pool: Callable[[int], Executor] = process_pool,
    ) -> None:
        self.db, self.clock, self.i18n, self.tz = db, clock, i18n, tz
        self.lead = lead
        self.workers = workers or os.cpu_count() or 1
        self.pool = pool
        self.done: set[tuple[str, date, date]] = set()
        self._pruned_at: datetime | None = None

    async def run_once(self, stopping: Callable[[], bool] = _never) -> PrerenderReport:
        """Draw what the coming slot needs. ``stopping`` (the bot is shutting down) is checked
        between units and between charts: a stop waits for at most the charts being drawn, and
        the slot is left to the next run (of this or another process), which draws the rest."""
        started = time.monotonic()
        now = self.clock.now()
        report = PrerenderReport()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            async with self.db.session() as session:
                report.pruned = await charts_q.prune(session, now - KEEP)
            self._pruned_at = now
        if self.lead <= timedelta(0) or all(
            s in self.done for s in upcoming(now, self.tz, self.lead)
        ):
            return report
        report.slots, specs = await upcoming_specs(
            self.db, self.i18n, now, self.tz, self.lead, stopping
        )
        report.charts = len(specs)
        async with self.db.session() as session:
            have = await charts_q.existing(session, specs)
        todo = [spec for key, spec in specs.items() if key not in have]
        if todo:
            report.workers = min(self.workers, len(todo))
            report.drawn = await self._draw_all(todo, report.workers, stopping)
        if stopping():
            return report
        self.done.update(report.slots)
        report.seconds = time.monotonic() - started
        log.info(
            "charts ahead of %s: %d charts, %d drawn by %d workers in %.1f s",
            ", ".join(f"{c}:{s.isoformat()}" for c, s, _ in report.slots),
            report.charts,
            report.drawn,
            report.workers,
            report.seconds,
        )
        return report

    async def _draw_all(
        self, todo: list[ChartSpec], workers: int, stopping: Callable[[], bool]
    ) -> int:
        """Draw in the pool, storing each chart as it comes (one short session each); at most a
        few charts per worker wait in the pool's queue."""
        loop = asyncio.get_running_loop()
        pool = self.pool(workers)
        drawn = 0
        pending: dict[asyncio.Future[bytes], ChartSpec] = {}
        specs = iter(todo)
        try:
            while not stopping():
                for spec in specs:
                    pending[loop.run_in_executor(pool, draw, spec)] = spec
                    if len(pending) >= workers * QUEUED_PER_WORKER:
                        break
                if not pending:
                    return drawn
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    spec = pending.pop(future)
                    image = future.result()
                    async with self.db.session() as session:
                        drawn += await charts_q.put(session, spec.key, image, self.clock.now())
            return drawn
        finally:
            for future in pending:
                future.cancel()
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


class ChartFiles:
    """Telegram's ``file_id`` of each chart's first upload, by chart key: in the chart's row (so
    that it survives restarts and every process sees it) and in memory (most sends need no read
    once a process has seen the key)."""

    #: Keys remembered in memory at most (a few slots' worth); beyond, the database answers.
    MEMORY = 20_000

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[str, str] = {}

    def _keep(self, key: str, file_id: str) -> None:
        if len(self._known) >= self.MEMORY:
            self._known.clear()  # last week's charts are not sent again
        self._known[key] = file_id

    async def get(self, key: str) -> str | None:
        known = self._known.get(key)
        if known is None:
            async with self.db.session() as session:
                known = await charts_q.file_id(session, key)
            if known is not None:
                self._keep(key, known)
        return known

    async def remember(self, key: str, file_id: str) -> None:
        self._keep(key, file_id)
        async with self.db.session() as session:
            await charts_q.set_file_id(session, key, file_id)

    async def forget(self, key: str, file_id: str) -> None:
        if self._known.get(key) == file_id:
            del self._known[key]
        async with self.db.session() as session:
            await charts_q.forget_file_id(session, key, file_id)
