"""The one rendering path (handlers/render.py) against Telegram's limits, with generated worst
cases: 100+ unit lines, 4,096-character fields, emoji (two UTF-16 code units each), HTML's own
characters, nested tags and lines without a space. Every text goes through the emulator, which
counts as Telegram counts; nothing may be refused and nothing may be lost.

The second half renders every message kind a leader can ask for with worst-case data: every
unit named at the maximum length in emoji and ``<&>``, 130 units under a commune, members with
long names, entries with notes at their limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from telegram import InputFile

from bot import reports as rep
from bot.emulator import BotMessage, UserClient
from bot.emulator.entities import utf16_len
from bot.emulator.parse_mode_html import parse_html
from bot.periods import Period
from handlers import render, text_limits
from handlers.common import esc
from handlers.text_limits import CAPTION_LIMIT, TEXT_LIMIT, split, visible_length
from storage.models import Person, Unit
from storage.queries import units as units_q
from tests.harness import Harness, actor_of, unit_of

#: 60 characters, 67 UTF-16 code units once parsed: emoji, HTML's characters, Vietnamese.
WORST = 'Tổ 🌾 "Đoàn kết" & <tiến bộ> 🇻🇳 Nghĩa Đô — Ban Công tác Mặt trận'


def visible(html: str) -> str:
    return parse_html(html)[0]


def squeezed(text: str) -> str:
    """The text without its spaces and line breaks: pieces are cut at those."""
    return "".join(text.split())


def worst_cases() -> dict[str, str]:
    units = "\n".join(
        f"• <b>{esc(WORST)} {n}</b>: {esc('Nguyễn Thị Lan 😀, Lê Văn Nam')}" for n in range(130)
    )
    return {
        "a 4,096-character field": "<b>Ghi chú</b>: " + esc("😀&<>" * 1024),
        "130 unit lines": f"<b>{esc(WORST)}</b>\n\n{units}",
        "one line without a space": "<i>" + "x" * 9000 + "</i>",
        "tags nested across the cuts": "<b>" + "<i>đậm nghiêng</i> " * 1500 + "</b>",
        "entities only": "&amp;" * 10000,
        "flags only": "🇻🇳" * 3000,
        "a link": '<a href="https://t.me/x">' + "liên kết " * 1000 + "</a>",
        "paragraphs": "\n\n".join(f"<b>Đoạn {n}</b>\n" + "chữ " * 300 for n in range(20)),
    }


@pytest.mark.parametrize("name", list(worst_cases()))
async def test_long_texts_arrive_whole_in_messages_that_fit(harness: Harness, name: str) -> None:
    html = worst_cases()[name]
    assert harness.app is not None
    nam = harness.user(1004, "Nam")
    await nam.send("/start")
    before = len(nam.history())
    await render.send_text(harness.app.bot, nam.id, html, render.keyboard([[("OK", "x:ok")]]))
    sent = nam.history()[before:]
    assert harness.emu.rejected == []
    assert len(sent) >= 2
    assert all(utf16_len(m.text or "") <= TEXT_LIMIT for m in sent)
    assert squeezed("".join(m.text or "" for m in sent)) == squeezed(visible(html))
    # Buttons under the last piece only.
    assert [bool(m.inline_buttons) for m in sent] == [False] * (len(sent) - 1) + [True]


@pytest.mark.parametrize("name", list(worst_cases()))
async def test_a_long_caption_follows_its_file(harness: Harness, name: str) -> None:
    html = worst_cases()[name]
    assert harness.app is not None
    nam = harness.user(1004, "Nam")
    await nam.send("/start")
    before = len(nam.history())
    await render.send_document(
        harness.app.bot, nam.id, InputFile(b"data", filename="x.txt"), caption=html
    )
    sent = nam.history()[before:]
    assert harness.emu.rejected == []
    assert sent[0].document is not None and utf16_len(sent[0].text or "") <= CAPTION_LIMIT
    assert all(m.document is None and utf16_len(m.text or "") <= TEXT_LIMIT for m in sent[1:])
    assert squeezed("".join(m.text or "" for m in sent)) == squeezed(visible(html))


pieces_of = st.lists(
    st.sampled_from(
        ["<b>", "</b>", "😀", "&amp;", "&lt;", "\n", "\n\n", " ", "Xã An Phú", "x" * 700, "🇻🇳"]
    ),
    min_size=1,
    max_size=400,
)


def balanced(parts: list[str]) -> str:
    """The generated parts with ``<b>`` balanced (never nested), as the bot's own HTML is."""
    out, open_ = [], False
    for part in parts:
        if part == "<b>":
            if open_:
                continue
            open_ = True
        elif part == "</b>":
            if not open_:
                continue
            open_ = False
        out.append(part)
    return "".join(out) + ("</b>" if open_ else "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=pieces_of, limit=st.sampled_from([64, CAPTION_LIMIT, TEXT_LIMIT]))
def test_split_keeps_every_piece_parseable_within_the_limit(parts: list[str], limit: int) -> None:
    """Without Telegram: Telegram's own parser (the emulator's) reads every piece, each fits,
    and together they say what the whole said."""
    html = balanced(parts)
    assert visible_length(html) == utf16_len(visible(html))
    pieces = split(html, limit, first=limit // 2)
    whole = visible_length(html) <= limit // 2
    for n, piece in enumerate(pieces):
        assert utf16_len(visible(piece)) <= (limit if whole or n else limit // 2)
    assert squeezed("".join(visible(p) for p in pieces)) == squeezed(visible(html))


def test_a_text_that_fits_by_its_raw_length_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Almost every message the bot sends: tags and entities only shorten what Telegram shows, so
    the raw text's UTF-16 length is enough to know it fits (2.5 µs for a saved entry's card,
    against 39 µs parsing its HTML, on every message)."""

    def parsed(_html: str) -> int:
        raise AssertionError("the HTML was parsed")

    monkeypatch.setattr(text_limits, "visible_length", parsed)
    html = "<b>Nhà Đại đoàn kết</b> &amp; 😀"
    assert split(html, 35) == [html]


# --- every message kind a leader can ask for, with worst-case data -----------------------------


async def worst_case_tree(h: Harness) -> None:
    """Every unit renamed to the longest name allowed, in emoji and ``<&>``; 130 more units
    under the commune; people with long names."""
    name = (WORST * 2)[: units_q.MAX_NAME]
    async with h.db.session() as session:
        for unit in (await session.scalars(select(Unit))).all():
            unit.name = f"{unit.id} {name}"[: units_q.MAX_NAME]
        commune = await unit_of(session, "02365")
        for n in range(130):
            await units_q.add(
                session,
                code=f"w{n:03}",
                name=f"{n} {name}"[: units_q.MAX_NAME],
                kind="residential_area",
                org="mttq",
                parent=commune,
                now=h.clock.now(),
            )
        await session.execute(
            update(Person).values(first_name="😀<&>" * 16, last_name="Nguyễn " * 9)
        )
        template = next(
            t for t in await rep.latest_templates(session) if t.key == "residential_front"
        )
        await rep.open_round(
            session,
            None,
            template_row=template,
            period=Period("quarter", 2026, 4),
            root=commune,
            deadline=datetime(2026, 12, 20, tzinfo=UTC),
            now=h.clock.now(),
            kind="residential_area",
        )


def refused_or_apologised(h: Harness, user: UserClient, sent: list[BotMessage]) -> list[str]:
    problems = [f"{method}: {error}" for method, error in h.emu.rejected]
    problems += [m.text or "" for m in sent if (m.text or "").startswith("Xin lỗi")]
    return problems


async def test_every_command_with_worst_case_data(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    await worst_case_tree(h)
    lan = h.user(1002, "Lan")  # leader of the commune
    nam = h.user(1004, "Nam")  # cadre of a residential area
    await lan.send("/start")
    await nam.send("/start")
    await nam.send(f'/log hoa_giai 2 "{"😀<&> " * 199}"')  # a note at its 1,000 characters
    commands = {
        lan: [
            "/help",
            "/me",
            "/mine",
            "/totals",
            "/totals quý này",
            "/status",
            "/meetings",
            "/meetings past",
            "/review",
            "/invite",
            "/round",
            "/cancel",
            "/meeting",
            "/cancel",
            "/export quý này",
            "/report",
            "/cancel",
            "/log",
            "/cancel",
        ],
        nam: ["/help", "/me", "/mine", "/totals", "/meetings", "/report", "/cancel"],
    }
    problems = []
    for user, lines in commands.items():
        for line in lines:
            sent = await user.send(line)
            assert sent, line
            problems += [f"{line}: {p}" for p in refused_or_apologised(h, user, sent)]
            h.emu.rejected.clear()
    # And every notice those caused (the round's announcements to 130 units' cadres, …).
    for _ in range(20):
        h.clock.advance(timedelta(seconds=5))
        report = await h.dispatch()
        problems += report.errors
        assert report.failed == 0
        if not (report.sent or report.retried):
            break
    assert problems == []


async def test_members_and_their_change_history_with_worst_case_data(harness: Harness) -> None:
    """/members' screens (issue 15 §1) with the longest names: a list of people named in emoji
    and ``<&>``, five open links, and a history of 20 changes longer than one message, which
    arrives whole in messages that fit, the Back button under the last."""
    from bot import members as mem
    from bot.onboarding import create_invite

    h = harness
    await h.seed_demo()
    await worst_case_tree(h)
    async with h.db.session() as session:
        lan_actor, cau_bam = await actor_of(session, 1002), await unit_of(session, "02365-t1")
        nam = await session.scalar(select(Person).where(Person.telegram_id == 1004))
        assert nam is not None
        for n in range(22):
            h.clock.advance(timedelta(minutes=1))
            role = "admin" if n % 2 == 0 else "cadre"
            await mem.set_role(session, lan_actor, cau_bam, nam.id, role, h.clock.now())
        for _ in range(5):
            await create_invite(
                session,
                unit=cau_bam,
                role="cadre",
                now=h.clock.now(),
                valid_for=timedelta(days=7),
                by=lan_actor,
            )
    lan = h.user(1002, "Lan")
    sent = await lan.send("/members")
    sent += await lan.press_data(f"mem:unit:u:{cau_bam.id}")
    history = await lan.press_data("mem:list:h")
    sent += history
    assert refused_or_apologised(h, lan, sent) == []
    shown = "\n".join(m.text or "" for m in history)
    assert utf16_len(shown) > TEXT_LIMIT and len(history) > 1
    assert len([line for line in shown.split("\n") if line.startswith("• ")]) == 20
    assert [[b["text"] for b in row] for row in history[-1].inline_buttons] == [["‹ Quay lại"]]
    back = await lan.press("‹ Quay lại", message=history[-1])
    assert refused_or_apologised(h, lan, back) == []


def test_every_message_and_answer_goes_through_the_rendering_path() -> None:
    """No handler answers a button, sends or edits a text itself: only ``handlers/render.py``
    does (and the outbox's sender, for its uploads of files and photos), so Telegram's limits are kept in one
    place. A direct ``query.answer(text)`` skipped the 200-character clip of alerts."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "handlers"
    direct = {"send_message", "send_document", "send_photo", "edit_message_text"}
    direct |= {"edit_message_caption", "answer_callback_query"}
    allowed = {("render.py", name) for name in direct}
    allowed |= {("sender.py", "send_document"), ("sender.py", "send_photo")}
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name, owner = node.func.attr, node.func.value
            answered = name == "answer" and (
                (isinstance(owner, ast.Name) and owner.id == "query")
                or (isinstance(owner, ast.Attribute) and owner.attr == "callback_query")
            )
            ours = isinstance(owner, ast.Name) and owner.id == "render"
            if (answered and path.name != "render.py") or (
                name in direct and not ours and (path.name, name) not in allowed
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert found == []
