"""Telegram's limits hold for every message the bot produces: lists that grow are paged, long
texts are split at line breaks, what does not fit a caption follows the file, and a notice never
fails for its own length. The emulator refuses what Telegram refuses (4,096 and 1,024 UTF-16
code units of the parsed text), and ``emu.rejected`` stays empty."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from bot import activities as acts
from bot import reports as rep
from bot.emulator import BotMessage, UserClient
from bot.emulator.entities import utf16_len
from bot.periods import Period
from storage.models import Meeting, OutboxMessage, Unit
from storage.queries import units as units_q
from tests.harness import Harness, actor_of, text_of, unit_of

#: Names that are long, full of emoji (two UTF-16 code units each) and of HTML's own characters.
WORST = 'Tổ 🌾<b>&amp;</b> "Đoàn kết" & <tiến bộ> 🇻🇳 '


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def assert_fits(messages: list[BotMessage]) -> None:
    for message in messages:
        limit = 1024 if message.document is not None or message.photo is not None else 4096
        assert utf16_len(message.text or "") <= limit, (message.message_id, limit)


def nothing_refused(h: Harness, *users: UserClient) -> None:
    """Telegram refused nothing, and nobody got the apology of a failed update."""
    assert h.emu.rejected == [], h.emu.rejected
    for user in users:
        assert not any((m.text or "").startswith("Xin lỗi") for m in user.history())


async def add_communes(h: Harness, count: int, *, name: str) -> list[str]:
    """``count`` communes under the demo province, their names ``name`` + a number."""
    async with h.db.session() as session:
        province = await unit_of(session, "08")
        return [
            (
                await units_q.add(
                    session,
                    code=f"t{n:03}",
                    name=f"{name} {n:03}",
                    kind="commune",
                    org="mttq",
                    parent=province,
                    now=h.clock.now(),
                )
            ).name
            for n in range(1, count + 1)
        ]


async def test_status_of_a_province_wide_round_is_paged(h: Harness) -> None:
    """100 communes missing a report (~6,000 characters): /status shows a page that fits, with
    a button to the next; every commune is on exactly one page."""
    names = await add_communes(h, 100, name="Xã Thử Nghiệm Vùng Cao Biên Giới")
    async with h.db.session() as session:
        template = next(
            t for t in await rep.latest_templates(session) if t.key == "quarterly_front"
        )
        await rep.open_round(
            session,
            None,
            template_row=template,
            period=Period("quarter", 2026, 4),
            root=await unit_of(session, "08"),
            deadline=datetime(2026, 12, 20, tzinfo=UTC),
            now=h.clock.now(),
            kind="commune",
        )
    hung = h.user(1001, "Hùng")  # leader of the province
    await hung.send("/start")
    [first] = await hung.send("/status")
    pages = [text_of(first)]
    assert pages[0].startswith("#1 ") and pages[0].endswith("Trang 1/2")
    assert [b["text"] for b in first.inline_buttons[0]] == ["Tiếp »"]
    [second] = await hung.press("Tiếp »", message=first)
    assert second.message_id == first.message_id and second.edited
    pages.append(text_of(second))
    assert pages[1].endswith("Trang 2/2")
    assert [b["text"] for b in second.inline_buttons[0]] == ["« Trước"]
    shown = "\n".join(pages)
    assert all(shown.count(f"• {name}:") == 1 for name in names)
    [back] = await hung.press("« Trước", message=second)
    assert text_of(back) == pages[0]
    assert_fits([first, second])
    nothing_refused(h, hung)


async def test_the_history_of_an_entry_edited_70_times_is_paged(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send('/log nha_dai_doan_ket 2 120tr "thôn 3"')
    async with h.db.session() as session:
        actor = await actor_of(session, 1004)
        for n in range(70):
            h.clock.advance(timedelta(minutes=1))
            await acts.edit_entry(
                session,
                actor,
                1,
                h.clock.now(),
                values={"built": Decimal(3 + n)},
                occurred_on=date(2026, 11, 1 + n % 15),
                note=f"lần {n}",
                change_note=True,
            )
    [first] = await nam.press_data("mine:h:1")
    texts = [text_of(first)]
    assert texts[0].startswith("Lịch sử mục #1:")
    while "Tiếp »" in [b["text"] for row in (nam.last or first).inline_buttons for b in row]:
        [page] = await nam.press("Tiếp »")
        texts.append(text_of(page))
    assert len(texts) >= 2 and texts[-1].endswith(f"Trang {len(texts)}/{len(texts)}")
    shown = "\n".join(texts)
    assert shown.count("· sửa:") == 70 and shown.count("· tạo") == 1
    assert "→ 72 căn" in texts[-1]  # the last change is on the last page
    nothing_refused(h, nam)


async def test_a_meeting_with_a_huge_agenda_invites_everyone(h: Harness) -> None:
    """A title and an agenda at their limits, in emoji (twice as long for Telegram as for
    ``len``): the review card, the organiser's answer and every invitation arrive; the
    organiser is told how many, and that many got the whole agenda."""
    people = {uid: h.user(uid, name) for uid, name in ((1002, "Lan"), (1003, "Mai"), (1004, "Nam"))}
    for user in people.values():
        await user.send("/start")
    lan = people[1002]
    title = ("🗳️" + WORST)[:200]
    agenda = ("🌾 " * 1000)[:1999] + "!"
    await lan.send("/meeting")
    await lan.press("Giao ban")
    await lan.send(title)
    await lan.send("21/12 8h30")
    await lan.press("2 giờ")
    await lan.send("Hội trường " + WORST)
    review = await lan.send(agenda)
    assert_fits(review)
    await lan.press("Tất cả đơn vị trực thuộc (9)")
    done = await lan.press("Gửi giấy mời")
    told = text_of(done[-1])
    assert told.startswith("Đã lên lịch họp: ")
    count = int(told.split("Giấy mời đang được gửi tới ")[1].split(" ")[0])
    for _ in range(20):
        report = await h.dispatch()
        assert report.failed == 0, report.errors
        if not (report.sent or report.retried):
            break
    async with h.db.session() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None and meeting.agenda == agenda
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "meeting_invite")
            )
        ).all()
    assert len(rows) == count and {r.status for r in rows} == {"sent"}
    for user in people.values():
        history = user.history()
        at = next(n for n, m in enumerate(history) if m.document is not None)
        invitation = history[at:]
        assert_fits(invitation)
        # The pieces are cut at a space: compare without the spaces.
        whole = "".join("".join(text_of(m).split()) for m in invitation)
        assert "".join(agenda.split()) in whole
        assert invitation[-1].inline_buttons[0][0]["text"] == "Tham dự"
    nothing_refused(h, *people.values())


async def test_an_export_of_a_unit_with_a_very_long_name(h: Harness) -> None:
    """A name stored before names had a maximum (only SQLite keeps one longer than its column):
    the workbook arrives, its caption holds what fits and the rest follows it."""
    if not h.db.url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses a name longer than its column")
    long_name = "Xã " + "Yên Nguyên 🌾 & <Tuyên Quang> " * 60
    async with h.db.session() as session:
        await session.execute(update(Unit).where(Unit.code == "02365").values(name=long_name))
    lan = h.user(1002, "Lan")
    sent = await lan.send("/export quý này")
    at = next(n for n, m in enumerate(sent) if m.document is not None)
    document = sent[at].document
    assert document is not None and document["file_name"].endswith("-2026-Q4.xlsx")
    whole = "".join("".join(text_of(m).split()) for m in sent[at:])
    assert "".join(long_name.split()) + "—QuýIV/2026" in whole and "0hoạtđộng" in whole
    assert_fits(sent)
    nothing_refused(h, lan)


async def test_a_name_too_long_is_refused_at_input(h: Harness) -> None:
    async with h.db.session() as session:
        with pytest.raises(units_q.UnitError, match="at most 120"):
            await units_q.add(
                session,
                code="x",
                name="Xã " + "🌾" * 118,
                kind="commune",
                org="mttq",
                parent=await unit_of(session, "08"),
                now=h.clock.now(),
            )


async def test_an_alert_naming_a_unit_at_the_longest_name_fits_and_reads_as_text(
    h: Harness,
) -> None:
    """An alert (``answerCallbackQuery``: 200 characters, no HTML) that names a unit, a report
    and a person: "save another copy?" answered once an approved report has locked the day. The
    names are at their longest, in emoji and HTML's own characters; the alert is clipped to fit
    and shows the names as text, not as ``&amp;`` and tags."""
    from bot import reports as rep_
    from bot.template_files import parse_template
    from tests.handlers.test_approval import TEMPLATE, approve, submitted_round

    async with h.db.session() as session:
        await rep_.store_template(session, parse_template(TEMPLATE), h.clock.now())
        await session.execute(
            update(Unit)
            .where(Unit.code == "02365-phu_nu")
            .values(name=(WORST * 5)[: units_q.MAX_NAME])
        )
    lan, hoa = h.user(1002, "Lan"), h.user(1005, "Hoa")
    assert text_of((await hoa.send("/log hoa_giai 1"))[0]).startswith("Đã lưu thành mục #1.")
    asked = (await hoa.send("/log hoa_giai 1"))[0]
    assert "lưu thêm một mục nữa?" in text_of(asked)
    await approve(lan, await submitted_round(h, "02365", "phu_nu", 1003))
    await hoa.press("Có, lưu thêm", message=asked)
    assert hoa.last_answer is not None and hoa.last_answer.get("show_alert")
    alert = hoa.last_answer["text"]
    assert alert.startswith("Hiện không thể ghi hoạt động ngày 16/11/2026 cho đơn vị này.")
    assert len(alert) <= 200 and alert.endswith("…")
    assert f"của {WORST}" in alert  # the name as it was typed, tags and all
    assert "&lt;" not in alert and "&amp;amp;" not in alert  # not its HTML-escaped form
    nothing_refused(h, hoa, lan)
