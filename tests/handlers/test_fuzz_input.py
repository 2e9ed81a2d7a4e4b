"""Hostile text everywhere (issue 7, Security): random Unicode with ``<``, ``&``, control characters,
huge numbers and 5000-character strings, through the parsers and through the handlers via the
emulator. The emulator parses HTML like Telegram and rejects bad markup or over-long texts, so
``emu.rejected`` staying empty means every message the bot sent would be accepted by Telegram;
no error may be logged either (the bot never crashes on input)."""

from __future__ import annotations

import contextlib
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.date_parsing import parse_date
from bot.emulator.entities import EntityParseError
from bot.emulator.formatting import parse_text
from bot.meeting_time import TimeParseError, parse_meeting_time
from bot.onboarding import parse_duration
from bot.parsing import ParseError
from bot.periods import PeriodOutOfRange, parse_period
from handlers.common import esc
from handlers.totals import parse_args
from storage.queries import units as units_q
from storage.text import nfc
from tests.harness import Harness

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SPECIAL = [
    "<",
    ">",
    "&",
    "&amp;",
    "&#x0;",
    "<b>",
    "</i>",
    '<a href="javascript:x">',
    "<tg-spoiler>",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "😀",
    "9" * 60,
    "1e309",
    "-0",
    "NaN",
    "ｔỷ",
]
nasty = st.one_of(
    st.text(min_size=1, max_size=200),
    st.lists(st.sampled_from(SPECIAL) | st.text(max_size=5), min_size=1, max_size=12).map("".join),
    st.text(min_size=1, max_size=3).map(lambda s: (s * 5000)[:5000]),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
).filter(lambda s: s.strip() != "")

TODAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 8, 30, tzinfo=TZ)


@settings(max_examples=150, deadline=None)
@given(text=nasty)
def test_parsers_raise_only_their_own_errors(text: str) -> None:
    for parse in (
        lambda: parse_date(text, TODAY),
        lambda: parse_period(text, TODAY),
        lambda: parse_meeting_time(text, NOW, TZ),
        lambda: parse_duration(text),
    ):
        with contextlib.suppress(ParseError, TimeParseError, ValueError):
            parse()
    try:
        type_key, _period, unit_text, _ = parse_args(text, [], TODAY, "decree09")
    except PeriodOutOfRange:  # "0000": a period named right, outside the years kept
        return
    assert type_key is None and isinstance(unit_text, str)


@settings(max_examples=150, deadline=None)
@given(text=nasty)
def test_escaped_text_is_always_valid_telegram_html(text: str) -> None:
    html = f"<b>{esc(text)}</b> {esc(text)}"
    try:
        plain, _ = parse_text(html, "HTML")
    except EntityParseError as exc:  # pragma: no cover - the property under test
        raise AssertionError(f"escaped text rejected: {exc}") from exc
    assert plain == f"{text} {text}"


def _check_clean(h: Harness, caplog: pytest.LogCaptureFixture, what: str) -> None:
    assert h.emu.rejected == [], f"{what}: Telegram would refuse {h.emu.rejected}"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], f"{what}: {errors}"


