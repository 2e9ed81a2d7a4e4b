"""Renderers for outbox notices, one per ``kind``, in the recipient's language at send time.

Features register theirs with ``register``; the dispatcher calls ``Notices.render``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.i18n import Translator, resolve_locale
from bot.notifications import Notice
from bot.services import Services
from storage.queries import chats as chats_q
from storage.queries import people as people_q

RenderFn = Callable[[Services, Translator, dict[str, Any], int], Awaitable[Notice | None]]

_RENDERERS: dict[str, RenderFn] = {}


def register(kind: str, fn: RenderFn) -> None:
    _RENDERERS[kind] = fn


class Notices:
    """The dispatcher's renderer: finds the recipient's language and the kind's renderer."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def translator_for(self, chat_id: int) -> Translator:
        settings = self.services.settings
        locale = settings.default_locale
        if chat_id > 0:
            async with self.services.db.session() as session:
                person = await people_q.by_telegram_id(session, chat_id)
            if person is not None:
                locale = resolve_locale(
                    person.language, person.telegram_language, settings.default_locale
                )
        else:
            async with self.services.db.session() as session:
                chat = await chats_q.get(session, chat_id)
            if chat is not None:
                locale = chat.language
        return self.services.i18n.translator(locale)

    async def __call__(self, kind: str, params: dict[str, Any], chat_id: int) -> Notice | None:
        fn = _RENDERERS.get(kind)
        if fn is None:
            raise LookupError(f"no renderer for outbox kind {kind!r}")
        return await fn(self.services, await self.translator_for(chat_id), params, chat_id)
