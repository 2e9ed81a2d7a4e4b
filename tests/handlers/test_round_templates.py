"""Reports fit the unit that answers them (issue 16 §3), through /round in Vietnamese: a leader
is offered only the templates for units below theirs, a template's round asks only the units it is
for (no thôn is asked about "Ủy ban nhân dân cùng cấp"), a forged choice is refused saying whom
the template is for, and a deadline before the period's cut-off is opened only when confirmed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import reports as rep
from bot.emulator import UserClient
from storage.models import Report, ReportRound, ReportTemplate, Unit
from tests.harness import YES_NO_ONLY, Harness, text_of

#: Said in an alert (at most 200 characters) when the button is pressed, in a message when typed.
QUARTERLY_FOR = (
    "Mẫu “Báo cáo công tác Mặt trận quý” chỉ dành cho: Mặt trận Tổ quốc các cấp: "
    "Tỉnh / thành phố, Huyện, Xã / phường / đặc khu."
)


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def labels(message: object) -> list[str]:
    return [b["text"] for row in message.inline_buttons for b in row]  # type: ignore[attr-defined]


async def template_id(h: Harness, key: str) -> int:
    async with h.db.session() as session:
        rows = await rep.latest_templates(session)
    return next(t.id for t in rows if t.key == key)


async def test_a_commune_leader_is_offered_only_the_templates_for_units_below(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    offered = labels((await lan.send("/round"))[-1])
    # Below Ủy ban MTTQ xã Yên Nguyên: thôn (their Ban Công tác Mặt trận), the commune's member organisations
    # and the thôn's Women's Union branches; no commune Front committee, hence no commune report.
    assert offered == [
        "Báo cáo quý của Ban Công tác Mặt trận khu dân cư (v1)",
        "Báo cáo công tác Hội Liên hiệp Phụ nữ quý (v1)",
    ]
    hung = h.user(1001, "Hùng")
    assert sorted(labels((await hung.send("/round"))[-1])) == [
        "Báo cáo công tác Hội Liên hiệp Phụ nữ quý (v1)",
        "Báo cáo công tác Mặt trận quý (v3)",
        "Báo cáo quý của Ban Công tác Mặt trận khu dân cư (v1)",
        "Báo cáo sơ kết công tác Mặt trận 6 tháng (v1)",
        "Báo cáo tổng kết công tác Mặt trận năm (v1)",
    ]


async def test_a_forged_template_button_is_refused_saying_whom_it_is_for(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    quarterly = await template_id(h, "quarterly_front")
    await lan.press_data(f"rnd:template:t:{quarterly}")
    assert lan.last_answer is not None
    assert (lan.last_answer["text"], lan.last_answer["show_alert"]) == (QUARTERLY_FOR, True)
    async with h.db.session() as session:
        assert (await session.scalars(select(ReportRound))).first() is None


async def test_the_quarterly_round_asks_only_the_communes_front_committees(h: Harness) -> None:
    hung = h.user(1001, "Hùng")
    await hung.send("/round")
    await hung.press("Báo cáo công tác Mặt trận quý (v3)")
    await hung.press("Quý IV/2026")
    targets = (await hung.press("Ủy ban MTTQ tỉnh Tuyên Quang"))[-1]
    # Every residential area is below too, but the quarterly report is not theirs.
    assert labels(targets) == ["Các đơn vị trực thuộc", "Mọi đơn vị cấp: Xã / phường / đặc khu"]
    # A level the template is not for, pressed from an old or forged keyboard, is refused.
    await hung.press_data("rnd:targets:k:residential_area", message=targets)
    assert hung.last_answer is not None
    assert (hung.last_answer["text"], hung.last_answer["show_alert"]) == (QUARTERLY_FOR, True)
    orgs = (await hung.press("Mọi đơn vị cấp: Xã / phường / đặc khu", message=targets))[-1]
    assert labels(orgs) == ["Mọi tổ chức"]
    await hung.press("Mọi tổ chức")
    done = text_of((await hung.send("20/12/2026"))[0])
    async with h.db.session() as session:
        asked = (await session.scalars(select(Unit).join(Report, Report.unit_id == Unit.id))).all()
    assert asked and {(u.kind, u.org) for u in asked} == {("commune", "mttq")}
    assert done.startswith(f"Đã mở đợt #1: Quý IV/2026, {len(asked)} đơn vị, hạn nộp 20/12/2026")


async def test_a_round_of_the_residential_report_asks_no_womens_union_branch(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    await lan.press("Báo cáo quý của Ban Công tác Mặt trận khu dân cư (v1)")
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    assert labels((await lan.press("Mọi đơn vị cấp: Khu dân cư"))[-1]) == ["Mọi tổ chức"]
    await lan.press("Mọi tổ chức")
    done = text_of((await lan.send("20/12/2026"))[0])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 3 đơn vị, hạn nộp 20/12/2026")
    async with h.db.session() as session:
        asked = (await session.scalars(select(Unit).join(Report, Report.unit_id == Unit.id))).all()
    assert {(u.kind, u.org) for u in asked} == {("residential_area", "mttq")}


async def to_the_deadline(lan: UserClient) -> None:
    """/round of the residential areas' report for Quý IV/2026, every thôn: up to its deadline."""
    await lan.send("/round")
    await lan.press("Báo cáo quý của Ban Công tác Mặt trận khu dân cư (v1)")
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Các đơn vị trực thuộc")
    await lan.press("Mọi tổ chức")