FUZZ = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def fuzz(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def test_the_emulator_rejects_what_telegram_rejects(harness: Harness) -> None:
    """The fuzz tests rely on this: unescaped user text in HTML is an error, recorded."""
    assert harness.app is not None
    harness.user(1004, "Nam")
    for bad in ("a < b", "<b>x", "x" * 4097):
        with contextlib.suppress(Exception):
            await harness.app.bot.send_message(1004, bad)
    assert [m for m, _ in harness.emu.rejected] == ["sendMessage"] * 3
    assert "can't parse entities" in harness.emu.rejected[0][1]


@FUZZ
@given(text=nasty)
async def test_cadre_text_through_log_totals_and_free_text(
    fuzz: Harness, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    h = fuzz
    nam = h.user(1004, "Nam")
    with caplog.at_level(logging.INFO):
        for message in (
            f"/log {text}",
            f'/log hoa_giai 2 "{text}"',
            f"/log hoa_giai {text}",
            f"/totals {text}",
            f"/status {text}",
            f"/language {text}",
            text,
            "/cancel",
        ):
            await nam.send(message)
        # A note typed at the note step of the guided flow, and the review card that shows it.
        await nam.send("/log")
        await nam.press_data("log:t:hoa_giai")
        await nam.send("2")
        await nam.send("hôm nay")
        await nam.send(text)
        await nam.send("/cancel")
    _check_clean(h, caplog, repr(text))


@FUZZ
@given(text=nasty)
async def test_leader_text_through_meetings_and_rounds(
    fuzz: Harness, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    h = fuzz
    lan = h.user(1002, "Lan")
    with caplog.at_level(logging.INFO):
        await lan.send("/meeting")
        await lan.press_data("mts:~:new")  # start over a draft an earlier example kept
        await lan.press_data("mts:kind:k:0")
        await lan.send(text)  # the title
        await lan.send(text)  # the time
        await lan.send("/cancel")
        await lan.send("/round")
        await lan.send(text)
        await lan.send("/cancel")
        await lan.send(f"/export {text}")
        await lan.send(f"/start {text}")
    _check_clean(h, caplog, repr(text))


@FUZZ
@given(name=nasty, unit_name=nasty)
async def test_hostile_names_of_people_and_units_are_escaped(
    fuzz: Harness, caplog: pytest.LogCaptureFixture, name: str, unit_name: str
) -> None:
    h = fuzz
    # A unit's name is one line of at most MAX_NAME characters (issue 15): what units_q.add takes.
    unit_name = unit_name.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    unit_name = nfc(unit_name)[: units_q.MAX_NAME]
    # A unit needs a name once stored text drops NULs ("\x00" alone is refused by units_q.add).
    assume(nfc(unit_name.strip()) != "")
    async with h.db.session() as session:
        parent = await units_q.by_code(session, "02365-t1")
        count = len(await units_q.children(session, parent.id)) if parent else 0
        await units_q.add(
            session,
            code=f"fuzz-{count}",
            name=unit_name,
            kind="residential_area",
            org="thanh_nien",
            parent=parent,
            now=h.clock.now(),
        )
    stranger = h.user(5000 + len(h.emu.calls) % 1000, name[:64], last_name=name[:64])
    lan = h.user(1002, "Lan")
    with caplog.at_level(logging.INFO):
        await stranger.send("/start")
        await stranger.send("/me")
        await lan.send("/totals 02365-t1")
        await lan.send("/invite")
        await lan.press_data(f"inv:unit:o:{parent.id if parent else 0}:0")
        await lan.send("/cancel")
    _check_clean(h, caplog, repr((name, unit_name)))


async def test_nul_characters_are_dropped_not_fatal(
    fuzz: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz tests on PostgreSQL, whose text columns refuse NUL: a note, a meeting
    title and a person's name with NUL used to crash the update (SQLite stored them)."""
    h = fuzz
    nam = h.user(1004, "Nam\x00", last_name="Lê\x00Văn")
    lan = h.user(1002, "Lan")
    with caplog.at_level(logging.INFO):
        for command in ("/totals", "/export"):  # searched for as a unit name
            assert (await nam.send(f"{command} Cầu\x00 Bâm"))[0].text
        [saved] = await nam.send('/log hoa_giai 2 "thôn\x003"')
        assert "Ghi chú: thôn3" in (saved.text or "")
        assert "Nam" in ((await nam.send("/me"))[0].text or "")
        await lan.send("/meeting")
        await lan.press_data("mts:kind:k:0")
        [asked] = await lan.send("Giao\x00 ban")
        assert asked.text and asked.text.startswith("Khi nào bắt đầu?")
    _check_clean(h, caplog, "NUL")
