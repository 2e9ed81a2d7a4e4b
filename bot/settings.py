"""Settings from the environment or ``.env`` (prefix ``PHOIHOP_``), validated once at start-up.

A missing or malformed setting must stop the program with one clear line, never a traceback:
``load_settings`` turns pydantic's errors into ``SettingsError`` with such a line.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.petitions import CATEGORIES
from storage.engine import DatabaseConfigError, parse_database_url

LOCALES = ("vi", "en")
TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{10,100}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(Exception):
    """One line for the operator, naming the setting and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PHOIHOP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: str | None = None
    database_url: str = "sqlite+aiosqlite:///phoihop.db"
    bot_api_url: str = "https://api.telegram.org/bot"
    bot_api_file_url: str | None = None
    #: Used in invite links when the bot's username cannot be asked from the Bot API.
    bot_username: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_locale: str = "vi"
    invite_days: int = 7
    #: Seconds between outbox dispatch rounds; 0 turns the background dispatcher off (tests drive it).
    outbox_interval: float = 1.0
    #: Seconds an update's note "its replies are out" (``handled_updates.replied_at``) waits to be
    #: written with the others' (storage/reply_marks.py); 0 writes them only when the process
    #: stops (tests write them themselves).
    reply_marks_delay: float = 1.0
    #: Periods follow Decree 09/2019/NĐ-CP cut-offs (15th → 14th) or plain calendar periods.
    period_rule: Literal["decree09", "calendar"] = "decree09"
    #: Reminders go this many days before a deadline, at this local hour; overdue notices daily after it.
    reminder_days: list[int] = [3, 1]
    reminder_hour: int = 8
    overdue_max: int = 3
    log_level: str = "INFO"
    #: A claimed outbox row whose process died is taken again after this many seconds.
    outbox_lease: float = 120.0
    #: Longest wait between two getUpdates attempts while the Bot API is unreachable.
    poll_backoff_max: float = 5.0
    #: A reply that failed on a transient error (connection refused, 5xx) is retried after these
    #: pauses (seconds): about a minute in all, then the error handler takes over.
    api_retry_delays: list[float] = [1, 2, 4, 8, 15, 30]
    #: Seconds to wait for the Bot API to answer a request (getUpdates adds its long-poll time).
    api_timeout: float = 5.0
    #: Messages a second the whole bot may send (Telegram's limit is per bot, ~30). On PostgreSQL
    #: every process books from one budget in the database (bot/runtime/send_budget.py); on
    #: SQLite (one process) python-telegram-bot's AIORateLimiter paces in memory.
    send_rate: float = 30.0
    #: Updates handled at the same time (each person's still one after another, in order).
    update_concurrency: int = 8
    #: Long polling stores each batch in the inbox table before confirming it to Telegram; it
    #: stops asking for more while this many stored updates are unhandled (bot/runtime/polling.py).
    inbox_max: int = 1000
    #: Stored updates loaded in memory at once (each person's two oldest at most).
    inbox_window: int = 200
    #: A Bot API request made inside an open database transaction (a bug: it holds the write
    #: lock while Telegram answers) fails instead of being logged. Tests turn it on.
    strict_unit_of_work: bool = False
    #: Seconds a SQLite writer waits for another writer's lock before giving up ("database is locked").
    db_busy_timeout: float = 10.0
    #: Webhook mode (`phoihop run --webhook`): Telegram sends this in X-Telegram-Bot-Api-Secret-Token.
    webhook_secret: str | None = None
    #: How many updates Telegram may post at once (setWebhook's max_connections, 1-100).
    webhook_max_connections: int = 40
    #: Updates one webhook process handles at once (more wait; see bot/runtime/webhook.py).
    webhook_concurrency: int = 4
    #: Seconds after which an update whose process never finished it is handled again on re-delivery.
    webhook_lease: float = 60.0
    #: Seconds between a waiting process's tries for the scheduler lock (and the leader's checks).
    scheduler_retry: float = 5.0
    #: Per-person flood limit: this many updates at once, refilled at this many per second
    #: (0 turns the limit off). Beyond it updates are dropped and the person is told once.
    flood_burst: int = 20
    flood_rate: float = 1.0
    #: Minutes before a weekly or monthly digest slot at which the leader draws the digests'
    #: charts ahead, in a process pool (0: charts are drawn as digests are sent, ~5 a second).
    chart_lead: float = 60.0
    #: Processes that draw those charts (0: one per CPU).
    chart_workers: int = 0
    #: Days a People's Committee has to answer a forwarded recommendation, per category
    #: ("dat_dai=45,moi_truong=20"); a category not named gets bot.petitions.DEFAULT_DUE_DAYS.
    #: Configuration, not law: each province sets what its own coordination rules say.
    petition_due_days: Annotated[dict[str, int], NoDecode] = {}

    #: Days after an item is closed (declined, merged) that its citizen's name and phone are
    #: erased (bot.petitions.DEFAULT_ERASE_AFTER_DAYS, ~12 months; a stated retention, law 91/2025).
    petition_erase_after_days: int = 365

    #: The leaders' dashboard (a Telegram Mini App, bot/runtime/webapp.py): where ``phoihop run``
    #: serves it (``HOST:PORT``; "off" serves nothing; in webhook mode the webhook's server
    #: serves it instead, at ``/app/``), the public https address given to Telegram for its
    #: buttons (None: no dashboard buttons), and how old a launch's ``auth_date`` may be.
    web_listen: str = "127.0.0.1:8080"
    web_url: str | None = None
    web_auth_max_age: float = 3600.0

    @field_validator("petition_due_days", mode="before")
    @classmethod
    def _petition_due_days(cls, value: object) -> object:
        return parse_due_days(value) if isinstance(value, str) else value

    @field_validator("inbox_max")
    @classmethod
    def _inbox_max(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("petition_erase_after_days")
    @classmethod
    def _erase_after(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 (days after closing)")
        return value

    @field_validator("inbox_window")
    @classmethod
    def _inbox_window(cls, value: int) -> int:
        # PerPersonOrder lets at most 1024 updates wait (bot/runtime/ordering.py).
        if not 1 <= value <= 1000:
            raise ValueError("must be between 1 and 1000")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is not None and not TOKEN_RE.match(value.strip()):
            raise ValueError("does not look like a bot token (123456:ABC...) from @BotFather")
        return value.strip() if value else None

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            parse_database_url(value)
        except DatabaseConfigError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("bot_api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8081/bot")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and not SECRET_RE.match(value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value or None

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https://[^\s/]+(/\S*)?$", value.strip()):
            raise ValueError(
                "must be the public https:// address of the dashboard (Telegram opens only https)"
            )
        return value.strip() if value else None

    @field_validator("web_listen")
    @classmethod
    def _web_listen(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if value.strip() != "off" and (
            not sep or not host or not port.isascii() or not port.isdigit() or int(port) > 65535
        ):
            raise ValueError("must be HOST:PORT (e.g. 127.0.0.1:8080) or off")
        return value.strip()

    @field_validator("web_auth_max_age")
    @classmethod
    def _web_age(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be a positive number of seconds")
        return value

    @field_validator("webhook_max_connections")
    @classmethod
    def _connections(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError("must be between 1 and 100")
        return value

    @field_validator("send_rate")
    @classmethod
    def _send_rate(cls, value: float) -> float:
        if not 0 < value <= 1000:
            raise ValueError("must be a number of messages a second above 0 (Telegram allows ~30)")
        return value

    @field_validator("webhook_concurrency")
    @classmethod
    def _concurrency(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError("must be between 1 and 100")
        return value

    @field_validator("chart_lead", "chart_workers", "reply_marks_delay")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("webhook_lease", "scheduler_retry")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be a positive number of seconds")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def file_url(self) -> str:
        """python-telegram-bot's ``base_file_url``, derived from the API URL unless given."""
        if self.bot_api_file_url:
            return self.bot_api_file_url
        if self.bot_api_url.endswith("/bot"):
            return self.bot_api_url[: -len("/bot")] + "/file/bot"
        return self.bot_api_url.rstrip("/") + "/file/bot"

    def require_token(self) -> str:
        if not self.bot_token:
            raise SettingsError(
                "PHOIHOP_BOT_TOKEN is not set: put the token from @BotFather in the environment or .env "
                "(or try `phoihop console --demo`, which needs no token)"
            )
        return self.bot_token

    def require_webhook_secret(self) -> str:
        if not self.webhook_secret:
            raise SettingsError(
                "PHOIHOP_WEBHOOK_SECRET is not set: webhook mode needs a secret so that only Telegram "
                "can post updates (1-256 of A-Z a-z 0-9 _ -; e.g. `openssl rand -hex 32`)"
            )
        return self.webhook_secret


def parse_due_days(text: str) -> dict[str, int]:
    """``"dat_dai=45, moi_truong=20"`` → ``{"dat_dai": 45, "moi_truong": 20}``; an unknown
    category or a day count that is not a whole number from 1 to 365 is refused by name, so a
    typing mistake stops the start-up instead of silently giving the default."""
    days: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, number = part.partition("=")
        key = key.strip()
        if not sep or key not in CATEGORIES:
            known = ", ".join(CATEGORIES)
            raise ValueError(f"{part.strip()!r} is not <category>=<days> (categories: {known})")
        if not number.strip().isdigit() or not 1 <= int(number) <= 365:
            raise ValueError(f"{key}: days must be a whole number from 1 to 365")
        days[key] = int(number)
    return days


def load_settings(**overrides: object) -> Settings:
    """Settings from env/.env plus explicit overrides, or ``SettingsError`` with one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"PHOIHOP_{field.upper()}: {message}") from None
