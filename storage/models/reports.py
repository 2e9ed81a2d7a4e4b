"""Guided periodic reports: templates, rounds opened by leaders, one report per unit, its answers
and its events (submitted, returned, accepted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import PK, Base, UTCDateTime


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
