"""``handled_updates.replied_at`` written in batches: one short transaction a second at most.

Once an update's replies are out its row says so, so that a replay after a crash stays silent
(``handlers/delivery.py``, ``handlers/replay.py``). Written by itself after every update that
wrote, that note was a third transaction (``BEGIN IMMEDIATE``, one upsert, a commit) on the
hottest path: a /log shortcut went from 2 transactions to 3 and its CPU from 17.5 to 27.6 ms
(docs/benchmarks.md, 03/12/2026). Here the notes wait in memory and are written together, in one
transaction, ``delay`` seconds after the first of them (1 s by default, ``PHOIHOP_REPLY_MARKS_DELAY``),
and when the process stops.

The price: a process killed (SIGKILL, power cut) loses the notes of its last second. An update
of that second that Telegram delivers again (it was not yet confirmed) is then not applied again
(its effect's record commits with the effect) but says "I restarted…" and shows the step, as
every replay did before the note existed: the person may hear the answer twice, never lose it.
A failed write (the database away) is logged and loses the same notes with the same outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.queries import updates as updates_q

log = logging.getLogger(__name__)

#: ``loop.call_later``'s shape: tests pass their own to run a due flush when they choose.
Later = Callable[[float, Callable[[], None]], Any]


class ReplyMarks:
    """The notes "this update's replies are out" of one process, waiting to be written."""

    def __init__(self, db: Database, *, delay: float, later: Later | None = None) -> None:
        #: Seconds between the first waiting note and the write; 0: no timer (tests call
        #: ``flush``, and ``close`` writes what is left).
        self.delay = delay
        self._db = db
        self._later = later
        self._waiting: list[tuple[int, str, datetime]] = []
        self._timer: Any = None
        self._flushes: set[asyncio.Task[int]] = set()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, update_id: int, fingerprint: str, at: datetime) -> None:
        """Note that the update's replies are out; written within ``delay`` seconds."""
        self._waiting.append((update_id, fingerprint, at))
        if self.delay > 0 and self._timer is None:
            later = self._later or asyncio.get_running_loop().call_later
            self._timer = later(self.delay, self._due)

    def _due(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushes.add(task)  # a reference until it is done (the loop keeps weak ones)
        task.add_done_callback(self._flushes.discard)

    async def flush(self) -> int:
        """Write every waiting note in one transaction; how many were written (0 on failure)."""
        marks, self._waiting = self._waiting, []
        if not marks:
            return 0
        try:
            async with self._db.session() as session:
                await updates_q.mark_replied_all(session, marks)
        except Exception:
            # Nothing is lost but the silence of a replay after a crash (the module docstring).
            log.warning("could not note that %d updates were answered", len(marks), exc_info=True)
            return 0
        return len(marks)

    async def close(self) -> None:
        """At shutdown, after the last update was handled: the flush under way, then the rest."""
        if self._timer is not None:
            cancel = getattr(self._timer, "cancel", None)
            if cancel is not None:
                cancel()
            self._timer = None
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        await self.flush()
