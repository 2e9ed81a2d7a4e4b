"""Weekly digests through the emulator: planned on Monday 07:30 for a linked group, numbers checked
against an independent sum over the raw entries, the change on the previous week, the chart, the
idempotent planner, an empty week, and the /digest preview with its refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.demo import seed_demo_round
from bot.emulator import UserClient
from bot.emulator.bot_message import BotMessage
from handlers.digest_notices import change
from storage.models import Activity, ActivityValue, Unit
from tests.harness import Harness, text_of

COMMUNE = "Ủy ban MTTQ xã Yên Nguyên"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def link_group(h: Harness) -> tuple[UserClient, int]:
    lan = h.user(1002, "Lan")
    group = h.emu.group(-100950, "MTTQ xã Yên Nguyên")
    await group.add_bot(lan)
    h.emu.set_member_status(group.id, lan.id, "administrator")
    assert text_of((await lan.send("/link", chat=group))[0]).startswith(
        f"Nhóm này đã được liên kết với {COMMUNE}."
    )
    return lan, group.id


async def naive(h: Harness, type_key: str, measure: str, start: date, end: date) -> int:
    """The commune's subtree total over [start, end], straight from the entries."""
    async with h.db.session() as session:
        root = await session.scalar(select(Unit).where(Unit.name == COMMUNE))
        assert root is not None
        total = await session.scalar(
            select(func.sum(ActivityValue.value_milli))
            .join(Activity, Activity.id == ActivityValue.activity_id)
            .join(Unit, Unit.id == Activity.unit_id)
            .where(
                Unit.path.startswith(root.path),
                Activity.type_key == type_key,
                ActivityValue.measure_key == measure,
                Activity.occurred_on.between(start, end),
                Activity.deleted_at.is_(None),
            )
        )
    return int(total or 0) // 1000


def digests_in(h: Harness, group: int, title: str = "Tổng hợp") -> list[BotMessage]:
    return [m for m in h.emu.messages(group) if (m.text or "").startswith(title)]


async def log(h: Harness, line: str) -> None:
    assert text_of((await h.user(1004, "Nam").send(line))[0]).startswith("Đã lưu")


