"""Values at the edges (issue 15 §5): dates outside 2000 … five years ahead are refused with the
reason wherever they are typed; sums stay exact integers on both databases at any value the
input accepts, and the entry that would carry a total past what the database adds exactly is
refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from bot import activities as acts
from bot.activities import EntryError, NewEntry
from bot.parsing import MAX_VALUE
from storage.models import Activity, ActivityRollup
from storage.queries import rollup as rollup_q
from tests.harness import Harness, actor_of, text_of, unit_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def entries(h: Harness) -> int:
    async with h.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Activity)) or 0)


async def test_log_dates_before_2000_are_refused_with_the_reason(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    before = await entries(h)
    for typed in ("01/01/0001", "15/06/0999", "31/12/1999"):
        [shortcut] = await nam.send(f"/log hoa_giai 2 {typed}")
        assert text_of(shortcut) == (
            f"“{typed}” là trước 01/01/2000: hãy kiểm tra lại năm. Gõ ngày theo dạng "
            "ngày/tháng/năm, ví dụ 16/11/2026."
        )
    [future] = await nam.send("/log hoa_giai 2 01/01/9999")
    assert text_of(future).startswith("“01/01/9999” là ngày trong tương lai.")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    for answer in ("2", "0", "120tr"):  # built, repaired, value
        await nam.send(answer)
    [guided] = await nam.send("0001-01-01")
    assert text_of(guided).startswith("“0001-01-01” là trước 01/01/2000")
    # The draft is intact: a good date goes on to the note.
    assert "Ghi chú" in text_of((await nam.send("hôm nay"))[0])
    await nam.send("/cancel")
    [saved] = await nam.send("/log hoa_giai 2 01/01/2000")
    assert text_of(saved).startswith("Đã lưu thành mục #")
    # An edit in /mine reads dates the same way.
    entry_id = text_of(saved).split("#")[1].split(".")[0]
    await nam.press_data(f"mine:e:{entry_id}")
    await nam.press("Ngày")
    assert text_of((await nam.send("1/1/0001"))[0]).startswith("“1/1/0001” là trước 01/01/2000")
    assert await entries(h) == before + 1


async def test_an_entry_outside_the_years_kept_is_refused_by_the_domain(h: Harness) -> None:
    """A draft kept from before dates were checked at input reaches the save with year 1: it is
    refused with a code the flow answers by asking the date again (it used to crash the save,
    every time, in the rollup's calendar arithmetic)."""
    async with h.db.session() as session:
        actor = await actor_of(session, 1004)
        unit = await unit_of(session, "02365-t1")
        for day in (date(1, 1, 1), date(999, 6, 15), date(9999, 12, 31)):
            entry = NewEntry(unit.id, "hoa_giai", {"cases": Decimal(2)}, day, None, None, "guided")
            with pytest.raises(EntryError) as info:
                await acts.create_entry(session, actor, entry, h.clock.now())
            assert info.value.code == "bad_date"


@pytest.mark.parametrize("rule", ["calendar", "decree09"])
async def test_periods_outside_the_years_kept_are_refused(h: Harness, rule: str) -> None:
    h.overrides["period_rule"] = rule
    await h.restart()
    lan = h.user(1002, "Lan")
    for command in ("/totals năm 9999", "/export năm 9999", "/totals quý 4 1999"):
        [answer] = await lan.send(command)
        year = command.split()[-1]
        assert text_of(answer) == (
            f"Tôi lưu số liệu cho các năm từ 2000 đến 2031; năm {year} nằm ngoài khoảng đó."
        ), command
        assert answer.document is None


async def test_amounts_at_the_maximum_sum_exactly_on_both_databases(h: Harness) -> None:
    """Ten entries at the largest accepted value: the rollup stays an exact integer (SQLite
    turned the cell into a float past 2^63, PostgreSQL failed), and /totals shows the exact sum."""
    nam = h.user(1004, "Nam")
    [refused] = await nam.send("/log nha_dai_doan_ket 1 999.999.999.999.999đ")
    assert text_of(refused) == (  # said as it is, unsaved
        "Số quá lớn. Hãy kiểm tra lại và gõ ví dụ 120tr, 1,5 tỷ hoặc 68.000.000."
    )
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    await nam.send("1")
    await nam.send("0")
    assert text_of((await nam.send("999.999.999.999.999đ"))[0]).startswith("Số quá lớn.")
    await nam.send("/cancel")
    biggest = f"{int(MAX_VALUE):,}".replace(",", ".")
    for _ in range(10):
        [saved] = await nam.send(f"/log nha_dai_doan_ket 1 {biggest}đ")
        if "lớn bất thường" in (saved.text or ""):  # above the measure's ceiling: confirmed
            saved = (await nam.press("Đúng"))[-1]
            saved = (await nam.press("Lưu"))[-1]
        assert text_of(saved).startswith("Đã lưu thành mục #"), saved.text
    async with h.db.session() as session:
        cells = (
            await session.execute(
                select(ActivityRollup.value_milli).where(ActivityRollup.measure_key == "value")
            )
        ).scalars()
        values = list(cells)
        assert values and all(type(v) is int for v in values)
        assert max(values) == 10 * int(MAX_VALUE) * 1000
        if h.db.url.startswith("sqlite"):
            kinds = await session.execute(
                text("select distinct typeof(value_milli) from activity_rollup")
            )
            assert [k for (k,) in kinds] == ["integer"]
    total = text_of((await nam.send("/totals quý này"))[0])
    assert "Xây mới 10 căn, Giá trị 100.000 tỷ đồng" in total, total


async def test_the_entry_that_would_pass_the_exact_sum_is_refused(h: Harness) -> None:
    """A total close to what the database adds exactly (here put there directly, as a hundred
    entries at the maximum would): the next entry is refused with the reason, nothing is saved."""
    async with h.db.session() as session:
        unit = await unit_of(session, "02365-t1")
        filled = rollup_q.SUM_LIMIT_MILLI - 1000
        await rollup_q.apply(
            session, unit, "nha_dai_doan_ket", {"value": filled}, date(2026, 11, 16), +1
        )
    nam = h.user(1004, "Nam")
    before = await entries(h)
    [refused] = await nam.send("/log nha_dai_doan_ket 1 2đ")
    assert text_of(refused) == (
        "Với các số này, một tổng cộng sẽ lớn đến mức không cộng chính xác được nữa. "
        "Hãy kiểm tra lại các số."
    )
    [saved] = await nam.send("/log nha_dai_doan_ket 1 1đ")
    assert text_of(saved).startswith("Đã lưu thành mục #")
    assert await entries(h) == before + 1
