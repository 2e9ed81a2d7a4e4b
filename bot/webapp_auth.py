"""Telegram Mini App launch data (``initData``): checked on every dashboard request, and signed
here too, for tests and for the console's demo link.

Telegram's rule (core.telegram.org/bots/webapps, "Validating data received via the Mini App"):
``secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)``; the launch data is valid when
``hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) == hash``, where the
``data_check_string`` is every received field except ``hash`` as ``key=value``, sorted by key,
joined by ``\\n`` (``signature``, which newer clients add for third parties, is a field like any
other here). ``auth_date`` (Unix seconds) must be recent: a copied launch URL stops working after
``max_age``. Data signed for another bot fails the hash, since the key is derived from the token.

No Telegram library: this is the domain's own rule, testable as a function.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: A launch dated this far in the future (clock skew between Telegram and us) is still accepted.
FUTURE_SKEW = timedelta(minutes=5)
#: Launch data longer than this is no launch data (Telegram's is a few hundred bytes).
MAX_LENGTH = 8192


class InitDataError(Exception):
    """The launch data is refused; ``code`` is one of ``missing``, ``malformed``, ``forged``,
    ``expired``, ``no_user`` (the page says which, in the person's language)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class LaunchUser:
    """The Telegram user who opened the app, as the signed launch data names them."""

    id: int
    first_name: str
    last_name: str | None
    language_code: str | None


@dataclass(frozen=True)
class Launch:
    user: LaunchUser
    auth_date: datetime
    fields: dict[str, str]


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def _hash(fields: dict[str, str], bot_token: str) -> str:
    return hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def parse_fields(init_data: str) -> dict[str, str]:
    """The fields of the query string; a repeated or malformed field is ``malformed``."""
    if len(init_data) > MAX_LENGTH:
        raise InitDataError("malformed")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("malformed")
    return fields


def unverified_language(init_data: str | None) -> str | None:
    """The user's ``language_code`` from launch data whatever its hash: only to say a refusal in
    the person's language (nothing else is believed from unverified data)."""
    try:
        user = json.loads(parse_fields(init_data or "").get("user", ""))
    except (InitDataError, ValueError):
        return None
    language = user.get("language_code") if isinstance(user, dict) else None
    return language if isinstance(language, str) else None


def validate(init_data: str | None, bot_token: str, now: datetime, max_age: timedelta) -> Launch:
    """The launch, or ``InitDataError`` saying why it is refused."""
    if not init_data:
        raise InitDataError("missing")
    fields = parse_fields(init_data)
    given = fields.get("hash", "")
    if not given or not hmac.compare_digest(given.lower(), _hash(fields, bot_token)):
        raise InitDataError("forged")
    raw_date = fields.get("auth_date", "")
    if not raw_date.isascii() or not raw_date.isdigit() or len(raw_date) > 12:
        raise InitDataError("malformed")
    auth_date = datetime.fromtimestamp(int(raw_date), UTC)
    if auth_date < now - max_age or auth_date > now + FUTURE_SKEW:
        raise InitDataError("expired")
    try:
        user: Any = json.loads(fields.get("user", ""))
    except ValueError:
        raise InitDataError("no_user") from None
    if not isinstance(user, dict):
        raise InitDataError("no_user")
    user_id = user.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**63:
        raise InitDataError("no_user")
    language = user.get("language_code")
    last = user.get("last_name")
    return Launch(
        user=LaunchUser(
            id=user_id,
            first_name=str(user.get("first_name") or ""),
            last_name=last if isinstance(last, str) else None,
            language_code=language if isinstance(language, str) else None,
        ),
        auth_date=auth_date,
        fields=fields,
    )


def sign(fields: dict[str, str], bot_token: str) -> str:
    """Launch data with ``fields`` and their hash, as Telegram would pass it."""
    signed = {k: v for k, v in fields.items() if k != "hash"}
    signed["hash"] = _hash(signed, bot_token)
    return urlencode(signed)


def launch_data(
    bot_token: str,
    *,
    user_id: int,
    first_name: str,
    last_name: str | None = None,
    language_code: str | None = "vi",
    auth_date: datetime,
    query_id: str = "AAH-demo",
) -> str:
    """Signed launch data for one user, shaped like a real client's (tests, the console demo)."""
    user: dict[str, Any] = {"id": user_id, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if language_code:
        user["language_code"] = language_code
    user["allows_write_to_pm"] = True
    return sign(
        {
            "query_id": query_id,
            "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
            "auth_date": str(int(auth_date.timestamp())),
        },
        bot_token,
    )