async def test_weekly_digest_reaches_the_linked_group(h: Harness) -> None:
    _lan, group = await link_group(h)
    # Week of Monday 16/11/2026: entries on Monday, Wednesday (logged on Friday) and Friday.
    await log(h, "/log nha_dai_doan_ket 2 120tr")
    await log(h, "/log hoa_giai 4")
    await log(h, "/log hoa_giai 8 10/11/2026")  # the week before
    h.clock.set(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    await log(h, "/log nha_dai_doan_ket 1 30tr 18/11/2026")
    await log(h, "/log hoa_giai 2")

    h.clock.set(datetime(2026, 11, 23, 0, 29, tzinfo=UTC))  # Monday 07:29 local: not yet
    await h.plan_reminders()
    await h.dispatch()
    assert digests_in(h, group) == []
    h.clock.set(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))  # Monday 07:30 local
    assert await h.plan_reminders() >= 1
    assert await h.plan_reminders() == 0  # planning again queues nothing
    await h.dispatch()
    posted = digests_in(h, group)
    assert len(posted) == 1, [m.text for m in posted]
    digest = posted[0]
    # The chart arrives inline, as a photo (sendPhoto), not as a file to open.
    assert digest.photo is not None and digest.document is None
    assert digest.photo.startswith(b"\x89PNG")
    text = text_of(digest)
    assert text.startswith(f"Tổng hợp tuần: {COMMUNE}\n16/11/2026 – 22/11/2026\n")
    assert len(text) <= 1024

    week = date(2026, 11, 16), date(2026, 11, 22)
    before = date(2026, 11, 9), date(2026, 11, 15)
    built = await naive(h, "nha_dai_doan_ket", "built", *week)
    assert built == 3
    built_before = await naive(h, "nha_dai_doan_ket", "built", *before)
    cases = await naive(h, "hoa_giai", "cases", *week)
    cases_before = await naive(h, "hoa_giai", "cases", *before)
    assert (cases, cases_before) == (6, 8)

    def arrow(now: int, prior: int) -> str:
        if prior == 0:
            return "▲ mới"
        percent = round((now - prior) * 100 / prior)
        return f"▲ {percent}%" if percent > 0 else f"▼ {-percent}%" if percent else "không đổi"

    assert f"Xây mới {built} căn ({arrow(built, built_before)})" in text, text
    assert f"{cases} vụ ({arrow(cases, cases_before)})" in text, text
    assert "6 vụ (▼ 25%)" in text
    assert (
        "so với kỳ trước" in text
        and "Đơn vị có nhiều hoạt động nhất: Ban Công tác Mặt trận thôn Cầu Bâm" in text
    )

    # Nothing logged the following week: one line says so, and there is no chart.
    h.clock.set(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    await h.plan_reminders()
    await h.dispatch()
    later = digests_in(h, group)[1:]
    texts = [m.text for m in later]
    weekly = [m for m in later if text_of(m).startswith("Tổng hợp tuần")]
    assert len(later) == len(weekly) == 1, texts
    assert weekly[0].photo is None
    lines = text_of(weekly[0]).split("\n")
    assert lines[:3] == [
        f"Tổng hợp tuần: {COMMUNE}",
        "23/11/2026 – 29/11/2026",
        "Kỳ này chưa có hoạt động nào được ghi.",
    ]
    assert "Số hoạt động đã ghi" not in text_of(weekly[0])
    # Monday 30/11 is not the 1st: no monthly digest yet; on 01/12 07:30 the November one comes.
    h.clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    await h.plan_reminders()
    await h.dispatch()
    monthly = digests_in(h, group, "Tổng hợp tháng")
    assert len(monthly) == 1
    assert text_of(monthly[0]).startswith(f"Tổng hợp tháng: {COMMUNE}\n01/11/2026 – 30/11/2026\n")
    assert monthly[0].photo is not None


async def test_long_stopped_bot_does_not_flood(h: Harness) -> None:
    _lan, group = await link_group(h)
    h.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # Wednesday: Monday's digest is stale
    await h.plan_reminders()
    await h.dispatch()
    assert digests_in(h, group) == []


async def test_digest_preview_and_refusals(h: Harness) -> None:
    lan, group = await link_group(h)
    await log(h, "/log nha_dai_doan_ket 2 120tr")
    preview = (await lan.send("/digest", chat=h.emu.group(group, "")))[0]
    # Monday 16/11: the week so far is that one day.
    assert text_of(preview).startswith(f"Tổng hợp tuần: {COMMUNE}\n16/11/2026\n")
    assert preview.photo is not None and preview.photo.startswith(b"\x89PNG")
    assert "Xây mới" in text_of(preview)
    private = (await lan.send("/digest"))[0]
    assert text_of(private).startswith(f"Tổng hợp tuần: {COMMUNE}")
    nam = h.user(1004, "Nam")
    h.emu.set_member_status(group, nam.id, "member")
    assert (await nam.send("/digest", chat=h.emu.group(group, "")))[
        0
    ].text == "Chỉ lãnh đạo của đơn vị đã liên kết mới làm được việc này."
    assert (await nam.send("/digest"))[
        0
    ].text == "Chỉ lãnh đạo đơn vị mới xem trước được bản tổng hợp."
    # Nothing went through the outbox.
    assert (await h.dispatch()).sent == 0


async def test_an_open_round_is_named_as_its_report_heads_it(harness: Harness) -> None:
    """Issue 16 §5: the digest's open round reads as the report's own heading (its period said
    once, as ``bot.periods.heading`` writes it) and "hạn nộp", as reminders say it."""
    demo = await harness.seed_demo()
    async with harness.db.session() as session:  # the console demo's round of the residential areas
        assert await seed_demo_round(session, demo, harness.clock.now(), TZ)
    lan, group = await link_group(harness)
    preview = text_of((await lan.send("/digest", chat=harness.emu.group(group, "")))[0])
    assert (
        "Đợt báo cáo đang mở\n• Báo cáo quý của Ban Công tác Mặt trận khu dân cư — Quý IV/2026,"
        " hạn nộp 17/12/2026 23:59: còn thiếu "
    ) in preview, preview


async def test_preview_on_a_wednesday_compares_the_same_weekdays(h: Harness) -> None:
    """Issue 16 §4: Monday–Wednesday is compared with Monday–Wednesday of the week before, not
    with that whole week (the injectable clock on Wednesday 18/11/2026)."""
    lan, group = await link_group(h)
    await log(h, "/log hoa_giai 2 09/11/2026")  # Monday of the week before
    await log(h, "/log hoa_giai 5 13/11/2026")  # its Friday: not a day this week has had yet
    await log(h, "/log hoa_giai 4")  # Monday 16/11
    h.clock.set(datetime(2026, 11, 18, 3, 0, tzinfo=UTC))  # Wednesday 10:00 local
    await log(h, "/log hoa_giai 1")
    preview = (await lan.send("/digest", chat=h.emu.group(group, "")))[0]
    text = text_of(preview)
    assert text.startswith(f"Tổng hợp tuần: {COMMUNE}\n16/11/2026 – 18/11/2026\n"), text
    assert "so với cùng các ngày của tuần trước (09/11/2026 – 11/11/2026)" in text, text
    # 2 entries against 1 (Monday–Wednesday), 5 cases against 2: not against the whole week's 7.
    assert "Số hoạt động đã ghi: 2 (▲ 100% so với kỳ trước)" in text, text
    assert "5 vụ (▲ 150%)" in text, text
    assert preview.photo is not None
    # The Monday digest still compares whole weeks: 16–22/11 (5 cases) with 09–15/11 (7).
    h.clock.set(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    await h.plan_reminders()
    await h.dispatch()
    weekly = digests_in(h, group, "Tổng hợp tuần")[-1]  # after the preview
    assert "5 vụ (▼ 29%)" in text_of(weekly), text_of(weekly)
    assert "cùng các ngày" not in text_of(weekly)


def test_change_arrows() -> None:
    from bot.i18n import I18n

    tr = I18n().translator("vi")
    assert change(tr, 3, 2) == "▲ 50%"
    assert change(tr, 1, 4) == "▼ 75%"
    assert change(tr, 2, 2) == "không đổi"
    assert change(tr, 2, 0) == "▲ mới"
    assert change(tr, 0, 0) == ""


async def test_caption_is_shortened_to_fit(h: Harness) -> None:
    from bot import digests
    from bot.activities import catalog_kinds
    from bot.i18n import I18n
    from handlers.digest_notices import CAPTION, render

    async with h.db.session() as session:
        kinds = await catalog_kinds(session)
    unit = Unit(name=COMMUNE)
    cells = {(k.key, m.key): 123_456_000 for k in kinds for m in k.measures}
    now = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    data = digests.DigestData(
        unit=unit,
        cadence="w",
        start=date(2026, 11, 16),
        end=date(2026, 11, 22),
        kinds=kinds,
        total=cells,
        previous={},
        entries=99,
        previous_entries=0,
        top=[("Ban Công tác Mặt trận thôn Cầu Bâm", 50)],
        rounds=[
            digests.RoundLine(
                "Báo cáo quý", "Quarterly report", "2026-Q4", now, [f"Thôn {i}" for i in range(20)]
            )
        ],
        meetings=[digests.MeetingLine(f"Họp {i}", now, "Hội trường") for i in range(5)],
    )
    text = render(I18n().translator("vi"), data, CAPTION)
    assert len(text) <= CAPTION
    assert text.startswith(f"<b>Tổng hợp tuần: {COMMUNE}</b>\n16/11/2026 – 22/11/2026\n")
    assert "chỉ tiêu khác: /totals" in text
