"""The unit each flow works for, as its state names it (``Flow.unit``): saved with the state so
that a membership that ends or is lowered closes the flows whose rights it gave
(bot/members.py), without the domain knowing the flows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity, Meeting, Report


async def chosen_unit(session: AsyncSession, state: Any) -> int | None:
    """A state with a ``unit_id`` of its own (invite, round, meeting): None until chosen."""
    unit_id = getattr(state, "unit_id", None)
    return int(unit_id) if unit_id else None


async def report_unit(session: AsyncSession, state: Any) -> int | None:
    """The unit of the state's ``report_id`` (answering a report, returning one)."""
    report = await session.get(Report, state.report_id) if state.report_id else None
    return report.unit_id if report is not None else None


async def meeting_unit(session: AsyncSession, state: Any) -> int | None:
    """The organising unit of the state's ``meeting_id`` (a new time, the minutes)."""
    meeting = await session.get(Meeting, state.meeting_id) if state.meeting_id else None
    return meeting.unit_id if meeting is not None else None


async def entry_unit(session: AsyncSession, state: Any) -> int | None:
    """The unit of the entry whose field is being changed (``id``)."""
    activity = await session.get(Activity, state.id) if state.id else None
    return activity.unit_id if activity is not None else None


async def log_unit(session: AsyncSession, state: Any) -> int | None:
    """The unit an activity entry's draft is for (None until chosen)."""
    unit_id = state.draft.get("unit_id")
    return int(unit_id) if unit_id else None
