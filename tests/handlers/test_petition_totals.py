"""``/totals kiến nghị`` (issue 17) through the emulator: counts by status, category and authority,
the share answered on time and the median days to answer agree with the items; the "Kiến nghị"
button of /totals opens the same view in place and its period buttons work; the scope is /totals'
(another commune's item is not counted, another commune's view is refused); English too."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median

import pytest
from sqlalchemy import select

from bot.periods import Period
from storage.models import Petition
from tests.handlers.test_totals_screens import labels
from tests.harness import Harness, text_of, unit_of
from tests.petition_items import make_item

#: November as the Front counts it (figures cut off on the 14th): 15/10–14/11/2026.
NOVEMBER = Period("month", 2026, 11)
UBND = "02365-ubnd"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    async with harness.db.session() as s:
        await make_item(s, status="recorded", received_on=date(2026, 11, 2))
        await make_item(  # answered in 6 days, on time
            s,
            status="answered",
            received_on=date(2026, 11, 3),
            authority=UBND,
            forwarded_on=date(2026, 11, 4),
            answered_on=date(2026, 11, 10),
            category="moi_truong",
        )
        await make_item(  # answered in 15 days, after its due date
            s,
            status="closed",
            received_on=date(2026, 11, 5),
            authority=UBND,
            forwarded_on=date(2026, 11, 5),
            due_on=date(2026, 11, 10),
            answered_on=date(2026, 11, 20),
            closed_on=date(2026, 11, 21),
            rating="satisfactory",
        )
        await make_item(  # overdue now
            s,
            status="acknowledged",
            received_on=date(2026, 11, 6),
            authority=UBND,
            forwarded_on=date(2026, 11, 6),
            due_on=date(2026, 11, 10),
            category="dat_dai",
        )
        await make_item(
            s, status="declined", received_on=date(2026, 11, 7), category="an_sinh", place="02365"
        )
        await make_item(s, status="recorded", received_on=date(2026, 10, 10))  # before November
        await make_item(  # another commune's
            s,
            status="recorded",
            received_on=date(2026, 11, 3),
            place="02350-t2",
            front="02350",
            recorder=1009,
        )
    harness.clock.set(harness.clock.now() + timedelta(days=10))  # 26/11/2026
    return harness


VIEW = (
    "Kiến nghị: Ủy ban MTTQ xã Yên Nguyên — Tháng 11/2026 (15/10/2026 – 14/11/2026)\n"
    "Tiếp nhận: 5\n"
    "Theo trạng thái: Mới 1, Đã tiếp nhận 1, Đã trả lời 1, Đã kết thúc 1, Không tiếp nhận 1\n"
    "Theo lĩnh vực: Đất đai 1, Môi trường 1, Hạ tầng – giao thông 2, An sinh – chính sách 1\n"
    "Chuyển đến: UBND xã Yên Nguyên 3\n"
    "Trả lời đúng hạn: 1/2 (50%)\n"
    "Thời gian trả lời (trung vị): 10,5 ngày\n"
    "Đang quá hạn:\n"
    "• UBND xã Yên Nguyên: 1 quá hạn"
)


async def test_the_view_agrees_with_the_items(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    [shown] = await lan.send("/totals kiến nghị tháng 11/2026")
    assert text_of(shown) == VIEW
    # The same figures straight from the items of the commune's subtree in November.
    async with h.db.session() as s:
        commune = await unit_of(s, "02365")
        rows = [
            p
            for p in (await s.scalars(select(Petition))).all()
            if date(2026, 10, 15) <= p.received_on <= date(2026, 11, 14)
            and (await unit_of_id(s, p.unit_id)).startswith(commune.path)
        ]
    assert len(rows) == 5
    answered = [p for p in rows if p.answered_at is not None]
    assert len(answered) == 2
    assert (
        median(
            (p.answered_at.date() - p.forwarded_at.date()).days  # type: ignore[union-attr]
            for p in answered
        )
        == 10.5
    )
    # Without diacritics, in English words, as typed by a hurried cadre: the same view.
    for typed in ("/totals kien nghi thang 11/2026", "/totals petitions tháng 11/2026 02365"):
        assert text_of((await lan.send(typed))[0]) == VIEW, typed


async def unit_of_id(s: object, unit_id: int) -> str:
    from storage.models import Unit

    unit = await s.get(Unit, unit_id)  # type: ignore[attr-defined]
    assert unit is not None
    return str(unit.path)


async def test_the_button_opens_it_in_place_and_periods_change_it(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    [first] = await lan.send("/totals tháng 11/2026")
    assert "Kiến nghị" in labels(first)
    [view] = await lan.press("Kiến nghị", message=first)
    assert view.message_id == first.message_id and text_of(view) == VIEW
    assert {"Tháng này", "Quý này", "Năm nay", "Quý trước", "Hoạt động"} <= set(labels(view))
    [quarter] = await lan.press("Quý này", message=view)
    assert text_of(quarter).startswith(
        "Kiến nghị: Ủy ban MTTQ xã Yên Nguyên — Quý IV/2026 (15/09/2026 – 14/12/2026)\n"
        "Tiếp nhận: 6\n"
    )
    [back] = await lan.press("Hoạt động", message=quarter)
    assert text_of(back).startswith("Tổng hợp: Ủy ban MTTQ xã Yên Nguyên — Quý IV/2026")


async def test_scope_and_an_empty_period(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    [shown] = await lan.send("/totals kiến nghị tháng 9/2026")
    assert text_of(shown).endswith("Không có kiến nghị nào được tiếp nhận trong kỳ này.")
    async with h.db.session() as s:
        kim_binh = await unit_of(s, "02350")
    assert await lan.press_data(f"tot:{kim_binh.id}:{NOVEMBER.key()}:~kn:u:0", message=shown) == []
    assert lan.last_answer is not None and lan.last_answer.get("show_alert") is True
    # A thôn's cadre sees the counts of their own area (no names, no texts).
    nam = h.user(1004, "Nam")
    text = text_of((await nam.send("/totals kiến nghị tháng 11/2026"))[0])
    assert text.startswith("Kiến nghị: Ban Công tác Mặt trận thôn Cầu Bâm — Tháng 11/2026")
    assert "Tiếp nhận: 4\n" in text


async def test_in_english(h: Harness) -> None:
    anna = h.user(1011, "Anna", language_code="en")
    await anna.send("/start")
    async with h.db.session() as s:
        await make_item(
            s,
            status="answered",
            received_on=date(2026, 11, 3),
            place="02350-t1",
            front="02350",
            authority="02350-ubnd",
            recorder=1011,
            forwarder=1008,
            forwarded_on=date(2026, 11, 3),
            answered_on=date(2026, 11, 13),
            category="y_te_giao_duc",
        )
    text = text_of((await anna.send("/totals petitions november 2026"))[0])
    assert text == (
        "Recommendations: Ban Công tác Mặt trận thôn Nà Ngà — November 2026 (15/10/2026 – 14/11/2026)\n"
        "Received: 1\n"
        "By status: Answered 1\n"
        "By category: Health and education 1\n"
        "Forwarded to: UBND xã Kim Bình 1\n"
        "Answered on time: 1 of 1 (100%)\n"
        "Median time to answer: 10 days"
    )
