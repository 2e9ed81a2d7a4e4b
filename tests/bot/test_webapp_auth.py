"""Telegram's launch-data check (bot/webapp_auth.py) as a function, against a value computed here
independently from Telegram's published recipe."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.webapp_auth import InitDataError, launch_data, sign, unverified_language, validate

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"
OTHER = "654321:ZYXwvuTSRqpoNMLkjiHGFedcBA876543210"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _data(language_code: str | None = "vi") -> str:
    return launch_data(
        TOKEN,
        user_id=1002,
        first_name="Lan",
        last_name="Nguyễn Thị",
        auth_date=NOW,
        language_code=language_code,
    )


def test_the_recipe_matches_telegrams() -> None:
    """The hash, computed here by Telegram's words, not by the module's helpers."""
    fields = dict(parse_qsl(_data()))
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert fields["hash"] == hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def test_valid_launch_names_the_user() -> None:
    launch = validate(_data(), TOKEN, NOW + timedelta(minutes=59), HOUR)
    assert launch.user.id == 1002
    assert launch.user.first_name == "Lan"
    assert launch.user.language_code == "vi"
    assert launch.auth_date == NOW


@pytest.mark.parametrize(
    ("init_data", "code"),
    [
        (None, "missing"),
        ("", "missing"),
        ("auth_date=1&auth_date=2&hash=00", "malformed"),
        ("no equals sign", "malformed"),
        ("x" * 9000, "malformed"),
    ],
)
def test_missing_or_malformed(init_data: str | None, code: str) -> None:
    with pytest.raises(InitDataError) as caught:
        validate(init_data, TOKEN, NOW, HOUR)
    assert caught.value.code == code


def test_a_changed_field_is_forged() -> None:
    fields = dict(parse_qsl(_data()))
    user = json.loads(fields["user"])
    user["id"] = 1001  # someone else's id, the hash kept
    fields["user"] = json.dumps(user)
    with pytest.raises(InitDataError) as caught:
        validate(urlencode(fields), TOKEN, NOW, HOUR)
    assert caught.value.code == "forged"


def test_no_hash_is_forged() -> None:
    fields = dict(parse_qsl(_data()))
    del fields["hash"]
    with pytest.raises(InitDataError) as caught:
        validate(urlencode(fields), TOKEN, NOW, HOUR)
    assert caught.value.code == "forged"


def test_another_bots_launch_is_refused() -> None:
    """Launch data Telegram signed for another bot (its token) does not open ours."""
    other = launch_data(OTHER, user_id=1002, first_name="Lan", auth_date=NOW)
    with pytest.raises(InitDataError) as caught:
        validate(other, TOKEN, NOW, HOUR)
    assert caught.value.code == "forged"


def test_expired_and_future_launches() -> None:
    with pytest.raises(InitDataError) as caught:
        validate(_data(), TOKEN, NOW + HOUR + timedelta(seconds=1), HOUR)
    assert caught.value.code == "expired"
    assert validate(_data(), TOKEN, NOW + HOUR, HOUR).user.id == 1002  # the hour itself counts
    with pytest.raises(InitDataError) as caught:
        validate(_data(), TOKEN, NOW - timedelta(minutes=10), HOUR)  # dated 10 min ahead
    assert caught.value.code == "expired"


def test_signed_but_without_a_user() -> None:
    data = sign({"auth_date": str(int(NOW.timestamp())), "query_id": "x"}, TOKEN)
    with pytest.raises(InitDataError) as caught:
        validate(data, TOKEN, NOW, HOUR)
    assert caught.value.code == "no_user"
    data = sign({"auth_date": str(int(NOW.timestamp())), "user": '{"id": true}'}, TOKEN)
    with pytest.raises(InitDataError) as caught:
        validate(data, TOKEN, NOW, HOUR)
    assert caught.value.code == "no_user"


def test_signature_field_is_part_of_the_check() -> None:
    """Newer clients add ``signature`` (for third parties): it is hashed like any field."""
    fields = dict(parse_qsl(_data()))
    del fields["hash"]
    fields["signature"] = "abc"
    data = sign(fields, TOKEN)
    assert validate(data, TOKEN, NOW, HOUR).fields["signature"] == "abc"
    tampered = dict(parse_qsl(data))
    tampered["signature"] = "abd"
    with pytest.raises(InitDataError):
        validate(urlencode(tampered), TOKEN, NOW, HOUR)


def test_language_of_a_refusal_is_read_without_trusting_it() -> None:
    assert unverified_language(_data(language_code="en") + "x") == "en"
    assert unverified_language(None) is None
    assert unverified_language("garbage") is None
