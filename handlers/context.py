"""The one seam through which handlers reach services: a typed ``CallbackContext`` (as in
python-telegram-bot's ``contexttypesbot.py``) that also carries the acting person for the update."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.access import Actor, actor_of
from bot.i18n import Translator, resolve_locale
from bot.services import Services
from storage.db import commit_apart, release_held
from storage.queries import people as people_q
from storage.queries import updates as updates_q
from storage.text import nfc


def replay_fingerprint(update: Update) -> str:
    """The same update delivered again has the same content; a reused id does not.

    Telegram's own ids and the text say that cheaply (ids alone repeat when a restored database
    meets a fresh Bot API server: same chat, message id and date, another text). Serializing the whole update (the first version) cost ~0.2 ms of a
    ~5 ms ``/log``; it remains for the rarer kinds of update."""
    message = update.message or update.edited_message or update.channel_post
    query = update.callback_query
    if message is not None:
        ident = (
            f"m|{message.chat_id}|{message.message_id}|{message.date.timestamp()}|"
            f"{message.text or message.caption or ''}"
        )
    elif query is not None:
        ident = f"q|{query.id}|{query.from_user.id}|{query.data}"
    else:
        ident = update.to_json()
    return hashlib.sha256(f"{update.update_id}|{ident}".encode()).hexdigest()[:32]


Bot = ExtBot[None]


class AppContext(CallbackContext[Bot, dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Per-update context: services, the actor and their translator (loaded once per update)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None
        self._tr: Translator | None = None
        #: This update was handled (and its effect committed) before a crash: see handlers/replay.py.
        self.replayed = False
        #: ... and its replies had gone out too (or were queued): the replay says nothing.
        self.replied = False
        #: ``replay_fingerprint`` of the update, once ``load_actor`` has run.
        self.fingerprint: str | None = None
        #: The update's chat had replies queued in the outbox and not out yet when the update was
        #: loaded (by any process): this update's replies go behind them (handlers/delivery.py).
        self.replies_waiting = False

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services

    async def load_actor(self, update: Update) -> Actor | None:
        """Create or refresh the person behind the update and load their roles."""
        user = update.effective_user
        if user is None or user.is_bot:
            return None
        chat = update.effective_chat
        # Only something the person sent proves they talk to the bot; a my_chat_member update in
        # a private chat may be them blocking it (handled in handlers/groups.py).
        private = chat is not None and chat.type == "private" and update.my_chat_member is None
        profile = people_q.TelegramProfile(
            telegram_id=user.id,
            first_name=nfc(user.first_name or ""),
            last_name=nfc(user.last_name) if user.last_name else None,
            username=user.username,
            language_code=user.language_code,
        )
        services = self.services
        now = services.clock.now()
        self.fingerprint = replay_fingerprint(update)
        # The update's own transaction reads who is writing and whether this update took effect
        # before: opened ahead, its first session block takes it over (storage.db.hold), so the
        # reads cost no transaction of their own. A person new, changed or due for a refresh is
        # written and committed apart first, as the replay mark must not ride on it.
        session = await services.db.hold()
        try:
            rows, state = await updates_q.known_rows_and_state(
                session, user.id, update.update_id, self.fingerprint, chat.id if chat else None
            )
            actor = services.actors.get(user.id, rows)
            if actor is None or people_q.needs_refresh(
                actor.person, profile, now, private_chat=private
            ):
                actor = await self._read_actor(session, user.id, rows, profile, now, private)
            if actor is None:
                await people_q.upsert(session, profile, now, private_chat=private)
                await commit_apart(session)
                rows, state = await updates_q.known_rows_and_state(
                    session, user.id, update.update_id, self.fingerprint, chat.id if chat else None
                )
                actor = await self._read_actor(session, user.id, rows, None, now, private)
                assert actor is not None, "the person was just written"
            assert state is not None, "read with the person's rows"
            handled, self.replies_waiting = state
        except BaseException as failed:
            await release_held(failed)
            raise
        self.replayed = handled is not updates_q.Handled.NO
        self.replied = handled is updates_q.Handled.REPLIED
        self._actor = actor
        self._tr = None
        return self._actor

    async def _read_actor(
        self,
        session: AsyncSession,
        telegram_id: int,
        rows: list[tuple[Any, ...]],
        profile: people_q.TelegramProfile | None,
        now: datetime,
        private: bool,
    ) -> Actor | None:
        """The slow path: a person new or changed since their actor was cached. The actor is
        built from the rows it is cached with, read in the same transaction: a function of them,
        whatever commits meanwhile. None when the person must be written first: new, or (given
        what Telegram says of them now, ``profile``) their stored profile needs refreshing."""
        known = people_q.known(rows)
        if known is None or (
            profile is not None
            and people_q.needs_refresh(known.person, profile, now, private_chat=private)
        ):
            return None
        actor = await actor_of(session, known.person, known.roles)
        self.services.actors.put(telegram_id, rows, actor)
        return actor

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            raise RuntimeError("no actor loaded for this update")
        return self._actor

    @property
    def has_actor(self) -> bool:
        return self._actor is not None

    @property
    def tr(self) -> Translator:
        """The translator for the acting person (or the deployment default)."""
        if self._tr is None:
            settings = self.services.settings
            if self._actor is not None:
                person = self._actor.person
                locale = resolve_locale(
                    person.language, person.telegram_language, settings.default_locale
                )
            else:
                locale = settings.default_locale
            self._tr = self.services.i18n.translator(locale)
        return self._tr
