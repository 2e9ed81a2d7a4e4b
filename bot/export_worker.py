"""Where the bot builds a ``/export`` workbook: in a process of its own.

A province-year workbook is about a minute and a half of pure-Python work (xlsxwriter, row
formatting). Built in a thread it shares the bot's GIL, and every database statement the bot
makes meanwhile (aiosqlite hands each one to its connection's thread and back, ~40 hand-offs per
``/log``) waits a switch interval at each hand-off: other people's replies took p50 536 ms and
p99 3.0 s during one. Built in a process of its own: p50 17 ms, p99 107 ms, and the workbook
itself was ready sooner (76 s instead of 97 s). Measured with ``bench/export_latency.py`` on
2 cores, 03/12/2026 (docs/benchmarks.md).

The process is spawned at the first export and kept for the next ones (``WORKERS`` at most);
``close`` ends it when the bot stops. ``phoihop export`` (one operator, nothing else running)
keeps ``bot.export.export_in_thread``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from zoneinfo import ZoneInfo

from bot.access import Actor
from bot.export import ExportSummary, export_from_snapshot
from bot.i18n import I18n
from bot.periods import Period

#: Exports built at the same time (each up to ~200 MB for a province-year: docs/bench-export.md).
WORKERS = 2

_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # "spawn": a fresh interpreter, not a fork of the bot with its event loop and sockets.
        _pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
    return _pool


async def export_in_process(
    url: str,
    actor: Actor,
    unit_id: int,
    period: Period,
    path: str,
    *,
    locale: str,
    tz: ZoneInfo,
) -> ExportSummary:
    """``bot.export.export_from_snapshot`` in the export process; its ``ExportError`` is raised
    here as it was there."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _executor(), _build, url, actor, unit_id, period, path, locale, tz
    )


def _build(
    url: str, actor: Actor, unit_id: int, period: Period, path: str, locale: str, tz: ZoneInfo
) -> ExportSummary:
    """In the export process: the translator is made there (catalogs are not sent over)."""
    tr = I18n(tz).translator(locale)
    return export_from_snapshot(url, actor, unit_id, period, path, tr=tr, tz=tz)


def close() -> None:
    """End the export process (the bot is stopping; no export is running any more)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
