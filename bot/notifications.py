"""Notices the bot sends on its own initiative go through the outbox (``storage/queries/outbox``).

Domain code enqueues ``(key, chat, kind, params)`` in the transaction of the change that causes
the notice. The dispatcher claims due rows, asks a renderer (Telegram-facing, in ``handlers/``)
for the message in the recipient's language *at send time*, and sends it through a ``Sender``.
Each outcome is recorded in its own short transaction; no transaction is held across a network
call. Failures are classified by the sender, so this module knows nothing of Telegram:
``RetryLater`` (429: wait as told), ``Transient`` (network: back off), ``ChatUnavailable``
(blocked, kicked, not found: stop writing), ``ChatMoved`` (group → supergroup), ``Rejected``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from storage.db import Database
from storage.models import Person
from storage.queries import chats as chats_q
from storage.queries import outbox as outbox_q

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """A rendered message: text (in the sender's markup), optional buttons and document."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    document: tuple[str, bytes] | None = None


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


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


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
        worker: str | None = None,
    ) -> None:
        self.db, self.clock, self.sender, self.renderer = db, clock, sender, renderer
        self.batch, self.lease, self.max_attempts = batch, lease, max_attempts
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"

    async def run_once(self) -> DispatchReport:
        report = DispatchReport()
        now = self.clock.now()
        async with self.db.session() as session:
            rows = [
                (
                    r.id,
                    r.chat_id,
                    r.kind,
                    dict(r.params),
                    r.attempts,
                )  # already counted by the claim
                for r in await outbox_q.claim(
                    session, now, limit=self.batch, worker=self.worker, lease=self.lease
                )
            ]
        for row_id, chat_id, kind, params, attempts in rows:
            await self._deliver(report, row_id, chat_id, kind, params, attempts)
        return report

    async def _deliver(
        self,
        report: DispatchReport,
        row_id: int,
        chat_id: int,
        kind: str,
        params: dict[str, Any],
        attempts: int,
    ) -> None:
        try:
            notice = await self.renderer(kind, params, chat_id)
            if notice is None:
                async with self.db.session() as session:
                    await outbox_q.give_up(session, row_id, "skipped", "no longer relevant")
                report.skipped += 1
                return
            message_id = await self.sender.send(chat_id, notice)
        except RetryLater as exc:
            await self._retry(
                row_id, self.clock.now() + timedelta(seconds=max(exc.seconds, 1)), str(exc)
            )
            report.retried += 1
        except ChatMoved as exc:
            async with self.db.session() as session:
                await outbox_q.move_chat(session, chat_id, exc.new_chat_id)
                await chats_q.migrate_chat(session, chat_id, exc.new_chat_id)
                await outbox_q.retry_at(session, row_id, self.clock.now(), str(exc))
            report.retried += 1
        except ChatUnavailable as exc:
            async with self.db.session() as session:
                await outbox_q.give_up(session, row_id, "dead", str(exc))
                await mark_unavailable(session, chat_id)
            report.dead += 1
        except Transient as exc:
            if attempts >= self.max_attempts:
                async with self.db.session() as session:
                    await outbox_q.give_up(session, row_id, "failed", str(exc))
                report.failed += 1
            else:
                backoff = timedelta(seconds=min(5 * 2 ** (attempts - 1), 3600))
                await self._retry(row_id, self.clock.now() + backoff, str(exc))
                report.retried += 1
        except Rejected as exc:
            log.error("outbox %s (%s to %s) rejected: %s", row_id, kind, chat_id, exc)
            async with self.db.session() as session:
                await outbox_q.give_up(session, row_id, "failed", str(exc))
            report.failed += 1
        except Exception as exc:  # a renderer bug must not stop the other notices
            log.exception("outbox %s (%s to %s) could not be rendered", row_id, kind, chat_id)
            async with self.db.session() as session:
                await outbox_q.give_up(session, row_id, "failed", f"render: {exc!r}")
            report.failed += 1
        else:
            async with self.db.session() as session:
                await outbox_q.mark_sent(session, row_id, self.clock.now(), message_id)
            report.sent += 1

    async def _retry(self, row_id: int, when: datetime, error: str) -> None:
        async with self.db.session() as session:
            await outbox_q.retry_at(session, row_id, when, error)


async def mark_unavailable(session: AsyncSession, chat_id: int) -> None:
    """The chat refuses the bot: a person who blocked it is not written to until they return; a
    group that was deleted (or removed the bot) is unlinked, so no more notices are queued for it."""
    if chat_id > 0:
        await session.execute(
            update(Person).where(Person.telegram_id == chat_id).values(blocked=True)
        )
    elif await chats_q.deactivate(session, chat_id):
        log.warning(
            "group %s no longer accepts the bot (deleted?): unlinked from its unit", chat_id
        )
