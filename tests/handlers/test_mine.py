"""/mine: recent entries, edit and delete with history; nobody changes what is not theirs, and
nothing changes in an approved period."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storage.models import Activity, ActivityHistory
from storage.queries import activities as act_q
from tests.harness import PRESS_THE_BUTTON, YES_NO_ONLY, Harness, lock_period, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def test_list_edit_history_and_delete(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send('/log nha_dai_doan_ket 2 120tr "thôn 3"')
    await nam.send("/log hoa_giai 1")
    listing = (await nam.send("/mine"))[0]
    assert text_of(listing).startswith("Các mục gần đây của bạn (1–2 / 2)")
    assert (
        "#1 · 16/11/2026 · Nhà Đại đoàn kết — Ban Công tác Mặt trận thôn Cầu Bâm\nXây mới 2 căn, Giá trị 120 triệu đồng"
        in text_of(listing)
    )
    # The unit says what was counted: "1 vụ", not "Số vụ hòa giải 1 vụ" (issue 16 §5).
    assert (
        "#2 · 16/11/2026 · Hòa giải ở cơ sở — Ban Công tác Mặt trận thôn Cầu Bâm\n1 vụ\n"
        in text_of(listing)
    )

    await nam.press("Sửa #1")
    assert text_of((await nam.press("Xây mới"))[-1]).startswith("Gõ giá trị mới cho “Xây mới”.")
    assert (await nam.send("-1"))[0].text == "Số không được âm. Hãy gõ ví dụ 2."
    changed = text_of((await nam.send("3"))[0])
    assert changed.startswith("Đã sửa mục #1.") and "Xây mới: 3 căn" in changed

    history = text_of((await nam.press_data("mine:h:1"))[-1])
    assert history.startswith("Lịch sử mục #1:")
    assert "Lan" not in history and "· tạo" in history and "· sửa: Xây mới 2 căn → 3 căn" in history

    await nam.press_data("mine:d:2")
    # A typed "có" deletes nothing (a tap only): it says to press the button.
    assert text_of((await nam.send("có"))[0]) == PRESS_THE_BUTTON
    async with h.db.session() as session:
        kept = await session.get(Activity, 2)
        assert kept is not None and kept.deleted_at is None
    assert (await nam.press("Đúng, xóa đi"))[-1].text == "Đã xóa mục #2."
    assert text_of((await nam.send("/mine"))[0]).startswith("Các mục gần đây của bạn (1–1 / 1)")
    async with h.db.session() as session:
        actions = [
            r.action
            for r in (
                await session.scalars(select(ActivityHistory).order_by(ActivityHistory.id))
            ).all()
        ]
        deleted = await session.get(Activity, 2)
    assert actions == ["create", "create", "edit", "delete"]
    assert deleted is not None and deleted.deleted_at is not None


async def test_others_entries_are_out_of_reach(h: Harness) -> None:
    nam = h.user(1004, "Nam")  # Thôn Cầu Bâm, xã Yên Nguyên
    await nam.send("/log hoa_giai 1")
    duc = h.user(1009, "Đức")  # cadre in xã Kim Bình
    await duc.send("/start")
    await duc.press_data("mine:e:1")
    assert h.emu.callback_answers[-1]["text"] == "Bạn chỉ sửa được các mục của đơn vị mình."
    await duc.press_data("mine:dy:1")
    assert h.emu.callback_answers[-1]["text"] == "Bạn chỉ sửa được các mục của đơn vị mình."
    thu = h.user(1008, "Thu")  # leads Kim Bình, not Yên Nguyên
    await thu.send("/start")
    await thu.press_data("mine:f:1:m:cases")
    assert h.emu.callback_answers[-1]["text"] == "Bạn chỉ sửa được các mục của đơn vị mình."
    assert (await thu.send("/mine all"))[0].text == "Chưa có mục nào. Ghi mục đầu tiên bằng /log."
    async with h.db.session() as session:
        entry = await session.get(Activity, 1)
        assert entry is not None and entry.deleted_at is None


async def test_commune_leader_corrects_a_cadres_entry(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log tuyen_truyen 2 80")
    lan = h.user(1002, "Lan", language_code="en")
    listing = (await lan.send("/mine all"))[0]
    assert text_of(listing).startswith("Entries of your units (1–1 / 1)")
    await lan.press("Edit #1")
    await lan.press("Participants")
    assert text_of((await lan.send("95"))[0]).startswith("Entry #1 was changed.")
    history = text_of((await lan.press_data("mine:h:1"))[-1])
    assert "changed: Number of participants 80 participants → 95 participants" in history


async def test_an_edit_above_the_ceiling_asks_are_you_sure(h: Harness) -> None:
    """The ceiling rule holds in /mine as in /log: an unusually large value is saved only once the
    cadre confirms it; "no" asks again, and a value typed instead of pressing replaces it."""
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 1")

    async def cases() -> dict[str, int]:
        async with h.db.session() as session:
            return (await act_q.values_of(session, [1]))[1]

    await nam.press_data("mine:e:1")
    await nam.press("Số vụ hòa giải")
    question = (await nam.send("150"))[0]
    assert question.text == "150 vụ cho “Số vụ hòa giải” lớn bất thường. Có đúng không?"
    assert await cases() == {"cases": 1_000}  # nothing saved while the question is open
    again = text_of((await nam.press("Không, nhập lại"))[-1])
    assert again.startswith("Gõ giá trị mới cho “Số vụ hòa giải”.")
    assert text_of((await nam.send("1500"))[0]).startswith("1.500 vụ cho “Số vụ hòa giải”")
    assert text_of((await nam.send("12"))[0]).startswith("Đã sửa mục #1.")  # typed: replaces it
    assert await cases() == {"cases": 12_000}

    await nam.press_data("mine:e:1")
    await nam.press("Số vụ hòa giải")
    question = (await nam.send("150"))[0]
    saved = text_of((await nam.press("Đúng rồi"))[-1])
    assert saved.startswith("Đã sửa mục #1.") and "Số vụ hòa giải: 150 vụ" in saved
    assert await cases() == {"cases": 150_000}
    # The confirmation is spent: the question became the answer, and the button pressed again
    # (a slow double tap) changes nothing.
    yes = question.inline_buttons[0][0]["callback_data"]
    await nam.press_data(yes, message=question)
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /mine."
    )
    history = text_of((await nam.press_data("mine:h:1"))[-1])
    assert "sửa: Số vụ hòa giải 1 vụ → 12 vụ" in history
    assert "sửa: Số vụ hòa giải 12 vụ → 150 vụ" in history


async def test_approved_period_is_locked(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 1")
    await lock_period(h, "02365", date(2026, 10, 15), date(2026, 11, 14))
    await nam.press_data("mine:e:1")  # dated 16/11: outside the locked period
    assert "Bạn muốn sửa gì trong mục #1?" in text_of(nam.last)
    await nam.press("Ngày")
    assert (await nam.send("10/11/2026"))[
        0
    ].text == "Báo cáo kỳ này đã được duyệt nên các mục trong kỳ không sửa được nữa."
    # The shortcut says which lock refuses the date, and asks another one (the numbers kept).
    refused, asked = await nam.send("/log hoa_giai 2 10/11/2026")
    assert text_of(refused) == (
        "Hiện không thể ghi hoạt động ngày 10/11/2026 cho đơn vị này.\n"
        "Kỳ này đã bị khóa: nhật ký hoạt động của Ủy ban MTTQ xã Yên Nguyên và các đơn vị Mặt trận Tổ quốc"
        " trực thuộc, từ ngày 15/10/2026 đến ngày 14/11/2026.\n"
        "Hãy gõ ngày khác, hoặc /cancel (phần đã nhập vẫn được giữ)."
    )
    assert "Ngày diễn ra?" in text_of(asked)
    review = text_of((await nam.send("15/11/2026"))[0])
    assert "Số vụ hòa giải: 2 vụ" in review and "Ngày: 15/11/2026" in review


async def test_paging(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    for n in range(1, 8):
        await nam.send(f"/log hoa_giai {n}")
    first = (await nam.send("/mine"))[0]
    assert text_of(first).startswith("Các mục gần đây của bạn (1–5 / 7)")
    second = (await nam.press("Tiếp »"))[-1]
    assert second.edited and text_of(second).startswith("Các mục gần đây của bạn (6–7 / 7)")


# --- the edit prompt on the flow kernel ---------------------------------------------------------


async def test_an_edit_cancelled_keeps_the_entry_and_its_buttons_go_stale(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 1")
    await nam.press_data("mine:e:1")
    prompt = (await nam.press("Số vụ hòa giải"))[-1]
    assert text_of(prompt) == (
        "Gõ giá trị mới cho “Số vụ hòa giải”.\n/cancel để giữ nguyên mục này."
    )
    assert (await nam.send("/cancel"))[0].text == "Đã hủy. Mục vẫn giữ nguyên như cũ."
    # What is typed now is not a new value.
    assert text_of((await nam.send("7"))[0]).startswith("Tôi chưa hiểu")
    # The prompt's button no longer acts.
    await nam.press("Giữ nguyên", message=prompt)
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /mine."
    )
    async with h.db.session() as session:
        assert (await act_q.values_of(session, [1]))[1] == {"cases": 1_000}
    # "Keep it as it is" ends a prompt without a change.
    await nam.press_data("mine:e:1")
    await nam.press("Ghi chú")
    assert (await nam.press("Giữ nguyên"))[-1].text == "Đã giữ nguyên mục #1."
    assert text_of((await nam.send("ghi chú mới"))[0]).startswith("Tôi chưa hiểu")
    # A field the entry does not have is refused.
    await nam.press_data("mine:f:1:m:built")
    assert h.emu.callback_answers[-1]["text"] == "Nút này không còn hiệu lực."


async def test_an_edit_interrupted_by_another_flow_is_offered_back(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await h.user(1004, "Nam").send("/log hoa_giai 1")
    await lan.send("/mine all")  # the commune leader corrects a cadre's entry
    await lan.press("Sửa #1")
    await lan.press("Ngày")
    await lan.send("/invite")  # suspends the edit
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Cán bộ")
    replies = await lan.send("1")
    assert replies[-1].text == "Bạn đang làm dở việc sửa mục đã ghi. Quay lại không?"
    back = await lan.press("Quay lại")
    assert text_of(back[-1]).startswith("Gõ ngày mới (dd/mm/yyyy).")
    assert text_of((await lan.send("32/11/2026"))[0]).startswith(
        "“32/11/2026” không phải ngày hợp lệ."
    )
    changed = text_of((await lan.send("15/11/2026"))[0])
    assert changed.startswith("Đã sửa mục #1.") and "Ngày: 15/11/2026" in changed


async def test_an_edit_survives_a_restart(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 1")
    await nam.press_data("mine:e:1")
    await nam.press("Số vụ hòa giải")
    await nam.send("150")
    await h.restart()
    saved = text_of((await nam.press("Đúng rồi"))[-1])
    assert saved.startswith("Đã sửa mục #1.") and "Số vụ hòa giải: 150 vụ" in saved
    # The same question answered by typing (issue 16 §4): "k" asks again, "rồi" saves; text that
    # is neither a value nor a yes or a no says what it takes.
    await nam.press_data("mine:e:1")
    await nam.press("Số vụ hòa giải")
    await nam.send("160")
    assert (await nam.send("để xem"))[0].text == (
        "“để xem” không phải là số. Hãy gõ ví dụ 2.\n" + YES_NO_ONLY
    )
    assert text_of((await nam.send("k"))[0]).startswith("Gõ giá trị mới cho “Số vụ hòa giải”.")
    await nam.send("170")
    saved = text_of((await nam.send("rồi"))[0])
    assert saved.startswith("Đã sửa mục #1.") and "Số vụ hòa giải: 170 vụ" in saved


async def test_money_reads_the_same_on_every_screen(h: Harness) -> None:
    """Money in words on the review card, the saved entry, /mine, its history and /totals
    ("1,23 triệu đồng", PRODUCT §9), never "1.234.567 ₫"; what a person typed keeps its exact
    figure beside the words when they round it, totals do not (issue 16 §4)."""
    nam, lan = h.user(1004, "Nam"), h.user(1002, "Lan")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    await nam.send("2")
    await nam.press("0 — không có")
    await nam.send("1.234.567")
    await nam.press("Hôm nay")
    await nam.press("Không có ghi chú")
    review = text_of((await nam.press("Không có ảnh"))[-1])
    assert "Giá trị: 1,23 triệu đồng (1.234.567 đồng)" in review
    saved = text_of((await nam.press("Lưu"))[-1])
    assert "₫" not in saved
    listing = text_of((await nam.send("/mine"))[0])
    assert "Xây mới 2 căn, Giá trị 1,23 triệu đồng (1.234.567 đồng)" in listing
    totals = text_of((await lan.send("/totals"))[0])
    assert "Giá trị 1,23 triệu đồng" in totals and "1.234.567" not in totals and "₫" not in totals
    await nam.press("Sửa #1")
    await nam.press("Giá trị")
    assert "Giá trị: 1,5 tỷ đồng" in text_of((await nam.send("1,5 tỷ"))[0])
    history = text_of((await nam.press_data("mine:h:1"))[-1])
    assert "Giá trị 1,23 triệu đồng (1.234.567 đồng) → 1,5 tỷ đồng" in history
