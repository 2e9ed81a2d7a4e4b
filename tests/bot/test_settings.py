"""A missing or malformed setting is one clear line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("PHOIHOP_DATABASE_URL", "PHOIHOP_BOT_TOKEN", "PHOIHOP_BOT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///phoihop.db"
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.file_url == "https://api.telegram.org/file/bot"
    assert settings.timezone == "Asia/Ho_Chi_Minh" and settings.default_locale == "vi"
    with pytest.raises(SettingsError, match="PHOIHOP_BOT_TOKEN is not set"):
        settings.require_token()
    assert (settings.webhook_max_connections, settings.webhook_concurrency) == (40, 4)
    assert (settings.webhook_lease, settings.scheduler_retry) == (60.0, 5.0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PHOIHOP_DATABASE_URL", "mysql://x/y", "PHOIHOP_DATABASE_URL: unsupported database"),
        ("PHOIHOP_DATABASE_URL", "not a url", "PHOIHOP_DATABASE_URL: not a database URL"),
        ("PHOIHOP_BOT_TOKEN", "hello", "PHOIHOP_BOT_TOKEN: does not look like a bot token"),
        ("PHOIHOP_BOT_API_URL", "ftp://x", "PHOIHOP_BOT_API_URL: must be an http"),
        ("PHOIHOP_TIMEZONE", "Mars/Base", "PHOIHOP_TIMEZONE: unknown time zone"),
        ("PHOIHOP_DEFAULT_LOCALE", "fr", "PHOIHOP_DEFAULT_LOCALE: must be one of vi, en"),
        ("PHOIHOP_WEBHOOK_SECRET", "a b", "PHOIHOP_WEBHOOK_SECRET: must be 1-256 characters"),
        ("PHOIHOP_WEBHOOK_SECRET", "x" * 257, "PHOIHOP_WEBHOOK_SECRET: must be 1-256 characters"),
        (
            "PHOIHOP_WEBHOOK_MAX_CONNECTIONS",
            "0",
            "PHOIHOP_WEBHOOK_MAX_CONNECTIONS: must be between",
        ),
        ("PHOIHOP_WEBHOOK_CONCURRENCY", "500", "PHOIHOP_WEBHOOK_CONCURRENCY: must be between"),
        ("PHOIHOP_SCHEDULER_RETRY", "0", "PHOIHOP_SCHEDULER_RETRY: must be a positive number"),
        ("PHOIHOP_WEBHOOK_LEASE", "-1", "PHOIHOP_WEBHOOK_LEASE: must be a positive number"),
        (
            "PHOIHOP_PETITION_ERASE_AFTER_DAYS",
            "0",
            "PHOIHOP_PETITION_ERASE_AFTER_DAYS: must be at least 1",
        ),
    ],
)
def test_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_dotenv_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOIHOP_BOT_API_URL", raising=False)
    (tmp_path / ".env").write_text("PHOIHOP_BOT_API_URL=http://127.0.0.1:8081/bot\n")
    settings = load_settings()
    assert settings.bot_api_url == "http://127.0.0.1:8081/bot"
    assert settings.file_url == "http://127.0.0.1:8081/file/bot"


def test_petition_due_days_per_category(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Days per category as cadres would write them; unset: every category gets the default."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOIHOP_PETITION_DUE_DAYS", raising=False)
    assert load_settings().petition_due_days == {}
    monkeypatch.setenv("PHOIHOP_PETITION_DUE_DAYS", "dat_dai=45, moi_truong=20,")
    assert load_settings().petition_due_days == {"dat_dai": 45, "moi_truong": 20}
    for bad, message in (
        ("datdai=45", "'datdai=45' is not <category>=<days>"),
        ("dat_dai=0", "dat_dai: days must be a whole number from 1 to 365"),
        ("dat_dai=ba", "dat_dai: days must be"),
    ):
        monkeypatch.setenv("PHOIHOP_PETITION_DUE_DAYS", bad)
        with pytest.raises(SettingsError, match=f"^PHOIHOP_PETITION_DUE_DAYS: {message}"):
            load_settings()
