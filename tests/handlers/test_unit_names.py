"""/totals and /export name a unit by its code or name: an exact one wins, a part of a name that
several units share is asked about, never guessed (issue 15 §4; the rules: bot/unit_search.py)."""

from __future__ import annotations

import pytest

from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def test_a_letter_asks_which_unit_instead_of_guessing(h: Harness) -> None:
    lan = h.user(1002, "Lan")  # leads Ủy ban MTTQ xã Yên Nguyên: "p" is in five of her units' names
    asked = text_of((await lan.send("/totals quý này P"))[0])
    assert asked == (
        "Bạn muốn nói đơn vị nào khi gõ “p”? Hãy gửi lại /totals với mã của đơn vị:\n"
        "• Hội Liên hiệp Phụ nữ xã Yên Nguyên — 02365-phu_nu\n"
        "• Ban Công tác Mặt trận thôn Phú Lâm — 02365-t3\n"
        "• Chi hội Phụ nữ thôn Cầu Bâm — 02365-t1-phu_nu\n"
        "• Chi hội Phụ nữ thôn Đồng Mán — 02365-t2-phu_nu\n"
        "• Chi hội Phụ nữ thôn Phú Lâm — 02365-t3-phu_nu\n"
        "Ví dụ: /totals 02365-phu_nu"
    )
    assert text_of((await lan.send("/totals quý này 02365-t3"))[0]).startswith(
        "Tổng hợp: Ban Công tác Mặt trận thôn Phú Lâm — Quý IV/2026"
    )
    # Whole words shared by a place and the units inside it mean the place.
    assert text_of((await lan.send("/totals quý này Phú Lâm"))[0]).startswith(
        "Tổng hợp: Ban Công tác Mặt trận thôn Phú Lâm — Quý IV/2026"
    )
    [export] = await lan.send("/export quý này p")
    assert export.document is None
    assert text_of(export).startswith("Bạn muốn nói đơn vị nào khi gõ “p”? Hãy gửi lại /export")


async def test_the_province_leader_gets_a_short_list_in_english(h: Harness) -> None:
    hung = h.user(1001, "Hùng", language_code="en")
    asked = text_of((await hung.send("/totals P"))[0]).split("\n")
    assert asked[0] == "Which unit do you mean by “p”? Send /totals again with its code:"
    assert len([line for line in asked if line.startswith("• ")]) == 8
    assert asked[-2].startswith("… and ") and asked[-2].endswith(" more: type more of the name.")
    assert asked[-1].startswith("For example: /totals ")
    # An exact name is not a question, however many other names contain its words.
    assert text_of((await hung.send("/totals Ủy ban MTTQ xã Yên Nguyên"))[0]).startswith(
        "Totals: Ủy ban MTTQ xã Yên Nguyên"
    )
