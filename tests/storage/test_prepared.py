"""Statements run straight on ``sqlite3`` (storage/prepared.py, ``InlineConnection``) behave as
through the engine: same SQL, same typed values in and out, the same SQLAlchemy errors, and any
statement that needs more (a Python-side default) still goes through the engine."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from bot.clock import FakeClock
from storage.db import Database, connection_of
from storage.models import Activity, ActivityHistory, HandledUpdate, Person
from storage.prepared import Prepared
from storage.queries import activities as act_q
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.queries import updates as updates_q
from storage.sqlite_inline import InlineConnection, InlineSQLiteDialect
from tests.harness import Harness


def test_a_python_side_default_leaves_the_statement_to_the_engine() -> None:
    dialect = InlineSQLiteDialect()
    stmt = insert(Person)
    # ``started`` and ``blocked`` have Python-side defaults that only the engine computes.
    assert Prepared.of(stmt, dialect, ["created_at", "first_name", "telegram_id"]) is None
    every = ["blocked", "created_at", "first_name", "started", "telegram_id"]
    prepared = Prepared.of(stmt, dialect, every)
    assert prepared is not None and prepared.sql.startswith("INSERT INTO people")


async def test_statements_in_place_write_what_the_engine_would(harness: Harness) -> None:
    await harness.seed_demo()
    db, now = harness.db, harness.clock.now()
    async with db.session() as session:
        conn = await connection_of(session)
        assert isinstance(conn, InlineConnection) == (db.dialect == "sqlite")
        person = await people_q.ensure(session, 31337, now)  # a default: through the engine
        unit = await units_q.by_code(session, "02365-t1")
        assert unit is not None
        fields = {
            "unit_id": unit.id,
            "person_id": person.id,
            "type_key": "hoa_giai",
            "occurred_on": date(2026, 11, 20),
            "note": "thôn 3",
            "photo_file_id": None,
            "source": "test",
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        activity_id = await act_q.insert_activity(session, fields)
        await act_q.add_values(session, activity_id, {"cases": 2000, "other": 0})
        await act_q.add_history(
            session, activity_id, person.id, now, "create", None, {"values": {"x": "1"}}
        )
        await updates_q.mark(session, 9, "fp", now)
        assert await act_q.locked(session, unit, date(2026, 11, 20)) is False
    async with db.session() as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None
        assert activity.occurred_on == date(2026, 11, 20) and activity.note == "thôn 3"
        assert activity.created_at == now and activity.version == 1
        assert await act_q.values_of(session, [activity_id]) == {
            activity_id: {"cases": 2000, "other": 0}
        }
        history = (await session.scalars(select(ActivityHistory))).one()
        assert history.after == {"values": {"x": "1"}} and history.before is None
        assert history.at == now and isinstance(history.at, datetime)
        handled = await session.get(HandledUpdate, 9)
        assert handled is not None and handled.fingerprint == "fp" and handled.handled_at == now


async def test_a_failing_statement_raises_sqlalchemys_error_and_rolls_back(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await updates_q.mark(session, 10, "kept?", now)
            conn = await connection_of(session)
            await conn.execute(
                insert(HandledUpdate), {"update_id": 10, "fingerprint": "x", "handled_at": now}
            )
    async with db.session() as session:
        assert await session.get(HandledUpdate, 10) is None


async def test_a_transaction_begun_directly_is_adopted_by_the_orm_and_ends_as_one(
    db: Database, clock: FakeClock
) -> None:
    """Hot-path statements begin the transaction straight on sqlite3; the ORM in the same
    session then carries on in it, so both commit together or not at all."""
    now = clock.now()
    async with db.session() as session:
        await updates_q.mark(session, 11, "core", now)  # begins the transaction
        session.add(Person(telegram_id=777, first_name="Orm", created_at=now))
        await session.flush()  # the ORM joins the same transaction
    async with db.session() as session:
        assert await session.get(HandledUpdate, 11) is not None
        assert await people_q.by_telegram_id(session, 777) is not None

    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await updates_q.mark(session, 12, "core", now)
            session.add(Person(telegram_id=778, first_name="Orm", created_at=now))
            await session.flush()
            raise RuntimeError("a failure after both wrote")
    async with db.session() as session:
        assert await session.get(HandledUpdate, 12) is None
        assert await people_q.by_telegram_id(session, 778) is None


async def test_a_failed_or_cancelled_session_leaves_nothing_open(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    with pytest.raises(ValueError):
        async with db.session() as session:
            await updates_q.mark(session, 13, "core only", now)
            raise ValueError("refused")
    started = asyncio.Event()

    async def stuck() -> None:
        async with db.session() as session:
            await updates_q.mark(session, 14, "cancelled", now)
            started.set()
            await asyncio.Event().wait()  # a reply that never comes

    task = asyncio.create_task(stuck())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.session() as session:  # the turn and the write lock were given back
        await updates_q.mark(session, 15, "next", now)
    assert not await updates_q.was_handled(db, 13, "core only")
    assert not await updates_q.was_handled(db, 14, "cancelled")
    assert await updates_q.was_handled(db, 15, "next")


def test_parameters_come_in_order_typed_and_required() -> None:
    dialect = InlineSQLiteDialect()
    prepared = Prepared.of(act_q._LOCKED, dialect)
    assert prepared is not None
    params = {f"u{i}": i for i in range(8)} | {"day": date(2026, 11, 20)}
    assert prepared.parameters(params) == (0, 1, 2, 3, 4, 5, 6, 7, "2026-11-20", "2026-11-20")
    with pytest.raises(InvalidRequestError, match="day"):
        prepared.parameters({f"u{i}": i for i in range(8)})
    literal = Prepared.of(
        select(Person.id).where(Person.blocked.is_(False), Person.id > 5), dialect
    )
    assert literal is not None and literal.parameters({}) == (5,)
