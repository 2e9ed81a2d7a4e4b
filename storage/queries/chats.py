"""Group chats linked to units."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LinkedChat
from storage.queries.upsert import insert_for


async def get(session: AsyncSession, chat_id: int) -> LinkedChat | None:
    return await session.get(LinkedChat, chat_id)


async def link(
    session: AsyncSession,
    chat_id: int,
    unit_id: int,
    title: str,
    person_id: int,
    now: datetime,
    language: str,
) -> None:
    values = {
        "unit_id": unit_id,
        "title": title[:300],
        "linked_by": person_id,
        "linked_at": now,
        "active": True,
    }
    await session.execute(
        insert_for(session, LinkedChat)
        .values(chat_id=chat_id, language=language, **values)
        .on_conflict_do_update(index_elements=[LinkedChat.chat_id], set_=values)
    )


async def deactivate(session: AsyncSession, chat_id: int) -> bool:
    result = await session.execute(
        update(LinkedChat)
        .where(LinkedChat.chat_id == chat_id, LinkedChat.active.is_(True))
        .values(active=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def migrate_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    row = await session.get(LinkedChat, old_chat_id)
    if row is None or await session.get(LinkedChat, new_chat_id) is not None:
        return
    session.add(
        LinkedChat(
            chat_id=new_chat_id,
            unit_id=row.unit_id,
            title=row.title,
            linked_by=row.linked_by,
            linked_at=row.linked_at,
            active=row.active,
            language=row.language,
        )
    )
    row.active = False
    await session.flush()


async def for_units(session: AsyncSession, unit_ids: Collection[int]) -> Sequence[LinkedChat]:
    if not unit_ids:
        return []
    stmt = select(LinkedChat).where(
        LinkedChat.unit_id.in_(list(unit_ids)), LinkedChat.active.is_(True)
    )
    return (await session.scalars(stmt.order_by(LinkedChat.chat_id))).all()


async def update_settings(
    session: AsyncSession,
    chat_id: int,
    *,
    language: str | None = None,
    weekly: bool | None = None,
    monthly: bool | None = None,
) -> None:
    values: dict[str, object] = {}
    if language is not None:
        values["language"] = language
    if weekly is not None:
        values["weekly_digest"] = weekly
    if monthly is not None:
        values["monthly_digest"] = monthly
    if values:
        await session.execute(
            update(LinkedChat).where(LinkedChat.chat_id == chat_id).values(**values)
        )


async def active(session: AsyncSession) -> Sequence[LinkedChat]:
    """Every linked chat the bot still writes to, by chat id."""
    stmt = select(LinkedChat).where(LinkedChat.active.is_(True)).order_by(LinkedChat.chat_id)
    return (await session.scalars(stmt)).all()


async def digest_settings(session: AsyncSession) -> list[tuple[int, str, bool, bool]]:
    """(unit id, language, weekly digest?, monthly digest?) of every active linked chat: the
    columns only, no ORM objects, for a job that reads every chat ahead of a digest slot."""
    stmt = select(
        LinkedChat.unit_id,
        LinkedChat.language,
        LinkedChat.weekly_digest,
        LinkedChat.monthly_digest,
    ).where(LinkedChat.active.is_(True))
    rows = await session.execute(stmt)
    return [(int(u), str(lang), bool(w), bool(m)) for u, lang, w, m in rows.all()]
