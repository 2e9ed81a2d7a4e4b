"""Catalogs are complete in both languages, compiled files are current, formatting follows §9."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, SUPPORTED, I18n, resolve_locale

ROOT = Path(__file__).resolve().parents[2]


def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_message_is_translated(locale: str) -> None:
    catalog = _catalog(locale)
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"untranslated in {locale}: {missing}"
    assert not fuzzy, f"fuzzy in {locale}: {fuzzy}"


@pytest.mark.parametrize("locale", SUPPORTED)
def test_compiled_catalog_is_current(locale: str) -> None:
    """The committed .mo says exactly what the .po says (run `make i18n-compile` otherwise)."""
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(locale))
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        committed = gettext.GNUTranslations(f)
    assert committed._catalog == fresh._catalog  # type: ignore[attr-defined]


def test_catalogs_hold_every_string_in_the_code(tmp_path: Path) -> None:
    """Extraction finds no msgid that the catalogs lack (run `make i18n` otherwise)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "pyproject.toml",
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "-o",
            str(pot),
            "bot",
            "handlers",
            "storage",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    for locale in SUPPORTED:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(locale) if m.id}
        assert wanted <= have, f"{locale} lacks {sorted(wanted - have)}"


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        (None, "vi", "vi"),
        (None, "vi-VN", "vi"),
        (None, "en-US", "en"),
        (None, "en", "en"),
        (None, None, "vi"),
        (None, "fr", "vi"),
        (None, "zz-garbage!", "vi"),
        ("en", "vi", "en"),
        ("vi", "en-GB", "vi"),
    ],
)
def test_resolve_locale(chosen: str | None, telegram: str | None, expected: str) -> None:
    assert resolve_locale(chosen, telegram) == expected


def test_vietnamese_formatting() -> None:
    tr = I18n().translator("vi")
    assert tr.money(68_000_000_000) == "68 tỷ đồng"
    assert tr.number(1045) == "1.045"
    assert tr.day(date(2021, 4, 2)) == "02/04/2021"
    # 01:30 UTC is 08:30 in Hà Nội; naive datetimes are refused (Babel would read them as UTC).
    assert tr.moment(datetime(2026, 12, 20, 1, 30, tzinfo=UTC)) == "20/12/2026 08:30"
    with pytest.raises(ValueError, match="naive"):
        tr.moment(datetime(2026, 12, 20, 8, 30))


def test_english_formatting_and_plural() -> None:
    tr = I18n().translator("en")
    assert tr.number(1045) == "1,045"
    assert tr.day(date(2021, 4, 2)) == "02/04/2021"
    assert "1 person" in tr.ngettext(
        "Valid until {until} for {count} person.", "Valid until {until} for {count} people.", 1
    ).format(until="x", count=1)
    vi = I18n().translator("vi")
    assert vi._("Reports") == "Báo cáo"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_moment_is_babels_pattern_written_directly(locale: str) -> None:
    """``moment`` writes Babel's ``dd/MM/yyyy HH:mm`` itself (for speed): the same text."""
    from babel.dates import format_datetime

    tr = I18n().translator(locale)
    for when in (
        datetime(2026, 12, 20, 1, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 17, 5, tzinfo=UTC),  # the next year in Hà Nội
        datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC),
        datetime(2027, 7, 4, 0, 0, tzinfo=UTC),
    ):
        local = when.astimezone(tr.tz)
        expected = format_datetime(local, "dd/MM/yyyy HH:mm", tzinfo=tr.tz, locale=locale)
        assert tr.moment(when) == expected
