"""What cadres log: the catalog of activity types and measures, entries with their values and
history, locked periods and the rollups the totals read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import PK, Base, UTCDateTime


class ActivityType(Base):
    """An activity in the catalog (PRODUCT §7). Retired types are no longer offered, but their
    entries keep counting: rows are never deleted."""

    __tablename__ = "activity_types"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The words that signal this type in a cadre's own sentence ("QVNN", "hòa giải"), as the
    #: catalog file writes them; ``bot.free_text`` folds them. Stored so that a type added by
    #: ``phoihop catalog load`` teaches the running bot's reader too.
    words: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class ActivityMeasure(Base):
    """One number asked for an activity type: a count, an amount of money (đồng) or a decimal."""

    __tablename__ = "activity_measures"
    __table_args__ = (UniqueConstraint("type_key", "key", name="uq_activity_measures_type_key"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    type_key: Mapped[str] = mapped_column(ForeignKey("activity_types.key"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label_vi: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    unit_vi: Mapped[str] = mapped_column(String(50), default="")
    unit_en: Mapped[str] = mapped_column(String(50), default="")
    #: English for exactly one of the unit ("case"; ``unit_en`` is "cases"); "" = same as plural.
    unit_en_one: Mapped[str] = mapped_column(String(50), default="", server_default="")
    #: Values above this (in the measure's own unit) ask "are you sure?" before they are kept.
    ceiling: Mapped[int | None] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The words that name this measure beside a number: its units ("căn", "cử tri") and the
    #: words that single it out among the type's measures ("sửa chữa"); see ``words`` above.
    words: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Activity(Base):
    """One logged activity of a unit. Deleting sets ``deleted_at``; the history keeps every change."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    type_key: Mapped[str] = mapped_column(ForeignKey("activity_types.key"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="guided")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Bumped by every edit; an edit names the version it started from (no lost updates).
    version: Mapped[int] = mapped_column(Integer, default=1)


class ActivityValue(Base):
    """A measure's value, in thousandths of its unit so money, counts and decimals sum exactly as
    integers on both SQLite and PostgreSQL (68 tỷ đồng = 68_000_000_000_000)."""

    __tablename__ = "activity_values"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    measure_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_milli: Mapped[int] = mapped_column(BigInteger)


class ActivityHistory(Base):
    """Who changed an entry, when, and what it was before and after."""

    __tablename__ = "activity_history"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PeriodLock(Base):
    """Entries dated within [starts_on, ends_on] can no longer change: set when a report is
    approved, lifted when it is reopened.

    **What a lock covers** (issue 16): the approved report's unit and its own organisation's
    units below it: a unit U is covered when ``U.org == org`` and U's path starts with ``prefix``,
    the report unit's ``anchor_path``. For a Front committee (and any stand-alone unit) that is
    its own path: the Front units of its area, never the member organisations hung under it (the
    commune Front's report locks the residential areas' Front committees, not the commune's
    Women's Union nor its branches). For a member organisation under its area's Front committee it
    is that area: the organisation's own units there (the commune Women's Union's report locks it
    and the Women's Union branches of the commune's residential areas), never a sibling
    organisation nor the Front."""

    __tablename__ = "period_locks"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    #: The approved report's unit (what the lock was set for).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: The approved report (reopening it deletes the lock).
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    #: The units covered: those of organisation ``org`` whose path starts with ``prefix``.
    prefix: Mapped[str] = mapped_column(String(1000))
    org: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_period_locks_prefix_org", PeriodLock.prefix, PeriodLock.org)

Index("ix_activities_unit_date", Activity.unit_id, Activity.occurred_on)


class ActivityRollup(Base):
    """Pre-aggregated activity totals, maintained in the same transaction as every entry write.

    One row per (ancestor unit, span, organisation of the entry's unit, type, measure): an entry
    counts toward its own unit and every ancestor, in its half-month bucket (``span`` "h", starting
    on the 1st or the 15th) and in the quarter ("q") and year ("y") containing it under both cut-off
    rules (starting on the 1st for calendar periods, on the 15th for Decree 09 periods). Half-month
    buckets let any period of either rule be summed exactly; quarters and years keep long periods
    over many units to one row per cell (``storage/queries/rollup/``, ``cover``).

    Quarter and year rows also exist for all organisations together (org "*"): a Front
    committee's long-period total reads one row per cell instead of one per organisation.

    The primary key is (unit, span, bucket, org, type, measure): a read is one contiguous index
    range per unit, span start and organisation ("*" for a Front-wide quarter or year), already
    in (type, measure) order. On SQLite the table is WITHOUT ROWID, so those ranges hold the
    values themselves.
    """

    __tablename__ = "activity_rollup"
    __table_args__ = ({"sqlite_with_rowid": False},)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    span: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)
    #: The organisation of the entry's unit, or "*" for all organisations (quarters and years).
    org: Mapped[str] = mapped_column(String(32), primary_key=True)
    type_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    measure_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class Proposal(Base):
    """An entry the bot read in a cadre's own words (issue 18: "thăm 5 hộ nghèo, tặng quà 2
    triệu") and offered as a card with Save / Edit / Not this. Kept as a row, not in memory nor
    in the card's callback data (64 bytes), so a card pressed after a restart, or days later,
    still finds what it offered, and ``status`` turns "saved" in the transaction that saves the
    entry: pressing Save twice saves once. Old rows are deleted after ``bot.proposals.KEEP``."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    #: The person's message it was read from (two activities in one message: two rows).
    message_id: Mapped[int] = mapped_column(BigInteger)
    type_key: Mapped[str] = mapped_column(String(64))
    #: Measure key -> the value read, as decimal text; a measure not read is absent.
    values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    occurred_on: Mapped[date] = mapped_column(Date)
    #: The cadre's own words, the entry's note.
    note: Mapped[str] = mapped_column(Text)
    #: The photo a captioned photo carried (Telegram's file id of its largest size; None: the
    #: proposal was read from text), saved with the entry as the guided /log's photo is.
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    #: "open", "saved" (``activity_id`` set) or "dismissed" ("Not this").
    status: Mapped[str] = mapped_column(String(16), default="open")
    activity_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
