"""The hierarchy and the people in it: unit kinds, organisations, units (a materialized path),
people, memberships and invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import PK, Base, UTCDateTime


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
    #: The full name the person set with /me (family name first); wins over Telegram's fields.
    full_name: Mapped[str | None] = mapped_column(String(100))
    #: A phone number the person gave with /me, normalised to 0xxxxxxxxx (erased by /forgetme).
    phone: Mapped[str | None] = mapped_column(String(16))
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


class MembershipEvent(Base):
    """The audit of who changed whose membership: a member who joined by an invite link or was
    granted a role at the command line, removed, a role changed, an invite withdrawn. ``by_id``
    is None for an operator at the command line (``source`` "cli"); for a join, it is whoever
    made the link."""

    __tablename__ = "membership_events"
    __table_args__ = (Index("ix_membership_events_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: Whose membership changed (None for an invite withdrawn, or a person since erased).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    #: "join", "grant", "remove", "role" or "revoke".
    action: Mapped[str] = mapped_column(String(16))
    role_before: Mapped[str | None] = mapped_column(String(16))
    role_after: Mapped[str | None] = mapped_column(String(16))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))


class InviteFailure(Base):
    """One wrong invite code (unknown or malformed) a Telegram account tried: recent rows limit
    guessing. Kept in the database so a restart or another bot process does not reset the count,
    and by Telegram id, not person, so that /forgetme (which deletes the person) does not either.
    Rows older than the lock's window are dropped as new ones come and at /forgetme."""

    __tablename__ = "invite_failures"
    __table_args__ = (Index("ix_invite_failures_telegram_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_units_kind_org", Unit.kind, Unit.org)
