"""Translations (gettext catalogs in ``locales/``) and Babel formatting of numbers, money and dates.

Vietnamese is the default; English is complete too. Message ids are English. Every user-visible
string goes through ``Translator.gettext`` (alias ``_``) so ``pybabel extract`` finds it; strings
defined at import time are marked with ``N_`` and translated when shown.
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal

from bot.amount_display import money_text

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SUPPORTED = ("vi", "en")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def resolve_locale(chosen: str | None, telegram_language: str | None, default: str = "vi") -> str:
    """The user's choice, else Telegram's language if we speak it, else the default."""
    if chosen in SUPPORTED:
        return chosen
    if telegram_language:
        try:
            language = Locale.parse(telegram_language.replace("-", "_")).language
        except (UnknownLocaleError, ValueError, TypeError):
            language = None
        if language in SUPPORTED:
            return language
    return default if default in SUPPORTED else "vi"


class Translator:
    """Everything a reply needs to speak one language."""

    def __init__(self, locale: str, translations: _gettext.NullTranslations, tz: ZoneInfo) -> None:
        self.locale = locale
        self.tz = tz
        self._t = translations

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def money(self, value: int | Decimal, *, exact: bool = False) -> str:
        """68 tỷ đồng (vi) / 68 billion đồng (en): ``bot.amount_display.money_text``."""
        return money_text(value, self.locale, exact=exact)

    def day(self, value: date | datetime) -> str:
        """02/04/2021 in both languages: the form Vietnamese paperwork uses."""
        if isinstance(value, datetime):
            value = self.local(value).date()
        return _day(value, self.locale)

    def moment(self, value: datetime) -> str:
        """20/12/2026 08:30 in the deployment's time zone: Babel's ``dd/MM/yyyy HH:mm``, which
        is digits alone in every locale we speak, written directly (Babel took 20 µs a call,
        and a province's dashboard board writes thousands; bench/dashboard.py)."""
        v = self.local(value)
        return f"{v.day:02d}/{v.month:02d}/{v.year:04d} {v.hour:02d}:{v.minute:02d}"

    def local(self, value: datetime) -> datetime:
        """An aware datetime in the deployment's zone (naive input is refused: Babel would take it as UTC)."""
        if value.tzinfo is None:
            raise ValueError("naive datetime: attach a time zone before formatting")
        return value.astimezone(self.tz)


class I18n:
    """Loads the compiled catalogs once and hands out translators."""

    def __init__(self, tz: ZoneInfo | None = None, locales_dir: Path = LOCALES_DIR) -> None:
        self.tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
        self._translations: dict[str, _gettext.NullTranslations] = {}
        for locale in SUPPORTED:
            mo = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo.exists():
                raise FileNotFoundError(f"missing compiled catalog {mo}: run `make i18n`")
            with mo.open("rb") as handle:
                self._translations[locale] = _gettext.GNUTranslations(handle)

    def translator(self, locale: str) -> Translator:
        locale = locale if locale in SUPPORTED else "vi"
        return Translator(locale, self._translations[locale], self.tz)

    def all(self) -> list[Translator]:
        return [self.translator(locale) for locale in SUPPORTED]


@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    """Babel's formatting is a pure function and costs tens of microseconds; every card and
    digest line repeats the same few dates."""
    return format_date(value, "dd/MM/yyyy", locale=locale)
