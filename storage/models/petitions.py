"""Citizens' recommendations (kiến nghị, PRODUCT §10): the item, its history, its files and the
citizens who follow it by link.

Why these shapes:
- An item keeps *who holds it now* as columns (``front_unit_id``: the Front committee that
  supervises it; ``authority_unit_id``: the UBND unit it was forwarded to; ``assignee_id``) so
  "what is mine to do" is one indexed query for every role; the way it got there is the history
  (``petition_events``), never rewritten.
- ``code`` (``KN-2026-0042``) is ``year`` + ``seq`` with a unique pair, so two cadres recording at
  the same moment cannot get the same code (the loser retries with the next number).
- Citizens' name and phone are stored only with consent (``consent``) and erased a configured
  time after closing (``erased_at`` says it happened); a follower is a Telegram chat, not a
  person with a membership.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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


class Petition(Base):
    """One recommendation, recorded once however many citizens raised it (``people_count``)."""

    __tablename__ = "petitions"
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_petitions_year_seq"),
        Index("ix_petitions_front_status", "front_unit_id", "status"),
        Index("ix_petitions_authority_status", "authority_unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    #: ``KN-<year>-<seq, 4 digits or more>``, shown on every card and typed after /petition.
    code: Mapped[str] = mapped_column(String(24), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: What is asked, in the citizens' words as the cadre wrote them.
    text: Mapped[str] = mapped_column(Text)
    #: A key of bot.petitions.CATEGORIES (dat_dai, moi_truong, ha_tang, an_sinh, an_ninh,
    #: y_te_giao_duc, khac).
    category: Mapped[str] = mapped_column(String(32))
    #: A key of bot.petitions.SOURCES (tiep_xuc_cu_tri, doi_thoai, don_thu, khu_dan_cu, hoi_nghi).
    source: Mapped[str] = mapped_column(String(32))
    #: Where: the unit (area) the recommendation is about, the recorder's unit or one below it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: How many citizens raised it ("12 cử tri cùng kiến nghị"); merging adds the counts.
    people_count: Mapped[int] = mapped_column(Integer, default=1)
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    #: The day it was received from the citizens (the cadre may give an earlier day than today).
    received_on: Mapped[date] = mapped_column(Date)
    #: The citizen agreed that their name and phone be kept (asked as its own yes/no).
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    citizen_name: Mapped[str | None] = mapped_column(String(100))
    citizen_phone: Mapped[str | None] = mapped_column(String(16))
    #: recorded, forwarded, acknowledged, answered, closed, declined, merged
    #: (bot.petitions.STATUSES; "closed" = answered and rated satisfactory, or answered by the
    #: Front itself).
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    #: The Front committee that supervises the item now (the place's own, or the level above
    #: after it was sent up).
    front_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: The UBND unit it was forwarded to (None until forwarded, or when the Front answers it).
    authority_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: The UBND officer it was assigned to inside that unit.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    forwarded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date)
    #: An extension the authority asked for and the Front has not decided yet.
    extension_until: Mapped[date | None] = mapped_column(Date)
    #: The latest answer (the authority's, or the Front's own); earlier ones are in the history.
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: "satisfactory" or "unsatisfactory", the Front's rating of the latest answer.
    rating: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The recording cadre confirmed they told the citizens the answer.
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The item this one was merged into (status "merged").
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"))
    #: Overdue reminders sent for the current due date (at most 3), then one escalation.
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: SHA-256 of the citizen's follow code (``/start f_<code>``); None until a link was made.
    follow_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the citizen's personal data was erased (a configured time after closing).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PetitionEvent(Base):
    """One status change or action on an item: who, when, what (kept for the item's life)."""

    __tablename__ = "petition_events"
    __table_args__ = (Index("ix_petition_events_petition_at", "petition_id", "at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: None for the scheduler (reminders, escalation, erasure) or a person since erased.
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    #: recorded, merged, declined, answered_front, forwarded, sent_up, acknowledged, assigned,
    #: extension_asked, extension_granted, extension_refused, answered, rated_ok, rated_not_ok,
    #: informed, reminded, escalated, erased, on_agenda (put on a meeting's agenda: the note is
    #: "<meeting kind>|<ISO start>", bot/meeting_agenda.py).
    action: Mapped[str] = mapped_column(String(24))
    #: The reason, comment or answer given with the action.
    note: Mapped[str | None] = mapped_column(Text)
    #: The unit the action pointed at (the authority forwarded to, the Front above...).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: The person it pointed at (the colleague assigned...).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status_after: Mapped[str] = mapped_column(String(16))


class PetitionFile(Base):
    """A photo or document attached when recording, or with an answer (Telegram's file id)."""

    __tablename__ = "petition_files"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    #: "photo" or "document".
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(200))
    #: "record" or "answer".
    stage: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PetitionFollower(Base):
    """A citizen's chat that followed the item's link: told when it is answered, nothing else."""

    __tablename__ = "petition_followers"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8))
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime())
