"""Drafts of the guided ``/log``: the answers given so far (a plain dict kept between updates),
what to ask next, and going back one answer.

Pure functions over the draft, plus its storage: the questions (``handlers.log_questions``) and
the save (``handlers.log_save``) work on it through these, and a proposal
(``bot.proposals.draft_of``) builds one in the same form, so a draft resumes where it stopped
whichever way it was started.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.queries import activities as act_q

__all__ = [
    "answer",
    "back",
    "discard_draft",
    "forget",
    "load_draft",
    "next_step",
    "save_draft",
    "values_of",
]


def next_step(draft: dict[str, Any], measures: Iterable[str]) -> str:
    """What to ask next: the first thing not answered yet (so a draft resumes where it stopped);
    ``measures`` are the keys of the chosen activity's measures, in order."""
    if draft.get("pending"):
        return "confirm"
    if "unit_id" not in draft:
        return "unit"
    if "type" not in draft:
        return "type"
    values = draft.get("values", {})
    for key in measures:
        if key not in values:
            return f"m:{key}"
    for step in ("date", "note", "photo"):
        if step not in draft:
            return step
    return "review"


def answer(draft: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """Record an answer and remember the order, for /back."""
    draft = dict(draft)
    if field.startswith("m:"):
        draft["values"] = {**draft.get("values", {}), field[2:]: value}
    else:
        draft[field] = value
    draft["answered"] = [f for f in draft.get("answered", []) if f != field] + [field]
    return draft


def forget(draft: dict[str, Any], field: str) -> dict[str, Any]:
    draft = dict(draft)
    draft.pop("pending", None)
    if field.startswith("m:"):
        values = dict(draft.get("values", {}))
        values.pop(field[2:], None)
        draft["values"] = values
    else:
        draft.pop(field, None)
        if field == "type":
            draft["values"] = {}
            draft["answered"] = [f for f in draft.get("answered", []) if not f.startswith("m:")]
    draft["answered"] = [f for f in draft.get("answered", []) if f != field]
    return draft


def back(draft: dict[str, Any]) -> dict[str, Any]:
    """Forget the most recent answer so it is asked again."""
    if draft.get("pending"):
        draft = dict(draft)
        draft.pop("pending")
        return draft
    answered = draft.get("answered", [])
    return forget(draft, answered[-1]) if answered else draft


def values_of(draft: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in draft.get("values", {}).items()}


async def load_draft(session: AsyncSession, person_id: int) -> dict[str, Any] | None:
    return await act_q.load_draft(session, person_id)


async def save_draft(
    session: AsyncSession, person_id: int, draft: dict[str, Any], now: datetime
) -> None:
    await act_q.save_draft(session, person_id, draft, now)


async def discard_draft(session: AsyncSession, person_id: int) -> None:
    await act_q.discard_draft(session, person_id)
