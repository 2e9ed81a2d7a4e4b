"""/totals through the emulator: every argument form, the subtree and organisation rules, and the
numbers checked against an independent sum over the raw entries."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from storage.models import Activity, ActivityValue, Unit
from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    for uid, line in [
        (1004, "/log nha_dai_doan_ket 2 120tr"),
        (1004, "/log hoa_giai 3 10/11/2026"),
        (1009, "/log nha_dai_doan_ket 1 50tr"),
        (1005, "/log ket_nap 4"),
    ]:
        assert text_of((await harness.user(uid, f"U{uid}").send(line))[0]).startswith("Đã lưu")
    return harness


async def naive(h: Harness, code: str, type_key: str, measure: str, start: str, end: str) -> int:
    async with h.db.session() as session:
        root = await session.scalar(select(Unit).where(Unit.code == code))
        assert root is not None
        total = await session.scalar(
            select(func.sum(ActivityValue.value_milli))
            .join(Activity, Activity.id == ActivityValue.activity_id)
            .join(Unit, Unit.id == Activity.unit_id)
            .where(
                Unit.path.startswith(root.path),
                Activity.type_key == type_key,
                ActivityValue.measure_key == measure,
            )
            .where(Activity.occurred_on.between(date.fromisoformat(start), date.fromisoformat(end)))
            .where(Activity.deleted_at.is_(None))
        )
    return int(total or 0) // 1000


async def test_commune_leader_default_month_and_quarter(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    month = text_of((await lan.send("/totals"))[0])
    assert month.startswith(
        "Tổng hợp: Ủy ban MTTQ xã Yên Nguyên — Tháng 12/2026 (15/11/2026 – 14/12/2026)"
    )
    assert "Nhà Đại đoàn kết: Xây mới 2 căn, Giá trị 120 triệu đồng" in month
    assert "Kết nạp hội viên, đoàn viên: 4 người" in month
    assert "Hòa giải" not in month  # 10/11 belongs to Tháng 11 under Decree 09
    assert (
        "Theo đơn vị:\nBan Công tác Mặt trận thôn Cầu Bâm\n  Nhà Đại đoàn kết: Xây mới 2 căn, Giá trị 120 triệu đồng\n  Kết nạp hội viên, đoàn viên: 4 người"
        in month
    )
    quarter = text_of((await lan.send("/totals quy 4"))[0])
    assert "Hòa giải ở cơ sở: 3 vụ" in quarter and "Quý IV/2026" in quarter
    only_houses = text_of((await lan.send("/totals nha_dai_doan_ket quý này"))[0])
    assert "Nhà Đại đoàn kết" in only_houses and "Kết nạp" not in only_houses
    november = text_of((await lan.send("/totals Tháng 11/2026"))[0])
    assert "Hòa giải ở cơ sở: 3 vụ" in november and "Nhà Đại đoàn kết" not in november


async def test_by_organisation_and_by_unit_name(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    by_org = text_of((await lan.send("/totals Quý IV/2026 theo tổ chức"))[0])
    assert "Theo tổ chức:\nMặt trận Tổ quốc\n  Nhà Đại đoàn kết: Xây mới 2 căn" in by_org
    assert by_org.endswith("Hội Liên hiệp Phụ nữ\n  Kết nạp hội viên, đoàn viên: 4 người")
    thon = text_of((await lan.send("/totals quý này cau bam"))[0])
    assert thon.startswith("Tổng hợp: Ban Công tác Mặt trận thôn Cầu Bâm — Quý IV/2026")
    refused = text_of((await lan.send("/totals quy nay kim binh"))[0])
    assert refused.startswith("Không tìm thấy đơn vị “kim binh” trong các đơn vị của bạn.")


async def test_province_numbers_match_an_independent_sum(h: Harness) -> None:
    hung = h.user(1001, "Hùng", language_code="en")
    text = text_of((await hung.send("/totals q4 2026"))[0])
    built = await naive(h, "08", "nha_dai_doan_ket", "built", "2026-09-15", "2026-12-14")
    value = await naive(h, "08", "nha_dai_doan_ket", "value", "2026-09-15", "2026-12-14")
    assert (built, value) == (3, 170_000_000)
    assert text.startswith(
        "Totals: Ủy ban MTTQ tỉnh Tuyên Quang — Q4 2026 (15/09/2026 – 14/12/2026)"
    )
    assert 'Great Solidarity" houses: Built 3 houses, Value 170 million đồng' in text
    # The busiest sub-unit first (issue 16 §4): Yên Nguyên logged three entries, Kim Bình one.
    assert text.endswith(
        'New members admitted: 4 people\nỦy ban MTTQ xã Kim Bình\n  "Great Solidarity" houses: Built 1 house, Value 50 million đồng'
    )
    assert "By unit:\nỦy ban MTTQ xã Yên Nguyên\n" in text


async def test_scope_rules_for_cadres_and_member_organisations(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    own = text_of((await nam.send("/totals quý này"))[0])
    assert own.startswith("Tổng hợp: Ban Công tác Mặt trận thôn Cầu Bâm — Quý IV/2026")
    # The residential area's Front committee covers every organisation in it.
    # What the area logged itself is a row of its own (issue 16 §4): the rows add up.
    assert own.endswith(
        "Theo đơn vị:\nTrực tiếp tại Ban Công tác Mặt trận thôn Cầu Bâm\n"
        "  Nhà Đại đoàn kết: Xây mới 2 căn, Giá trị 120 triệu đồng\n"
        "  Hòa giải ở cơ sở: 3 vụ\n"
        "Chi hội Phụ nữ thôn Cầu Bâm\n  Kết nạp hội viên, đoàn viên: 4 người"
    )
    assert text_of((await nam.send("/totals quý này Kim Bình"))[0]).startswith(
        "Không tìm thấy đơn vị “kim binh”"
    )
    mai = h.user(1003, "Mai")  # leads Hội Liên hiệp Phụ nữ xã Yên Nguyên: her organisation only
    women = text_of((await mai.send("/totals quý này"))[0])
    assert women.startswith("Tổng hợp: Hội Liên hiệp Phụ nữ xã Yên Nguyên — Quý IV/2026")
    assert "Kết nạp hội viên, đoàn viên: 4 người" in women and "Nhà Đại đoàn kết" not in women
    # Her union's own entries are a row of their own, first, said as such: the union hangs under
    # the commune's Front committee, but its row is what it logged itself.
    assert text_of((await mai.send("/log tuyen_truyen 1 30"))[0]).startswith("Đã lưu")
    women = text_of((await mai.send("/totals quý này"))[0])
    assert women.endswith(
        "Theo đơn vị:\nTrực tiếp tại Hội Liên hiệp Phụ nữ xã Yên Nguyên\n"
        "  Tuyên truyền, vận động: 1 buổi, 30 lượt người\n"
        "Chi hội Phụ nữ thôn Cầu Bâm\n  Kết nạp hội viên, đoàn viên: 4 người"
    ), women
    assert text_of((await nam.send("/totals năm 2020"))[0]).endswith(
        "Kỳ này chưa có hoạt động nào được ghi."
    )
    stranger = h.user(2501, "Khách")
    assert text_of((await stranger.send("/totals"))[0]).startswith("Bạn chưa thuộc đơn vị nào.")


async def test_menu_button_opens_totals(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    assert text_of((await lan.send("Tổng hợp"))[0]).startswith(
        "Tổng hợp: Ủy ban MTTQ xã Yên Nguyên — Tháng 12/2026"
    )
