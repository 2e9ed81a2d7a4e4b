"""The one-line /log on a phone (issue 16 §4), through the emulator in Vietnamese: a person of
several units is asked which one with buttons and the entry is saved on the press; a quoted sum
is a number, not a note; the usage form names the optional date; a sum of money typed for a count
is refused as such, in the guided flow too, with the draft kept for typing again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Activity, ActivityValue, Unit
from tests.harness import Harness, text_of

THON = "Ban Công tác Mặt trận thôn Cầu Bâm"
NONG_DAN = "Hội Nông dân xã Yên Nguyên"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def saved(h: Harness) -> list[tuple[str, str, str | None, dict[str, int]]]:
    """(unit name, activity, note, values) of every entry, oldest first."""
    async with h.db.session() as session:
        rows = (
            await session.execute(
                select(Activity, Unit.name)
                .join(Unit, Unit.id == Activity.unit_id)
                .order_by(Activity.id)
            )
        ).all()
        values = (await session.scalars(select(ActivityValue))).all()
    by_id: dict[int, dict[str, int]] = {a.id: {} for a, _ in rows}
    for v in values:
        by_id[v.activity_id][v.measure_key] = v.value_milli // 1000
    return [(name, a.type_key, a.note, by_id[a.id]) for a, name in rows]


async def test_several_units_are_asked_with_buttons_then_saved(h: Harness) -> None:
    await h.grant(1004, "02365-nong_dan", "cadre")
    nam = h.user(1004, "Nam")
    # Entries for the Hội Nông dân exist: a unit logged for before is not taken silently.
    await nam.send("/log")
    await nam.press(NONG_DAN)
    question = (await nam.send('/log hoa_giai 2 "xóm Đình"'))[0]
    assert text_of(question) == (
        "Hòa giải ở cơ sở\nHoạt động này của đơn vị nào? Chọn xong là lưu ngay."
    ), text_of(question)
    labels = [b["text"] for row in question.inline_buttons for b in row]
    assert set(labels) == {THON, NONG_DAN}
    assert await saved(h) == []
    done = await nam.press(THON)
    assert text_of(done[-1]).startswith("Đã lưu thành mục #1.")
    assert "Ghi chú: xóm Đình" in text_of(done[-1])
    assert [b["text"] for b in done[-1].inline_buttons[0]] == ["Sửa", "Xóa"]
    assert await saved(h) == [(THON, "hoa_giai", "xóm Đình", {"cases": 2})]
    # The next shortcut offers the unit last logged for first.
    again = (await nam.send("/log hoa_giai 1"))[0]
    assert again.inline_buttons[0][0]["text"] == THON
    await nam.press(NONG_DAN)
    assert [(u, v) for u, _, _, v in await saved(h)][1] == (NONG_DAN, {"cases": 1})


async def test_a_quoted_sum_is_a_number_not_a_note(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    done = text_of((await nam.send('/log nha_dai_doan_ket 1 "120tr"'))[0])
    assert done.startswith("Đã lưu thành mục #1."), done
    assert "Ghi chú" not in done
    await nam.send('/log nha_dai_doan_ket 1 "1,5 tỷ" "nhà bà Lụa"')
    assert [(n, v) for _, _, n, v in await saved(h)] == [
        (None, {"built": 1, "repaired": 0, "value": 120_000_000}),
        ("nhà bà Lụa", {"built": 1, "repaired": 0, "value": 1_500_000_000}),
    ]
    two = text_of((await nam.send('/log hoa_giai 2 "xóm Đình" "xóm Chùa"'))[0])
    assert two.startswith('Chỉ một ghi chú, đặt giữa hai dấu ngoặc kép: "thôn 3".')
    assert len(await saved(h)) == 2


async def test_the_activity_may_be_typed_by_its_name(h: Harness) -> None:
    """ "/log hòa giải 2": the name as the cadre says it, with diacritics or without, is the code."""
    nam = h.user(1004, "Nam")
    done = text_of((await nam.send("/log hòa giải 2 hôm qua"))[0])
    assert done.startswith("Đã lưu thành mục #1.\n\nHòa giải ở cơ sở — " + THON), done
    assert "Ngày: 15/11/2026" in done
    await nam.send('/log nha dai doan ket 1 120tr "nhà bà Lụa"')
    assert [(t, n, v) for _, t, n, v in await saved(h)] == [
        ("hoa_giai", None, {"cases": 2}),
        ("nha_dai_doan_ket", "nhà bà Lụa", {"built": 1, "repaired": 0, "value": 120_000_000}),
    ]


async def test_the_usage_form_names_the_optional_date(h: Harness) -> None:
    form = text_of((await h.user(1004, "Nam").send("/log hoa_giai abc"))[0])
    assert form.startswith(
        'Với Hòa giải ở cơ sở hãy viết: /log hoa_giai <Số vụ hòa giải> [ngày] ["ghi chú"]'
    )
    assert 'Ví dụ: /log hoa_giai 2 hôm qua "thôn 3"' in form
    assert "Có thể bỏ ngày (dd/mm hoặc hôm qua): khi đó là hôm nay." in form
    assert 'một con số trong ngoặc kép ("120tr") vẫn được đọc là con số' in form


async def test_a_sum_of_money_for_a_count_is_refused_as_such(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    refused = text_of((await nam.send("/log hoa_giai 20tr vụ"))[0])
    assert refused == (
        "“20tr” là một số tiền, nhưng Số vụ hòa giải là số lượng, không phải tiền. "
        "Chỉ gõ con số, ví dụ 2."
    ), refused
    assert await saved(h) == []
    # The guided flow says the same, and keeps the question and the draft for typing again.
    await nam.send("/log")
    await nam.press("Tiếp »")
    await nam.press("Hòa giải ở cơ sở")
    asked = text_of((await nam.send("20tr vụ"))[0])
    assert asked.startswith("“20tr vụ” là một số tiền, nhưng Số vụ hòa giải là số lượng"), asked
    after = text_of((await nam.send("20 vụ"))[0])
    assert after.startswith("Hòa giải ở cơ sở\nNgày diễn ra?"), after
