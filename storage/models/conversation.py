"""Where a conversation stands: the step a person is at, flows suspended or parked, and the
draft of an activity entry (all written at every step, so a restart or a week away loses nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class ChatState(Base):
    """Where a user is in a multi-step flow, written at every step (survives restarts, shared by
    every bot process). ``data`` holds the flow's small working set, never domain records."""

    __tablename__ = "chat_states"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The unit the flow works for (None: not chosen yet, or a flow for no unit), and whether
    #: it needs leader rights there: when a membership ends or is lowered, every flow whose
    #: rights it gave is closed (bot/members.py), without knowing the flows themselves.
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    leads: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class FlowFrame(Base):
    """A flow the user is *not* in right now but may go back to (handlers/flow).

    ``suspended``: another command started a flow on top of it; when that one ends the user is
    offered to return (the highest ``position`` first). ``parked``: left with /cancel; the flow's
    command offers to continue it. One row per flow: starting a flow again replaces its row."""

    __tablename__ = "flow_frames"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flow: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The unit the flow works for (None: not chosen yet, or a flow for no unit), and whether
    #: it needs leader rights there: when a membership ends or is lowered, every flow whose
    #: rights it gave is closed (bot/members.py), without knowing the flows themselves.
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    leads: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class LogDraft(Base):
    """The answers of a /log entry not saved yet: kept through /cancel, restarts and days away."""

    __tablename__ = "log_drafts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
