"""The services handlers reach through the context: one object, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.access import ActorCache
from bot.clock import Clock
from bot.i18n import I18n
from bot.settings import Settings
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    i18n: I18n
    #: Filled from getMe when the application starts (used in invite links).
    bot_username: str | None = field(default=None)
    #: Actors of recent people with the rows they were built from (bot/access.py).
    actors: ActorCache = field(default_factory=ActorCache)

    def today(self) -> date:
        """Today's date where the cadres are (the province's time zone), not the server's: an
        activity logged at 6:30 on a Monday morning in Vietnam is Monday's while UTC still says Sunday."""
        return self.clock.now().astimezone(self.settings.tz).date()
