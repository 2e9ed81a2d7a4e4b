"""Notices the bot sends on its own initiative go through the outbox (``storage/queries/outbox``).

Domain code enqueues ``(key, chat, kind, params)`` in the transaction of the change that causes
the notice. The dispatcher claims due rows, asks a renderer (Telegram-facing, in ``handlers/``)
for the message in the recipient's language *at send time*, and sends it through a ``Sender``.
Each outcome is recorded in its own short transaction; no transaction is held across a network
call. Failures are classified by the sender, so this module knows nothing of Telegram:
``RetryLater`` (429: wait as told), ``Transient`` (network: back off), ``ChatUnavailable``
(blocked, kicked, not found: stop writing), ``ChatMoved`` (group → supergroup), ``Rejected``.

Telegram's flood limits (``Pace``): a token bucket keeps all sends under 30 a second, a chat that
just got a message rests (1 s for a person, 3 s for a group: 20 a minute) and is not claimed until
then, and several chats are served at once so that one slow render or upload does not hold back
the others. A 429 that gets through anyway reschedules the row as told; nothing is dropped.

Delivery is at least once. A row is claimed with a lease; a worker that dies loses its claims
when the lease runs out (or at once, to the next leader: ``take_over``) and another worker sends
them. Just before the HTTP call the row is marked ``sending`` in a transaction of its own, and
only a row still claimed by this worker is sent (a worker whose lease ran out while it stalled
does not send a row another one has taken). So a kill can double only the rows marked
``sending`` at that instant — a send under way, whose answer (and ``mark_sent``) did not come
back: the Bot API offers no way to ask whether a message went out, so such a row is sent again,
and the process taking over says how many may arrive twice. At most ``Pace.concurrency`` sends
are under way at once (several are needed to reach Telegram's 30 a second over a network round
trip), which bounds the doubles per kill (docs/faults.md). To keep each window short, everything
but the outcome is done before the HTTP call (claim, render, the mark, the pace's token), and the
outcome is written in a short transaction of its own as soon as Telegram answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from storage.db import Database
from storage.queries import chats as chats_q
from storage.queries import outbox as outbox_q
from storage.queries import people as people_q

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """A rendered message: text (in the sender's markup), optional buttons and document."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    document: tuple[str, bytes] | None = None
    #: Names the document's content (same key, same bytes): the sender may send the file it
    #: uploaded for an earlier notice with this key instead of uploading the bytes again.
    document_key: str | None = None
    #: The document is an image to show inline (Telegram's sendPhoto: a digest chart), sent as a
    #: file only when it is outside Telegram's limits for photos (``handlers/render.photo_fits``).
    photo: bool = False
    #: A keyboard given as the Bot API's ``reply_markup`` object (a handler's reply delivered
    #: late through the outbox, handlers/delivery.py, keeps whatever keyboard it had); when set,
    #: ``buttons`` is not used.
    markup: dict[str, Any] | None = None
    #: A reply to a person (a handler's reply delivered late), not a bulk notice: it takes the
    #: shared send budget's turn of a reply (bot/runtime/send_budget.py). Set by the dispatcher
    #: for its ``interactive_kinds``.
    interactive: bool = False
    #: Not a message: the chat's menu button to set, as the Bot API's ``MenuButton`` object
    #: (``bot/menu_button.py``); ``text`` is then unused.
    menu_button: dict[str, Any] | None = None


class SendError(Exception):
    pass


class RetryLater(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Transient(SendError):
    pass


class ChatUnavailable(SendError):
    pass


class ChatMoved(SendError):
    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Rejected(SendError):
    pass


class Sender(Protocol):
    async def send(self, chat_id: int, notice: Notice) -> int:
        """Send and return the message id, or raise a ``SendError``."""
        ...

    def parts(self, notice: Notice) -> int:
        """How many messages ``send`` makes of the notice (a text too long for one message goes
        as several, a caption's overflow follows its file): each takes a token of the pace."""
        ...


#: (kind, params, chat_id) -> the notice, or None when it is no longer relevant.
Renderer = Callable[[str, dict[str, Any], int], Awaitable[Notice | None]]


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    kind: str,
    params: dict[str, Any],
    now: datetime,
    due_at: datetime | None = None,
) -> bool:
    """Queue a notice in the caller's transaction. The same key twice is one notice."""
    return await outbox_q.enqueue(
        session, key=key, chat_id=chat_id, kind=kind, params=params, due_at=due_at or now, now=now
    )


#: How long a queued reply to committed work is tried while Telegram does not take it (a reply
#: is owed: the work it answers is saved), and the longest pause between two tries, so that it
#: arrives within that pause once Telegram is back.
REPLY_PATIENCE = timedelta(hours=24)
REPLY_BACKOFF = timedelta(seconds=60)


@dataclass(frozen=True)
class Pace:
    """Telegram's flood limits, as the dispatcher keeps them (see the module docstring)."""

    #: Messages a second over all chats, and the burst allowed after a quiet spell. A hair under
    #: Telegram's 30: at exactly 30 the server's bucket is empty in steady state, so the jitter
    #: of in-flight requests turns into 429s (measured: 9 in 2,000 sends, each pausing every
    #: request of the bot for a second); 29 leaves it a token a second of slack, and room for
    #: replies to people.
    per_second: float = 29.0
    burst: int = 30
    #: Seconds between two messages to one person, and to one group (20 a minute).
    private_gap: float = 1.0
    group_gap: float = 3.0
    #: Notices rendered and sent at the same time (each to a different chat).
    concurrency: int = 8
    #: A round claims again while rows are due, for this long (then the next job run goes on).
    round_seconds: float = 0.8


class TokenBucket:
    """``rate`` tokens a second up to ``capacity``; ``acquire`` waits for one, first come first
    served. Time and sleep are injectable so tests need not wait."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.rate, self.capacity = rate, capacity
        self._time, self._sleep = monotonic, sleep
        self._tokens, self._updated = capacity, monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._time()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        async with self._lock:
            self._refill()
            while self._tokens < 1 - 1e-9:  # float slack: a sleep of the exact wait must do
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens = max(self._tokens - 1, 0.0)


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    #: The round ended with rows still due (its time was up): run the next one at once.
    more: bool = False


class Dispatcher:
    """Sends due outbox rows. One process runs it (the scheduler's), but claims are safe anyway."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: Sender,
        renderer: Renderer,
        *,
        batch: int = 25,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 8,
        interactive_kinds: Collection[str] = (),
        reply_patience: timedelta = REPLY_PATIENCE,
        worker: str | None = None,
        pace: Pace | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """Without ``pace`` (tests driving a fake clock) a round is one claim of at most one row
        per chat, sent at once; with it, rounds keep Telegram's limits in real time.

        ``interactive_kinds`` are replies to people queued when Telegram did not take them
        (handlers/delivery.py): claimed before every other due row, sent as replies (not bulk)
        in the shared budget, and never given up after ``max_attempts``: while Telegram answers
        5xx or not at all they are tried again, ``REPLY_BACKOFF`` apart at most, for
        ``reply_patience`` after they were queued."""
        self.db, self.clock, self.sender, self.renderer = db, clock, sender, renderer
        self.batch, self.lease, self.max_attempts = batch, lease, max_attempts
        self.interactive_kinds = tuple(interactive_kinds)
        self.reply_patience = reply_patience
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.pace = pace
        self._time = monotonic
        self._bucket = (
            TokenBucket(pace.per_second, pace.burst, monotonic=monotonic, sleep=sleep)
            if pace
            else None
        )
        self._slots = asyncio.Semaphore(pace.concurrency if pace else batch)
        #: chat id -> monotonic time before which it gets nothing more (its last send + gap).
        self._resting: dict[int, float] = {}
        #: The leadership term whose inherited claims were released (``take_over``).
        self._term = 0

    async def take_over(self, term: int) -> int:
        """Once per leadership term (``Scheduler.term``): rows another worker had claimed are
        due again at once. Only the leader sends, so their worker was a leader that died (a
        SIGKILL mid-fan-out); waiting out their lease held 20 notices back for two minutes in
        bench/fan-out. As with the lease, a row whose send Telegram had accepted just before the
        death goes out twice: at least once, never lost (docs/faults.md)."""
        if term == self._term:
            return 0
        self._term = term
        async with self.db.session() as session:
            claimed, sending = await outbox_q.release_others(session, self.worker)
        if claimed:
            log.info("outbox: %d notices claimed by a previous process are due again", claimed)
        if sending:
            log.warning(
                "outbox: %d notices were being sent when the previous process stopped; they go "
                "out again and may arrive twice",
                sending,
            )
        return claimed + sending

    async def run_once(self) -> DispatchReport:
        """One round: claim due rows (one per chat) and deliver them concurrently; with a pace,
        claim again as the round's sends finish, until nothing is due or the round is over."""
        report = DispatchReport()
        started = self._time()
        served: set[int] = set()
        running: set[asyncio.Task[None]] = set()
        more = True
        while True:
            room = self.batch - len(running)
            if more and room > self.batch // 2:
                rows = await self._claim(room, served | self._rested())
                served.update(row[1] for row in rows)
                running.update(asyncio.create_task(self._send_one(report, *r)) for r in rows)
                full = len(rows) == room
                more = (
                    self.pace is not None
                    and full
                    and self._time() - started < self.pace.round_seconds
                )
                report.more = full
            if not running:
                return report
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # _deliver records every failure itself; anything else is a bug

    async def _claim(
        self, limit: int, skip: set[int]
    ) -> list[tuple[int, int, str, dict[str, Any], int, datetime]]:
        async with self.db.session() as session:
            return [
                # attempts: this claim counted; created_at: when a queued reply was queued
                (r.id, r.chat_id, r.kind, dict(r.params), r.attempts, r.created_at)
                for r in await outbox_q.claim(
                    session,
                    self.clock.now(),
                    limit=limit,
                    worker=self.worker,
                    lease=self.lease,
                    skip_chats=skip,
                    first_kinds=self.interactive_kinds,
                )
            ]

    def _rested(self) -> set[int]:
        """Chats still resting after their last message; forgets those that have rested."""
        now = self._time()
        self._resting = {chat: until for chat, until in self._resting.items() if until > now}
        return set(self._resting)

    async def _send_one(
        self,
        report: DispatchReport,
        row_id: int,
        chat_id: int,
        kind: str,
        params: dict[str, Any],
        attempts: int,
        created: datetime,
    ) -> None:
        async with self._slots:
            parts = await self._deliver(report, row_id, chat_id, kind, params, attempts, created)
        if self.pace is not None:
            gap = self.pace.group_gap if chat_id < 0 else self.pace.private_gap
            # A notice sent as three messages counts three against the chat's limit too.
            self._resting[chat_id] = self._time() + gap * max(parts, 1)

    async def _deliver(
        self,
        report: DispatchReport,
        row_id: int,
        chat_id: int,
        kind: str,
        params: dict[str, Any],
        attempts: int,
        created: datetime,
    ) -> int:
        """Send one row and record the outcome; returns the messages it took (0: none sent)."""
        interactive = kind in self.interactive_kinds
        parts = 0
        try:
            notice = await self.renderer(kind, params, chat_id)
            if notice is None:
                async with self._outcome() as session:
                    await outbox_q.give_up(session, row_id, "skipped", "no longer relevant")
                report.skipped += 1
                return 0
            if interactive:
                notice = replace(notice, interactive=True)
            async with self._outcome() as session:
                ours = await outbox_q.start_sending(session, row_id, self.worker)
            if not ours:
                log.warning("outbox %s: claimed by another process meanwhile; not sent", row_id)
                report.skipped += 1
                return 0
            parts = self.sender.parts(notice)
            if self._bucket is not None:  # last: the pace counts the sends themselves
                for _ in range(parts):  # every message of a notice cut in several
                    await self._bucket.acquire()
            message_id = await self.sender.send(chat_id, notice)
        except RetryLater as exc:
            await self._retry(
                row_id, self.clock.now() + timedelta(seconds=max(exc.seconds, 1)), str(exc)
            )
            report.retried += 1
        except ChatMoved as exc:
            async with self._outcome() as session:
                await outbox_q.move_chat(session, chat_id, exc.new_chat_id)
                await chats_q.migrate_chat(session, chat_id, exc.new_chat_id)
                await outbox_q.retry_at(session, row_id, self.clock.now(), str(exc))
            report.retried += 1
        except ChatUnavailable as exc:
            async with self._outcome() as session:
                await outbox_q.give_up(session, row_id, "dead", str(exc))
                await mark_unavailable(session, chat_id)
            report.dead += 1
        except Transient as exc:
            if interactive:
                await self._retry_reply(report, row_id, created, attempts, str(exc))
            elif attempts >= self.max_attempts:
                async with self._outcome() as session:
                    await outbox_q.give_up(session, row_id, "failed", str(exc))
                report.failed += 1
            else:
                backoff = timedelta(seconds=min(5 * 2 ** (attempts - 1), 3600))
                await self._retry(row_id, self.clock.now() + backoff, str(exc))
                report.retried += 1
        except Rejected as exc:
            log.error("outbox %s (%s to %s) rejected: %s", row_id, kind, chat_id, exc)
            async with self._outcome() as session:
                await outbox_q.give_up(session, row_id, "failed", str(exc))
            report.failed += 1
        except Exception as exc:  # a renderer bug must not stop the other notices
            log.exception("outbox %s (%s to %s) could not be rendered", row_id, kind, chat_id)
            async with self._outcome() as session:
                await outbox_q.give_up(session, row_id, "failed", f"render: {exc!r}")
            report.failed += 1
        else:
            async with self._outcome() as session:
                await outbox_q.mark_sent(session, row_id, self.clock.now(), message_id)
            report.sent += 1
            return parts
        return 0

    async def _retry_reply(
        self, report: DispatchReport, row_id: int, created: datetime, attempts: int, error: str
    ) -> None:
        """A reply to committed work Telegram did not take: again and again while it is down
        (the person is owed it), the pause doubling up to ``REPLY_BACKOFF``, until
        ``reply_patience`` after it was queued (then the person has long since asked again)."""
        now = self.clock.now()
        if now - created >= self.reply_patience:
            log.error(
                "outbox %s: a reply given up after %s of trying: %s", row_id, now - created, error
            )
            async with self._outcome() as session:
                await outbox_q.give_up(session, row_id, "failed", error)
            report.failed += 1
            return
        backoff = min(timedelta(seconds=5 * 2 ** min(max(attempts - 1, 0), 16)), REPLY_BACKOFF)
        await self._retry(row_id, now + backoff, error)
        report.retried += 1

    async def _retry(self, row_id: int, when: datetime, error: str) -> None:
        async with self._outcome() as session:
            await outbox_q.retry_at(session, row_id, when, error)

    def _outcome(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The session recording a delivery's outcome: between Telegram's answer and this commit
        a crash sends the message again, so it holds nothing else."""
        return self.db.session()


async def mark_unavailable(session: AsyncSession, chat_id: int) -> None:
    """The chat refuses the bot: a person who blocked it is not written to until they return; a
    group that was deleted (or removed the bot) is unlinked, so no more notices are queued for it."""
    if chat_id > 0:
        await people_q.set_blocked(session, chat_id, True)
    elif await chats_q.deactivate(session, chat_id):
        log.warning(
            "group %s no longer accepts the bot (deleted?): unlinked from its unit", chat_id
        )