async def test_a_deadline_before_the_cut_off_asks_first(h: Harness) -> None:
    """Quý IV/2026 runs to 14/12 (Decree 09's cut-off): due 10/12, the thôn would report before
    the quarter is over. The leader is told so and may choose another day or confirm."""
    lan = h.user(1002, "Lan")
    await to_the_deadline(lan)
    warning = (await lan.send("10/12/2026"))[-1]
    assert text_of(warning) == (
        "Hạn nộp 10/12/2026 sớm hơn ngày kết thúc Quý IV/2026 (14/12/2026, thời gian chốt số "
        "liệu): các đơn vị sẽ phải báo cáo trước khi hết kỳ. Vẫn mở đợt với hạn nộp này?"
    )
    assert labels(warning) == ["Vẫn mở với hạn này", "Chọn hạn nộp khác"]
    async with h.db.session() as session:
        assert (await session.scalars(select(ReportRound))).first() is None
    again = (await lan.press("Chọn hạn nộp khác"))[-1]
    assert text_of(again).startswith("Hạn nộp?")
    await lan.send("11/12")
    done = text_of((await lan.press("Vẫn mở với hạn này"))[-1])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 3 đơn vị, hạn nộp 11/12/2026 23:59.")


async def test_the_early_deadline_question_takes_a_typed_yes_or_no(h: Harness) -> None:
    """ "không" typed is "Choose another deadline", "có" is "Open with this deadline"; other
    words keep the question (issue 16 §4)."""
    lan = h.user(1002, "Lan")
    await to_the_deadline(lan)
    assert text_of((await lan.send("10/12/2026"))[-1]).endswith("Vẫn mở đợt với hạn nộp này?")
    assert (await lan.send("để xem"))[0].text == YES_NO_ONLY
    assert text_of((await lan.send("không"))[-1]).startswith("Hạn nộp?")
    await lan.send("11/12")
    done = text_of((await lan.send("có"))[-1])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 3 đơn vị, hạn nộp 11/12/2026 23:59.")


async def test_a_deadline_after_the_cut_off_opens_without_asking(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    await lan.press("Báo cáo công tác Hội Liên hiệp Phụ nữ quý (v1)")
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Mọi đơn vị cấp: Khu dân cư")
    await lan.press("Mọi tổ chức")
    done = text_of((await lan.send("14/12/2026"))[0])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 3 đơn vị, hạn nộp 14/12/2026 23:59.")
    async with h.db.session() as session:
        template = await session.scalar(
            select(ReportTemplate).join(ReportRound, ReportRound.template_id == ReportTemplate.id)
        )
    assert template is not None and template.key == "womens_union_quarterly"


async def test_a_thon_leader_is_offered_only_the_womens_union_report(h: Harness) -> None:
    """Below Thôn Cầu Bâm is only its Women's Union branch; below that branch, nothing."""
    await h.grant(1004, "02365-t1", "admin")
    nam = h.user(1004, "Nam")
    assert labels((await nam.send("/round"))[-1]) == [
        "Báo cáo công tác Hội Liên hiệp Phụ nữ quý (v1)"
    ]
    await h.grant(1005, "02365-t1-phu_nu", "admin")
    hoa = h.user(1005, "Hoa")
    none = (await hoa.send("/round"))[-1]
    assert text_of(none) == (
        "Không có mẫu báo cáo nào dành cho các đơn vị trực thuộc đơn vị của bạn."
    )
    assert not none.inline_buttons


async def test_the_communes_womens_union_leader_asks_its_thon_branches(h: Harness) -> None:
    """The thôn branches hang under each thôn's Front committee, not under the commune's union:
    its leader still oversees them (her scope is her organisation in her commune) and opens
    the Women's Union report for them."""
    mai = h.user(1003, "Mai")
    assert labels((await mai.send("/round"))[-1]) == [
        "Báo cáo công tác Hội Liên hiệp Phụ nữ quý (v1)"
    ]
    await mai.press("Báo cáo công tác Hội Liên hiệp Phụ nữ quý (v1)")
    await mai.press("Quý IV/2026")
    await mai.press("Hội Liên hiệp Phụ nữ xã Yên Nguyên")
    await mai.press("Các đơn vị trực thuộc")
    await mai.press("Mọi tổ chức")
    done = text_of((await mai.send("20/12/2026"))[0])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 3 đơn vị, hạn nộp 20/12/2026")
    async with h.db.session() as session:
        asked = (await session.scalars(select(Unit).join(Report, Report.unit_id == Unit.id))).all()
    assert {(u.kind, u.org) for u in asked} == {("residential_area", "phu_nu")}
    assert all(u.code.startswith("02365-") for u in asked)
    hoa = h.user(1005, "Hoa")
    assert text_of((await hoa.send("/report"))[0]).startswith(
        "Báo cáo công tác Hội Liên hiệp Phụ nữ Quý IV/2026 · Chi hội Phụ nữ thôn Cầu Bâm"
    )
