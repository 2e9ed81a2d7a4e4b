"""Work deferred to the commit (``storage.db.after_commit``): how a handler's answer waits for
the save it reports, and is never sent for a save that rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import Database, after_commit, in_transaction


async def test_work_runs_after_the_commit_and_outside_the_transaction(db: Database) -> None:
    seen: list[tuple[str, bool]] = []

    async def answer() -> None:
        seen.append(("sent", in_transaction()))

    assert not in_transaction()
    async with db.session() as session:
        assert in_transaction()
        await session.execute(text("SELECT 1"))
        after_commit(answer)
        assert seen == [], "not while the transaction is open"
    assert seen == [("sent", False)]
    assert not in_transaction()


async def test_work_of_a_rolled_back_transaction_is_dropped(db: Database) -> None:
    sent: list[str] = []

    async def answer() -> None:
        sent.append("saved!")

    with pytest.raises(RuntimeError, match="boom"):
        async with db.session():
            after_commit(answer)
            raise RuntimeError("boom")
    assert sent == []
    assert not in_transaction()


async def test_outside_a_transaction_it_is_a_programming_error() -> None:
    async def answer() -> None:
        pass

    with pytest.raises(RuntimeError, match="outside a transaction"):
        after_commit(answer)
