"""SQLAlchemy 2 typed models: the hierarchy, people, memberships, invites, conversation state.

Why these shapes:
- The tree is data (``unit_kinds``): a deployment may add a district level or work groups without code.
- ``units.path`` is a materialized path (``/1/5/23/``) so "is X in Y's subtree" and "everything under Y"
  are one indexed prefix comparison on both SQLite and PostgreSQL.
- Telegram ids need 64 bits; SQLite autoincrement keys must be ``INTEGER`` (see ENGINEERING_NOTES).
- SQLite drops tzinfo, so every datetime is stored as UTC and converted at the edges (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Autoincrement primary key that is 64-bit on PostgreSQL and ``INTEGER`` (rowid) on SQLite.
PK = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in, timezone-aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UnitKind(Base):
    """A level of the tree (province, commune, residential area, district, work group...)."""

    __tablename__ = "unit_kinds"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    #: Display order from the top of the tree; kinds at the same depth may share a level.
    level: Mapped[int] = mapped_column(Integer, default=0)


class Organisation(Base):
    """MTTQ and its member organisations, plus the People's Committee.

    ``umbrella`` organisations (the Front itself) oversee every organisation in their areas; a member
    organisation's leaders see only their own organisation's units below them.
    """

    __tablename__ = "organisations"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    umbrella: Mapped[bool] = mapped_column(Boolean, default=False)


class Unit(Base):
    """One organisation in one area, or an area's Front committee."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    #: Diacritic-free lower-case name, for search ("Hoá" = "Hóa" = "hoa").
    search_name: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(ForeignKey("unit_kinds.key"))
    org: Mapped[str] = mapped_column(ForeignKey("organisations.key"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: ``/<root id>/.../<own id>/``
    path: Mapped[str] = mapped_column(String(1000), index=True)
    #: Path of the area this unit works in: its own for a Front committee or a stand-alone unit,
    #: the parent's for a member organisation hung under its area's Front committee. A member
    #: organisation's scope is "units of my organisation under my area".
    anchor_path: Mapped[str] = mapped_column(String(1000))
    #: Code in an official register (e.g. NSO ward code) when the unit came from one.
    official_code: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Person(Base):
    """Someone who has talked to the bot (or was granted a role from the CLI)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    #: Telegram's language_code as last seen (may be anything, or missing).
    telegram_language: Mapped[str | None] = mapped_column(String(35))
    #: The language the user chose with /language; None = follow Telegram's.
    language: Mapped[str | None] = mapped_column(String(8))
    #: The person opened a private chat with the bot, so the bot may write to them.
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The bot got 403 from Telegram: stop writing until they come back.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Membership(Base):
    """(person, unit, role). ``owner`` memberships grant the whole deployment."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", name="uq_memberships_person_unit"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: How the membership came to be: "invite:<id>", "cli", ...
    source: Mapped[str] = mapped_column(String(64), default="")


class Invite(Base):
    """An invite deep link. Only the SHA-256 of the code is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(16))
    #: None when made from the command line by an operator.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class InviteFailure(Base):
    """One wrong invite code (unknown or malformed) a person tried: recent rows limit guessing.
    Kept in the database so a restart or another bot process does not reset the count."""

    __tablename__ = "invite_failures"
    __table_args__ = (Index("ix_invite_failures_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


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


class FlowFrame(Base):
    """A flow the user is *not* in right now but may go back to (handlers/flow.py).

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


Index("ix_units_kind_org", Unit.kind, Unit.org)


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
    #: Values above this (in the measure's own unit) ask "are you sure?" before they are kept.
    ceiling: Mapped[int | None] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


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


class LogDraft(Base):
    """The answers of a /log entry not saved yet: kept through /cancel, restarts and days away."""

    __tablename__ = "log_drafts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PeriodLock(Base):
    """Entries of a unit's subtree dated within [starts_on, ends_on] can no longer change (set when a
    report for that unit and period is approved)."""

    __tablename__ = "period_locks"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_activities_unit_date", Activity.unit_id, Activity.occurred_on)


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
    #: pending → claimed → sent; or failed (gave up) / dead (the chat does not accept messages).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_outbox_status_due", OutboxMessage.status, OutboxMessage.due_at)


class ReportTemplate(Base):
    """One version of a report questionnaire. A round points at a version, which never changes."""

    __tablename__ = "report_templates"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_report_templates_key_version"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: ``Template.to_dict()``: the whole questionnaire as it was loaded.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportRound(Base):
    """A call for reports: a template version × a period × the units of a subtree × a deadline."""

    __tablename__ = "report_rounds"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("report_templates.id"))
    period_key: Mapped[str] = mapped_column(String(32))
    #: The unit whose subtree is asked (its admins follow the round).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    org: Mapped[str | None] = mapped_column(String(32))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Report(Base):
    """One unit's report in a round: draft → submitted → approved, or returned with a comment."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("round_id", "unit_id", name="uq_reports_round_unit"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("report_rounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReportAnswer(Base):
    """An answer, stored the moment it is given (``value`` is ``{"v": ...}``; None = skipped)."""

    __tablename__ = "report_answers"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportEvent(Base):
    """The history of a report: submitted, returned (with the comment), approved, edited."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Meeting(Base):
    """A meeting notice (PRODUCT §5). ``sequence`` counts reschedules/cancels for the .ics file."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    place: Mapped[str] = mapped_column(String(300), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    #: The organising unit; invited units are in ``meeting_invitations``.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    conclusions: Mapped[str | None] = mapped_column(Text)
    minutes_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingInvitation(Base):
    __tablename__ = "meeting_invitations"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class MeetingRsvp(Base):
    """A person's answer: yes, no (with a reason) or a delegate; ``attended`` is recorded afterwards."""

    __tablename__ = "meeting_rsvps"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    answer: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    delegate: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attended: Mapped[bool | None] = mapped_column(Boolean)


class ActivityRollup(Base):
    """Pre-aggregated activity totals, maintained in the same transaction as every entry write.

    One row per (ancestor unit, span, organisation of the entry's unit, type, measure): an entry
    counts toward its own unit and every ancestor, in its half-month bucket (``span`` "h", starting
    on the 1st or the 15th) and in the quarter ("q") and year ("y") containing it under both cut-off
    rules (starting on the 1st for calendar periods, on the 15th for Decree 09 periods). Half-month
    buckets let any period of either rule be summed exactly; quarters and years keep long periods
    over many units to one row per cell (``storage/queries/rollup.py``, ``cover``).

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
