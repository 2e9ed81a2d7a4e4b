"""Proposals read from a cadre's own words (issue 18): stored, found, claimed for saving."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Proposal


async def add(
    session: AsyncSession,
    person_id: int,
    message_id: int,
    type_key: str,
    values: dict[str, str],
    occurred_on: date,
    note: str,
    now: datetime,
    photo_file_id: str | None = None,
) -> int:
    """A new open proposal (``photo_file_id``: the photo whose caption it was read from); its id."""
    new_id = await session.scalar(
        insert(Proposal)
        .values(
            person_id=person_id,
            message_id=message_id,
            type_key=type_key,
            values=values,
            occurred_on=occurred_on,
            note=note,
            photo_file_id=photo_file_id,
            status="open",
            created_at=now,
        )
        .returning(Proposal.id)
    )
    assert new_id is not None
    return int(new_id)


async def get(session: AsyncSession, person_id: int, proposal_id: int) -> Proposal | None:
    """The person's proposal (another person's is None, as a missing one is)."""
    return await session.scalar(
        select(Proposal).where(Proposal.id == proposal_id, Proposal.person_id == person_id)
    )


async def claim(session: AsyncSession, person_id: int, proposal_id: int) -> bool:
    """Mark the proposal saved unless it is already: one statement, so of two presses (two
    processes, two transactions) only one gets True; PostgreSQL makes the second wait for the
    first's row lock, then sees "saved"."""
    result = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            Proposal.person_id == person_id,
            Proposal.status != "saved",
        )
        .values(status="saved")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_status(
    session: AsyncSession, proposal_id: int, status: str, activity_id: int | None = None
) -> None:
    await session.execute(
        update(Proposal)
        .where(Proposal.id == proposal_id)
        .values(status=status, activity_id=activity_id)
        .execution_options(synchronize_session=False)
    )


async def of_message(session: AsyncSession, person_id: int, message_id: int) -> Sequence[str]:
    """The statuses of the proposals read from one message."""
    rows = await session.scalars(
        select(Proposal.status).where(
            Proposal.person_id == person_id, Proposal.message_id == message_id
        )
    )
    return list(rows)


async def forget_before(session: AsyncSession, person_id: int, before: datetime) -> int:
    """Delete the person's proposals made before ``before``; how many. Only when there are
    some (a count, not a write, in the common case)."""
    old = await session.scalar(
        select(func.count())
        .select_from(Proposal)
        .where(Proposal.person_id == person_id, Proposal.created_at < before)
    )
    if not old:
        return 0
    await session.execute(
        delete(Proposal).where(Proposal.person_id == person_id, Proposal.created_at < before)
    )
    return int(old)
