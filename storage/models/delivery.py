"""Talking to Telegram reliably: the outbox of notices, linked group chats, the replay guards
for updates handled before a crash, and cached chart images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import PK, Base, UTCDateTime


class OutboxMessage(Base):
    """A message the bot sends on its own initiative (reminders, notices, digests).

    Written in the same transaction as the change that causes it, with an idempotency key, so a
    notice is never lost (the change committed) nor doubled (the key is unique). A dispatcher sends
    due rows; ``kind`` + ``params`` are rendered at send time in the recipient's language.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: pending → claimed → sending (committed just before the Bot API call) → sent; or failed
    #: (gave up) / dead (the chat does not accept messages). Only a row left ``sending`` by a
    #: process that died may have reached the chat already (bot/notifications.py).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_outbox_status_due", OutboxMessage.status, OutboxMessage.due_at)
#: The handlers' replies queued while Telegram did not take them and not out yet: a handful of
#: rows, asked on every update (storage/queries/outbox.py ``replies_waiting``) and claimed first.
UNSENT_REPLIES = "kind = 'reply' AND status IN ('pending', 'claimed', 'sending')"
Index(
    "ix_outbox_replies_unsent",
    OutboxMessage.chat_id,
    OutboxMessage.due_at,
    postgresql_where=text(UNSENT_REPLIES),
    sqlite_where=text(UNSENT_REPLIES),
)


class LinkedChat(Base):
    """A group chat bound to a unit by one of its admins (/link): notices and digests go there."""

    __tablename__ = "linked_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: False after /unlink, or when the bot was removed from the group.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    #: /settings: which digests the group receives.
    weekly_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    monthly_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class HandledUpdate(Base):
    """A Telegram update whose effect was committed, written in the same transaction as that
    effect. The bot confirms updates to Telegram only after handling them, so after a crash an
    update may arrive again: if it is here, it is not applied twice (see handlers/replay.py).
    Rows older than Telegram's 24 h retention are pruned."""

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: A hash of the update's content: ids are reused (a Bot API server restarted with a restored
    #: database, Telegram after a week of silence), a redelivery is the same update.
    fingerprint: Mapped[str] = mapped_column(String(32))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Set once the update's replies were sent (or queued in the outbox because Telegram did not
    #: take them): a replay of the update after a crash then says nothing (handlers/delivery.py).
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """A webhook update this deployment has taken on (``bot/runtime/webhook.py``).

    Telegram re-delivers an update whose webhook call did not answer 200 in time, possibly to
    another process behind the load balancer. The unique ``update_id`` claimed here, before any
    handler runs, makes the second delivery a no-op; ``done_at`` tells a finished update from one
    whose process died half-way (re-taken after a lease). Rows are pruned after a few days
    (Telegram keeps an update for 24 hours).
    """

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_by: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxUpdate(Base):
    """An update taken off Telegram by the long poller and not yet forgotten
    (``bot/runtime/polling.py``).

    Each ``getUpdates`` batch is stored in one transaction and only then confirmed to Telegram
    (the next request's offset passes it), so the bot is never limited to the 100 updates after
    the oldest unfinished one, and a crash loses nothing: rows without ``done_at`` are run after
    a restart. ``lane`` is whose order the update belongs to (the person, else the chat;
    ``bot/runtime/ordering.lane_of``): the poller loads each lane's first rows, not the oldest
    rows of the table, so a newcomer's message is loaded past anyone's backlog. A done row stays
    until the next batch confirmed it (a batch delivered again after a crash is then recognised),
    so the table holds at most the unfinished rows (``PHOIHOP_INBOX_MAX`` and one batch) and one
    batch of done ones.
    """

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lane: Mapped[int | None] = mapped_column(BigInteger)
    #: The update as the Bot API sent it (JSON).
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChartImage(Base):
    """A digest chart drawn once and kept by what it shows (``bot/charts.py``: ``chart_key`` hashes
    the labels, values, title and language), so that a chart drawn ahead of a digest slot, or for
    one chat, serves every chat whose digest shows the same figures.

    In the database rather than on disk: every process of a deployment (several behind a webhook,
    PostgreSQL) sees the same rows, they survive restarts and backups, and a row is written with
    ``INSERT ... ON CONFLICT DO NOTHING``, so two processes drawing the same chart cannot clash.
    ``file_id`` is what Telegram answered to the first upload: later sends reuse it instead of
    uploading the bytes again. No person is referenced. Rows are pruned after a period or so.
    """

    __tablename__ = "chart_images"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    file_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SendBudget(Base):
    """Telegram's flood limit (~30 messages a second) is per bot, not per process: on PostgreSQL
    every process of a deployment books its sends here (``bot/runtime/send_budget.py``).

    One row per budget. ``next_at`` is the moment, in seconds since the epoch on the database's
    clock (the one clock every process shares), from which the next message may go; a process
    books a few slots at a time by moving it forward, in one atomic ``UPDATE`` (the row lock
    orders the processes), so the whole bot sends at most the configured rate.
    """

    __tablename__ = "send_budget"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float(precision=53))
