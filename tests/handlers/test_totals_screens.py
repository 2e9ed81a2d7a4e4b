"""/totals on a phone (issue 16 §4), through the emulator in Vietnamese: buttons for the period,
by organisation, a sub-unit and the unit above, each editing the same message and checked on the
server; a wrong argument names the part not understood; a type by its Vietnamese name; the unit's
own entries as a row, so the rows add up; a province of a hundred communes a page at a time."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot import totals as totals_domain
from bot.demo import seed_demo_activities
from bot.periods import Period, period_containing
from handlers.text_limits import visible_length
from handlers.totals_view import PAGE_BUDGET, PAGE_ROWS
from storage.models import Activity, ActivityValue, Unit
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q
from tests.harness import Harness, actor_of, text_of, unit_of

QUARTER = Period("quarter", 2026, 4)


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    for uid, line in [
        (1004, "/log nha_dai_doan_ket 2 120tr"),
        (1004, "/log hoa_giai 3 10/11/2026"),
        (1009, "/log nha_dai_doan_ket 1 50tr"),
        (1005, "/log ket_nap 4"),
        (1002, "/log giam_sat 1"),  # logged by the commune itself, not by one of its units
    ]:
        assert text_of((await harness.user(uid, f"U{uid}").send(line))[0]).startswith("Đã lưu")
    return harness


def labels(message: object) -> list[str]:
    return [str(b["text"]) for row in message.inline_buttons for b in row]  # type: ignore[attr-defined]


async def test_buttons_change_the_view_in_the_same_message(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    [first] = await lan.send("/totals")
    assert text_of(first).startswith("Tổng hợp: Ủy ban MTTQ xã Yên Nguyên — Tháng 12/2026")
    assert {"✓ Tháng này", "Quý này", "Năm nay", "Quý trước", "Theo tổ chức"} <= set(labels(first))
    assert "⬆ Ủy ban MTTQ tỉnh Tuyên Quang" not in labels(
        first
    )  # Lan leads the commune, not the province

    [quarter] = await lan.press("Quý này")
    assert quarter.message_id == first.message_id and quarter.edited
    typed = text_of((await lan.send("/totals quý này"))[0])
    assert text_of(quarter) == typed  # the same figures as typing it
    assert "Hòa giải ở cơ sở: 3 vụ" in text_of(quarter)
    assert "✓ Quý này" in labels(quarter)

    [by_org] = await lan.press("Theo tổ chức", message=quarter)
    assert by_org.message_id == first.message_id
    assert text_of(by_org) == text_of((await lan.send("/totals quý này theo tổ chức"))[0])
    # An organisation's row opens its unit in the commune, whose totals are that row.
    [women] = await lan.press("› Hội Liên hiệp Phụ nữ xã Yên Nguyên", message=by_org)
    assert text_of(women).startswith("Tổng hợp: Hội Liên hiệp Phụ nữ xã Yên Nguyên — Quý IV/2026")
    assert "Kết nạp hội viên, đoàn viên: 4 người\n\n" in text_of(women)
    assert "Theo tổ chức" in labels(women)  # a drill-down shows the unit by its units
    [by_unit] = await lan.press("⬆ Ủy ban MTTQ xã Yên Nguyên", message=women)
    assert text_of(by_unit) == typed
    [by_org] = await lan.press("Theo tổ chức", message=by_unit)
    [by_unit] = await lan.press("Theo đơn vị", message=by_org)
    assert text_of(by_unit) == typed

    # Drill down into a residential area, and back up.
    [area] = await lan.press("› Ban Công tác Mặt trận thôn Cầu Bâm", message=by_unit)
    assert area.message_id == first.message_id
    assert text_of(area) == text_of((await lan.send("/totals quý này Cầu Bâm"))[0])
    assert "⬆ Ủy ban MTTQ xã Yên Nguyên" in labels(area)
    [back] = await lan.press("⬆ Ủy ban MTTQ xã Yên Nguyên", message=area)
    assert text_of(back) == typed

    [last] = await lan.press("Quý trước", message=back)
    assert text_of(last).startswith("Tổng hợp: Ủy ban MTTQ xã Yên Nguyên — Quý III/2026")


async def test_a_member_organisation_drills_into_its_branch(h: Harness) -> None:
    mai = h.user(
        1003, "Mai"
    )  # leads Hội Liên hiệp Phụ nữ xã Yên Nguyên: her organisation's units only
    [women] = await mai.send("/totals quý này")
    assert text_of(women).startswith("Tổng hợp: Hội Liên hiệp Phụ nữ xã Yên Nguyên — Quý IV/2026")
    assert "› Ban Công tác Mặt trận thôn Cầu Bâm" not in labels(women)
    # Her rows are her branches, named as such, not the thôn's Front committees they hang under.
    assert "\nChi hội Phụ nữ thôn Cầu Bâm\n" in text_of(women)
    assert "Ban Công tác Mặt trận" not in text_of(women)
    [branch] = await mai.press("› Chi hội Phụ nữ thôn Cầu Bâm", message=women)
    assert text_of(branch).startswith("Tổng hợp: Chi hội Phụ nữ thôn Cầu Bâm — Quý IV/2026")
    assert "Kết nạp hội viên, đoàn viên: 4 người" in text_of(branch)
    assert "Nhà Đại đoàn kết" not in text_of(branch)
    [up] = await mai.press("⬆ Hội Liên hiệp Phụ nữ xã Yên Nguyên", message=branch)
    assert text_of(up) == text_of(women)
    # A cadre sees their own unit only: no button into the units below it.
    nam = h.user(1004, "Nam")
    [own] = await nam.send("/totals quý này")
    assert not [b for b in labels(own) if b.startswith(("›", "⬆"))]


async def test_a_forged_button_for_another_commune_is_refused_with_an_alert(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    [shown] = await lan.send("/totals quý này")
    async with h.db.session() as session:
        kim_binh = await unit_of(session, "02350-t2")
        own_area = await unit_of(session, "02365-t1")
    key = QUARTER.key()
    assert await lan.press_data(f"tot:{kim_binh.id}:{key}:-:u:0", message=shown) == []
    assert lan.last_answer is not None and lan.last_answer.get("show_alert") is True
    assert lan.last_answer["text"] == (
        "Bạn chỉ xem được số liệu của đơn vị mình và các đơn vị bạn phụ trách."
    )
    for data in (
        f"tot:{own_area.id}:2026-Q9:-:u:0",
        f"tot:{own_area.id}:{key}:khong_co:u:0",
        f"tot:{own_area.id}:{key}:-:x:0",
        f"tot:{own_area.id}:9999-Y:-:u:0",
        "tot:1:2:3",
    ):
        assert await lan.press_data(data, message=shown) == [], data
        assert lan.last_answer is not None
        assert lan.last_answer["text"] == "Nút này không còn hiệu lực.", data
    # The same data for her own area shows it, in place.
    [area] = await lan.press_data(f"tot:{own_area.id}:{key}:-:u:0", message=shown)
    assert area.message_id == shown.message_id
    assert text_of(area).startswith("Tổng hợp: Ban Công tác Mặt trận thôn Cầu Bâm — Quý IV/2026")


async def test_a_wrong_argument_names_the_part_not_understood(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    bad_period = (
        "Tôi không hiểu kỳ “{}”. Hãy gõ ví dụ: tháng này, quý này, quý trước, năm nay, "
        "quý 3/2026, tháng 11/2026 hoặc năm 2026."
    )
    for command, part in (
        ("/totals quý 5", "quý 5"),
        ("/totals tháng 13 Cầu Bâm", "tháng 13"),
        ("/totals q7", "q7"),
        ("/totals nha_dai_doan_ket 31/13/2026", "31/13/2026"),
    ):
        assert text_of((await lan.send(command))[0]) == bad_period.format(part), command
    assert text_of((await lan.send("/totals nha_dai_doan_kez quý này"))[0]) == (
        "Không có loại hoạt động “nha_dai_doan_kez”. Hãy gõ tên loại "
        "(ví dụ /totals nhà đại đoàn kết) hoặc bỏ trống để xem mọi loại."
    )
    # A unit not found is still said so, naming the unit's words.
    assert text_of((await lan.send("/totals quý này Kim Bình"))[0]).startswith(
        "Không tìm thấy đơn vị “kim binh”"
    )


async def test_a_type_by_its_vietnamese_name(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    by_key = text_of((await lan.send("/totals nha_dai_doan_ket quý này"))[0])
    assert "Kết nạp" not in by_key and "Nhà Đại đoàn kết: Xây mới 2 căn" in by_key
    for words in (
        "nhà đại đoàn kết quý này",
        "quý này nha dai doan ket",
        "NHÀ ĐẠI ĐOÀN KẾT quý này",
    ):
        assert text_of((await lan.send(f"/totals {words}"))[0]) == by_key, words
    # Nothing below the thôn logged any: no breakdown repeating the total as "Trực tiếp tại".
    assert text_of((await lan.send("/totals hòa giải quý này Cầu Bâm"))[0]) == (
        "Tổng hợp: Ban Công tác Mặt trận thôn Cầu Bâm — Quý IV/2026 (15/09/2026 – 14/12/2026)\n"
        "Hòa giải ở cơ sở: 3 vụ"
    )
    [asked] = await lan.send("/totals xã hội quý này")
    assert text_of(asked).split("\n") == [
        "Bạn muốn nói loại hoạt động nào khi gõ “xã hội”? Hãy gửi lại /totals với mã của loại:",
        "• Huy động an sinh xã hội — an_sinh_xa_hoi",
        "• Phản biện xã hội — phan_bien",
        "Ví dụ: /totals an_sinh_xa_hoi",
    ]
    # The type's button brings every type back.
    [only] = await lan.send("/totals nhà đại đoàn kết quý này")
    [every] = await lan.press("Mọi loại hoạt động", message=only)
    assert text_of(every) == text_of((await lan.send("/totals quý này"))[0])


async def test_the_units_own_entries_are_a_row_and_the_rows_add_up(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    text = text_of((await lan.send("/totals quý này"))[0])
    assert "Theo đơn vị:\nTrực tiếp tại Ủy ban MTTQ xã Yên Nguyên\n  Giám sát: 1 cuộc" in text
    async with h.db.session() as session:
        for tid, code, by_org in (
            (1001, "08", False),
            (1002, "02365", False),
            (1002, "02365", True),
            (1003, "02365-phu_nu", False),
            (1004, "02365-t1", False),
        ):
            actor = await actor_of(session, tid)
            unit = await unit_of(session, code)
            for ranked in (False, True):
                result = await totals_domain.compute(
                    session, actor, unit, QUARTER, by_org=by_org, ranked=ranked
                )
                summed: dict[tuple[str, str], int] = {}
                for row in result.rows:
                    for cell, value in row.cells.items():
                        summed[cell] = summed.get(cell, 0) + value
                assert summed == result.total, (code, by_org, ranked)
                assert result.total  # there is something to add up


async def province_of_communes(h: Harness, count: int) -> dict[str, tuple[int, int, int]]:
    """``count`` communes under the demo province, commune k with 1 + k // 20 entries of Great
    Solidarity houses this quarter: {name: (entries, houses, value in đồng)}."""
    expected: dict[str, tuple[int, int, int]] = {}
    async with h.db.session() as session:
        province = await unit_of(session, "08")
        day = date(2026, 11, 20)
        for k in range(count):
            name = f"Xã Thử {k:03d}"
            commune = await units_q.add(
                session,
                code=f"t{k:03d}",
                name=name,
                kind="commune",
                org="mttq",
                parent=province,
                now=h.clock.now(),
            )
            entries = 1 + k // 20
            for n in range(entries):
                activity = Activity(
                    unit_id=commune.id,
                    type_key="nha_dai_doan_ket",
                    occurred_on=day - timedelta(days=n),
                    source="test",
                    created_at=h.clock.now(),
                    updated_at=h.clock.now(),
                    version=1,
                )
                session.add(activity)
                await session.flush()
                session.add_all(
                    [
                        ActivityValue(
                            activity_id=activity.id, measure_key="built", value_milli=1000
                        ),
                        ActivityValue(
                            activity_id=activity.id,
                            measure_key="value",
                            value_milli=(k + 1) * 1_000_000 * 1000,
                        ),
                    ]
                )
            expected[name] = (entries, entries, entries * (k + 1) * 1_000_000)
        await session.flush()
        await rollup_q.rebuild(session)
    return expected


async def test_a_province_fits_a_phone_a_page_at_a_time(h: Harness) -> None:
    expected = await province_of_communes(h, 100)
    hung = h.user(1001, "Hùng")
    replies = await hung.send("/totals nhà đại đoàn kết quý này")
    assert len(replies) == 1  # one message, not several screens
    first = replies[0]
    text = text_of(first)
    assert visible_length(first.source or "") <= PAGE_BUDGET + 100
    shown = [line for line in text.split("\n") if line.startswith("Xã Thử")]
    assert 1 <= len(shown) <= PAGE_ROWS
    # The busiest first: communes 80–99 logged five entries each, ties in name order.
    assert shown == [f"Xã Thử {k:03d}" for k in range(80, 80 + len(shown))]
    assert "Tiếp »" in labels(first) and re.search(r"\n\nTrang 1/1[01]$", text), text[-40:]
    assert f"› Xã Thử {80:03d}" in labels(first)
    # Page through the rest, in the same message: every commune exactly once, as computed.
    seen: list[str] = []
    message = first
    for _ in range(30):
        lines = text_of(message).split("\n")
        for i, line in enumerate(lines):
            if line.startswith("Xã Thử"):
                seen.append(line)
                _entries, houses, _value = expected[line]
                assert lines[i + 1].startswith(
                    f"  Nhà Đại đoàn kết: Xây mới {houses} căn, Giá trị "
                )
        if "Tiếp »" not in labels(message):
            break
        [message] = await hung.press("Tiếp »", message=message)
        assert message.message_id == first.message_id
        assert visible_length(message.source or "") <= PAGE_BUDGET + 100
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    # The figures are those of the totals as computed for export (name order, not ranked).
    async with h.db.session() as session:
        actor = await actor_of(session, 1001)
        province = await unit_of(session, "08")
        result = await totals_domain.compute(
            session, actor, province, QUARTER, type_key="nha_dai_doan_ket"
        )
        rows = {r.label_vi: r.cells for r in result.rows}
        for name, (_entries, houses, value) in expected.items():
            assert rows[name] == {
                ("nha_dai_doan_ket", "built"): houses * 1000,
                ("nha_dai_doan_ket", "value"): value * 1000,
            }
        naive = await session.scalar(
            select(func.sum(ActivityValue.value_milli))
            .join(Activity, Activity.id == ActivityValue.activity_id)
            .join(Unit, Unit.id == Activity.unit_id)
            .where(Unit.path.startswith(province.path), ActivityValue.measure_key == "value")
            .where(Activity.occurred_on.between(QUARTER.start, QUARTER.end))
            .where(Activity.deleted_at.is_(None), Activity.type_key == "nha_dai_doan_ket")
        )
        assert result.total[("nha_dai_doan_ket", "value")] == naive
    # « back to the first page, and the whole province's answer without a type stays one message.
    [back] = await hung.press("« Trước", message=message)
    assert back.message_id == first.message_id
    assert len(await hung.send("/totals quý này")) == 1
    today = h.clock.now().date()
    assert period_containing(today, "quarter") == QUARTER


async def test_a_province_whose_totals_fill_a_screen_lists_its_communes_on_the_next_page(
    h: Harness,
) -> None:
    """With the console demo's year of entries the province's totals name fifteen types: they are
    the first page alone, within a phone's screen, and its communes follow a page at a time with
    their drill-down buttons (the first page once took two screens and more)."""
    async with h.db.session() as session:
        await seed_demo_activities(session, date(2026, 11, 16), h.clock.now())
    hung = h.user(1001, "Hùng")
    [first] = await hung.send("/totals năm nay")
    text = text_of(first)
    assert visible_length(first.source or "") <= PAGE_BUDGET, text
    assert "\n\nTheo đơn vị: xem ở trang sau.\n\nTrang 1/" in text, text
    assert not [label for label in labels(first) if label.startswith("› ")]
    [second] = await hung.press("Tiếp »", message=first)
    assert text_of(second).startswith("Tổng hợp: Ủy ban MTTQ tỉnh Tuyên Quang"), text_of(second)
    assert "\nTheo đơn vị:\nỦy ban MTTQ xã " in text_of(second), text_of(second)
    assert [label for label in labels(second) if label.startswith("› Ủy ban MTTQ xã ")]
    assert visible_length(second.source or "") <= PAGE_BUDGET + 100
