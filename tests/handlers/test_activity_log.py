"""/log end to end: the guided flow in both languages, /back and /skip, every refusal, drafts that
survive /cancel and restarts, and the one-line shortcut."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import activities as acts
from bot import conversation
from bot.conversation import FlowState
from bot.emulator import UserClient
from storage.models import Activity, ActivityValue, LogDraft
from storage.queries import people as people_q
from tests.harness import (
    PRESS_THE_BUTTON,
    YES_NO_ONLY,
    Harness,
    text_of,
    transaction_counter,
    unit_of,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def saved(h: Harness) -> list[tuple[Activity, dict[str, int]]]:
    async with h.db.session() as session:
        rows = (await session.scalars(select(Activity).order_by(Activity.id))).all()
        values = (await session.scalars(select(ActivityValue))).all()
    by_id: dict[int, dict[str, int]] = {a.id: {} for a in rows}
    for v in values:
        by_id[v.activity_id][v.measure_key] = v.value_milli
    return [(a, by_id[a.id]) for a in rows]


async def test_guided_entry_in_vietnamese(h: Harness) -> None:
    nam = h.user(1004, "Nam")  # cán bộ of Thôn Cầu Bâm: one unit, so no unit question
    picker = (await nam.send("/log"))[0]
    assert picker.text == "Bạn đã làm gì? Chọn hoạt động:"
    assert picker.inline_buttons[0][0]["text"] == 'Vận động Quỹ "Vì người nghèo"'
    assert text_of((await nam.press("Nhà Đại đoàn kết"))[-1]).startswith(
        "Nhà Đại đoàn kết\nXây mới (căn)? Gõ một số, ví dụ 2."
    )
    assert "Sửa chữa (căn)?" in text_of((await nam.send("2"))[0])
    assert "Giá trị (đồng)?" in text_of((await nam.press("0 — không có"))[-1])
    assert "Ngày diễn ra?" in text_of((await nam.send("120tr"))[0])
    assert "Ghi chú ngắn" in text_of((await nam.press("Hôm qua"))[-1])
    assert "Gửi một ảnh" in text_of((await nam.send("thôn 3, hộ ông Sùng"))[0])
    review = (await nam.send_photo(PNG))[0]
    assert review.text == (
        "Kiểm tra rồi lưu:\n\n"
        "Nhà Đại đoàn kết — Ban Công tác Mặt trận thôn Cầu Bâm\n"
        "Xây mới: 2 căn\nSửa chữa: 0 căn\nGiá trị: 120 triệu đồng\n"
        "Ngày: 15/11/2026\nGhi chú: thôn 3, hộ ông Sùng\nẢnh: có"
    )
    done = (await nam.press("Lưu"))[-1]
    assert text_of(done).startswith("Đã lưu thành mục #1.")
    [(activity, values)] = await saved(h)
    assert values == {"built": 2000, "repaired": 0, "value": 120_000_000_000}
    # /mine marks the entry that carries a photo.
    assert (
        "#1 · 15/11/2026 · Nhà Đại đoàn kết — Ban Công tác Mặt trận thôn Cầu Bâm · 📷\n"
        in text_of((await nam.send("/mine"))[0])
    )
    assert activity.occurred_on.isoformat() == "2026-11-15" and activity.photo_file_id
    async with h.db.session() as session:
        assert await session.get(LogDraft, activity.person_id) is None


async def test_guided_entry_in_english_with_back_and_skip(h: Harness) -> None:
    anna = h.user(1011, "Anna", language_code="en")
    await anna.send("/log")
    assert text_of((await anna.press("Voter contact meetings"))[-1]).startswith(
        "Voter contact meetings\nNumber of meetings?"
    )
    await anna.send("1")
    again = (await anna.send("/back"))[0]
    assert "Number of meetings?" in text_of(again)
    await anna.send("2")
    await anna.send("150")
    assert "When did it take place?" in text_of((await anna.send("12"))[0])
    await anna.send("14/11/2026")
    assert "Send a photo" in text_of((await anna.send("/skip"))[0])
    review = text_of((await anna.send("/skip"))[0])
    assert (
        "Number of meetings: 2 meetings\nNumber of voters present: 150 voters\nPetitions and opinions: 12 items\nDate: 14/11/2026"
        in review
    )
    assert text_of((await anna.press("Save"))[-1]).startswith("Saved as entry #1.")


async def test_refusals_keep_the_draft(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    assert (await nam.send("abc"))[0].text == "“abc” không phải là số. Hãy gõ ví dụ 2."
    assert (await nam.send("-5"))[0].text == "Số không được âm. Hãy gõ ví dụ 2."
    assert (await nam.send("1,5"))[0].text == "Xây mới phải là số nguyên. Hãy gõ ví dụ 2."
    assert text_of((await nam.send("9" * 30))[0]).startswith("Số quá lớn.")
    await nam.send("2")
    await nam.send("0")
    assert text_of((await nam.send("2,5"))[0]).startswith("Giá trị phải là số nguyên.")
    ceiling = (await nam.send("100 tỷ"))[0]
    assert text_of(ceiling).startswith(
        "Nhà Đại đoàn kết\n100 tỷ đồng cho “Giá trị” lớn bất thường. Có đúng không?"
    )
    # A typed "không" / "có" answers it as the buttons do (issue 16 §4); other text does not.
    assert text_of((await nam.send("để xem"))[0]) == YES_NO_ONLY
    assert "Giá trị (đồng)?" in text_of((await nam.send("k"))[0])
    await nam.send("100 tỷ")
    assert "Ngày diễn ra?" in text_of((await nam.send("Có"))[0])
    assert "Giá trị (đồng)?" in text_of((await nam.send("/back"))[0])
    await nam.send("1,2 tỷ")
    assert text_of((await nam.send("31/02/2026"))[0]).startswith(
        "“31/02/2026” không phải ngày hợp lệ."
    )
    assert text_of((await nam.send("20/12/2026"))[0]).startswith(
        "“20/12/2026” là ngày trong tương lai."
    )
    await nam.send("hôm nay")
    long_note = (await nam.send("x" * 5000))[0].text
    assert long_note == "Ghi chú tối đa 1.000 ký tự; bạn gửi 5.000. Hãy rút gọn rồi gửi lại."
    assert text_of((await nam.send_sticker())[0]).startswith("Bước này cần chữ")
    await nam.send("ngắn gọn")
    assert (await nam.send("ảnh đây"))[0].text == "Hãy gửi một ảnh, hoặc bấm “Không có ảnh”."
    assert text_of((await nam.send_document(b"%PDF-1.4", "anh.pdf"))[0]).startswith(
        "Hãy gửi hình dưới dạng ảnh"
    )
    review = text_of((await nam.press("Không có ảnh"))[-1])
    assert "Giá trị: 1,2 tỷ đồng" in review and "Ghi chú: ngắn gọn" in review


async def mediation_half_done(nam: UserClient) -> None:
    """A guided /log of "Hòa giải ở cơ sở" with its number given, then /cancel: a kept draft."""
    await nam.send("/log")
    await nam.press("Tiếp »")
    await nam.press("Hòa giải ở cơ sở")
    await nam.send("3")
    cancelled = (await nam.send("/cancel"))[0].text
    assert cancelled == "Đã hủy. Các câu trả lời vẫn được giữ: gõ /log để làm tiếp."


async def offered_draft_resumes(nam: UserClient) -> None:
    offer = (await nam.send("/log"))[0]
    assert offer.text == "Bạn có một mục chưa lưu: Hòa giải ở cơ sở. Tiếp tục, hay ghi mục mới?"
    assert "Ngày diễn ra?" in text_of((await nam.press("Tiếp tục"))[-1])


async def test_cancel_keeps_the_draft_and_log_offers_it(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await mediation_half_done(nam)
    await offered_draft_resumes(nam)
    await nam.send("/cancel")
    await nam.send("/log")
    assert (await nam.press("Bỏ, ghi mục mới"))[-1].text == "Bạn đã làm gì? Chọn hoạt động:"


async def test_a_shortcut_leaves_the_guided_draft_in_progress(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await mediation_half_done(nam)
    assert text_of((await nam.send("/log tuyen_truyen 2 80"))[0]).startswith("Đã lưu thành mục #1.")
    await offered_draft_resumes(nam)


async def test_restart_in_the_middle_resumes_where_the_user_was(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    await nam.send("1")
    await h.restart()
    assert "Giá trị (đồng)?" in text_of((await nam.send("1"))[0])
    await h.restart()
    await nam.send("350 triệu")
    await nam.press("Hôm nay")
    await nam.press("Không có ghi chú")
    await nam.press("Không có ảnh")
    await nam.press("Lưu")
    [(_, values)] = await saved(h)
    assert values == {"built": 1000, "repaired": 1000, "value": 350_000_000_000}


async def test_member_of_two_units_is_asked_which(h: Harness) -> None:
    await h.grant(1004, "02365-nong_dan", "cadre")
    nam = h.user(1004, "Nam")
    question = (await nam.send("/log"))[0]
    assert question.text == "Mục này cho đơn vị nào?"
    labels = [b["text"] for row in question.inline_buttons for b in row]
    assert labels == ["Ban Công tác Mặt trận thôn Cầu Bâm", "Hội Nông dân xã Yên Nguyên"] or set(
        labels
    ) == {
        "Ban Công tác Mặt trận thôn Cầu Bâm",
        "Hội Nông dân xã Yên Nguyên",
    }
    assert (await nam.press("Hội Nông dân xã Yên Nguyên"))[
        -1
    ].text == "Bạn đã làm gì? Chọn hoạt động:"
    # /back from the activity question returns to the unit question.
    assert (await nam.send("/back"))[0].text == "Mục này cho đơn vị nào?"


async def test_shortcut_saves_in_one_line(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    done = (await nam.send('/log nha_dai_doan_ket 2 120tr "thôn 3"'))[0]
    assert text_of(done).startswith("Đã lưu thành mục #1.")
    assert (
        "Xây mới: 2 căn\nSửa chữa: 0 căn\nGiá trị: 120 triệu đồng\nNgày: 16/11/2026\nGhi chú: thôn 3"
        in text_of(done)
    )
    assert [b["text"] for b in done.inline_buttons[0]] == ["Sửa", "Xóa"]
    await nam.send("/log hoa_giai 2 hôm qua")
    await nam.send("/log tuyen_truyen 3 250 “họp dân thôn”")
    rows = await saved(h)
    assert rows[1][0].occurred_on.isoformat() == "2026-11-15" and rows[1][1] == {"cases": 2000}
    assert (
        rows[2][1] == {"sessions": 3000, "participants": 250_000}
        and rows[2][0].note == "họp dân thôn"
    )


async def test_a_shortcut_with_an_amount_too_large_or_negative_says_so(h: Harness) -> None:
    """The right shape with a wrong value is told what is wrong, not shown the usage form."""
    nam = h.user(1004, "Nam")
    assert (await nam.send("/log nha_dai_doan_ket 2 99999999999999tr"))[0].text == (
        "Số quá lớn. Hãy kiểm tra lại và gõ ví dụ 120tr, 1,5 tỷ hoặc 68.000.000."
    )
    assert (await nam.send("/log hoa_giai -2"))[0].text == "Số không được âm. Hãy gõ ví dụ 2."
    assert await saved(h) == []


async def test_wrong_shortcuts_answer_with_the_right_form(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    form = text_of((await nam.send("/log nha_dai_doan_ket abc"))[0])
    assert form.startswith(
        'Với Nhà Đại đoàn kết hãy viết: /log nha_dai_doan_ket <Xây mới> <Sửa chữa> <Giá trị> [ngày] ["ghi chú"]'
    )
    assert text_of((await nam.send("/log nha_dai_doan_ket 1 2 3 4 5"))[0]).startswith(
        "Với Nhà Đại đoàn kết hãy viết:"
    )
    assert text_of((await nam.send("/log nha_dai_doan_ket 2 3 4 5 6 7"))[0]).startswith(
        "Với Nhà Đại đoàn kết hãy viết:"
    )
    unknown = text_of((await nam.send("/log xyz 2"))[0])
    assert unknown.startswith("Tôi không biết hoạt động “xyz”.") and "nha_dai_doan_ket" in unknown
    assert text_of((await nam.send('/log hoa_giai 2 "chưa đóng'))[0]).startswith(
        "Dấu ngoặc kép chưa đóng."
    )
    assert await saved(h) == []


async def test_shortcut_above_the_ceiling_asks_first(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    question = (await nam.send("/log quy 68 tỷ"))[0]
    assert "68 tỷ đồng cho “Số tiền vận động” lớn bất thường. Có đúng không?" in text_of(question)
    review = (await nam.press("Đúng"))[-1]
    assert text_of(review).startswith("Kiểm tra rồi lưu:")
    await nam.press("Lưu")
    [(_, values)] = await saved(h)
    assert values == {"amount": 68_000_000_000_000}


async def test_stranger_and_group_are_refused(h: Harness) -> None:
    stranger = h.user(2301, "Khách")
    assert text_of((await stranger.send("/log"))[0]).startswith("Bạn chưa thuộc đơn vị nào.")
    assert text_of((await stranger.send("/mine"))[0]).startswith("Bạn chưa thuộc đơn vị nào.")
    nam = h.user(1004, "Nam")
    group = h.emu.group(-1007777, "Thôn Cầu Bâm")
    await group.add_bot(nam)
    assert text_of((await nam.send("/log@phoihop_bot", chat=group))[0]).startswith(
        "Hãy ghi hoạt động trong cuộc trò chuyện riêng"
    )
    assert await saved(h) == []


async def test_menu_button_opens_the_log(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    assert (await nam.send("Ghi hoạt động"))[0].text == "Bạn đã làm gì? Chọn hoạt động:"


async def test_zero_is_offered_only_where_it_can_be_an_answer(h: Harness) -> None:
    """An entry needs a number above 0: an activity with one measure offers no "0 — none" button
    and refuses a typed 0 at once (not at Save); with several, the last one after zeros does too."""
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Tiếp »")
    asked = (await nam.press("Hòa giải ở cơ sở"))[-1]
    assert "Số vụ hòa giải?" in text_of(asked)
    assert asked.inline_buttons == []
    assert (await nam.send("0"))[0].text == (
        "Một mục cần ít nhất một số lớn hơn 0. Hãy gõ một số lớn hơn 0, hoặc /back để sửa câu trả lời trước."
    )
    assert "Ngày diễn ra?" in text_of((await nam.send("2"))[0])
    await nam.send("/cancel")
    await nam.send("/log")
    await nam.press("Bỏ, ghi mục mới")
    await nam.press("Nhà Đại đoàn kết")
    await nam.press("0 — không có")  # Xây mới: the others may still have a number
    value = (await nam.press("0 — không có"))[-1]  # Sửa chữa
    assert "Giá trị (đồng)?" in text_of(value) and value.inline_buttons == []
    assert text_of((await nam.send("0"))[0]).startswith("Một mục cần ít nhất một số lớn hơn 0.")
    assert "Ngày diễn ra?" in text_of((await nam.send("120tr"))[0])
    assert Decimal(0) == Decimal(len(await saved(h)))


# --- what the flow kernel gives /log ------------------------------------------------------------


async def test_cancel_then_log_offers_continue_or_start_over(h: Harness) -> None:
    """/cancel keeps the draft; /log offers it (naming the activity); "Continue" goes on at the
    step where the cadre stopped, and the answer typed there is taken as that step's."""
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")
    await nam.send("2")
    await nam.send("/cancel")
    # Typed text is no longer read by the entry.
    assert text_of((await nam.send("5"))[0]).startswith("Tôi chưa hiểu")
    offer = (await nam.send("/log"))[0]
    assert offer.text == "Bạn có một mục chưa lưu: Nhà Đại đoàn kết. Tiếp tục, hay ghi mục mới?"
    assert [b["text"] for b in offer.inline_buttons[0]] == ["Tiếp tục", "Bỏ, ghi mục mới"]
    shown = await nam.press("Tiếp tục")
    assert any(m.text == "Quay lại việc ghi hoạt động." for m in shown)
    assert "Sửa chữa (căn)?" in text_of(shown[-1])
    # A double tap on "Continue" shows the step again, no error.
    again = await nam.press_data(offer.inline_buttons[0][0]["callback_data"], message=offer)
    assert "Sửa chữa (căn)?" in text_of(again[-1])
    assert "Giá trị (đồng)?" in text_of((await nam.send("1"))[0])


async def test_a_button_of_an_earlier_step_gets_an_alert(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    picker = (await nam.send("/log"))[0]
    await nam.press("Nhà Đại đoàn kết")  # the picker becomes the first measure's question
    await nam.send("2")
    # The activity button again, as a slow double tap on the old message would send it.
    data = picker.inline_buttons[0][0]["callback_data"]
    replies = await nam.press_data(data, message=picker)
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này thuộc một bước trước. Bước hiện tại ở ngay dưới đây."
    )
    assert "Sửa chữa (căn)?" in text_of(replies[-1])
    # Mangled data: an alert, nothing changed, no crash.
    for data in ("log:m.repaired:z:1:2:3", "log:m.repaired:q", "log:m.nothing:z", "log:date"):
        await nam.press_data(data)
        assert h.emu.callback_answers[-1]["text"] is not None
    assert "Giá trị (đồng)?" in text_of((await nam.send("0"))[0])
    date_question = (await nam.send("120tr"))[0]
    for data in ("log:date:d:abc", "log:date:d:99999", "log:date:d:-1", "log:date:d"):
        await nam.press_data(data)
        assert h.emu.callback_answers[-1]["text"] == (
            "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /log."
        )
    # Once the entry is saved, its buttons are stale.
    await nam.press("Hôm nay")
    await nam.press("Không có ghi chú")
    await nam.press("Không có ảnh")
    await nam.press("Lưu")
    await nam.press_data(date_question.inline_buttons[0][0]["callback_data"], message=date_question)
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /log."
    )
    assert len(await saved(h)) == 1


async def test_invite_in_the_middle_of_log_then_back_to_the_entry(h: Harness) -> None:
    """A leader making an invite link halfway through an entry: the entry waits, is offered back
    when the link is made, and goes on where it was."""
    lan = h.user(1002, "Lan")
    await lan.send("/log")
    await lan.press("Tuyên truyền, vận động")
    await lan.send("3")
    assert (await lan.send("/invite"))[
        0
    ].text == "Mời vào đơn vị nào? Đang ở: Ủy ban MTTQ xã Yên Nguyên"
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Cán bộ")
    replies = await lan.send("1")
    assert replies[-1].text == "Bạn đang làm dở việc ghi hoạt động. Quay lại không?"
    back = await lan.press("Quay lại")
    assert "Số lượt người tham dự?" in text_of(back[-1])
    await lan.send("120")
    await lan.press("Hôm nay")
    await lan.send("/skip")
    review = text_of((await lan.send("/skip"))[0])
    assert "Số buổi: 3 buổi" in review and "Số lượt người tham dự: 120 lượt người" in review
    assert text_of((await lan.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")


async def test_back_skip_and_the_review_cards_change_menu(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    assert (await nam.send("/log"))[0].text == "Bạn đã làm gì? Chọn hoạt động:"
    assert (await nam.send("/back"))[0].text == "Không có bước nào để quay lại."
    assert (await nam.send("/skip"))[0].text == "Câu hỏi này không bỏ qua được."
    assert (await nam.send("Nhà Đại đoàn kết"))[0].text == (
        "Hãy bấm một nút phía trên. /back để quay lại, /cancel để dừng."
    )
    await nam.press("Nhà Đại đoàn kết")
    await nam.send("2")
    await nam.send("1")
    await nam.send("300tr")
    await nam.press("Hôm nay")
    await nam.send("thôn 3")
    await nam.press("Không có ảnh")
    # "Change something" shows what can change; the date is asked again, then the card.
    menu = (await nam.press("Sửa"))[-1]
    labels = [b["text"] for row in menu.inline_buttons for b in row]
    assert labels == [
        "Xây mới",
        "Sửa chữa",
        "Giá trị",
        "Ngày",
        "Ghi chú",
        "Ảnh",
        "Loại hoạt động",
        "‹ Quay lại",
    ]
    # Back leaves the menu for the card with Save, nothing changed; Sửa opens it again.
    back = (await nam.press("‹ Quay lại"))[-1]
    assert [b["text"] for row in back.inline_buttons for b in row] == ["Lưu", "Sửa", "Bỏ bản nháp"]
    await nam.press("Sửa")
    assert "Ngày diễn ra?" in text_of((await nam.press("Ngày"))[-1])
    review = text_of((await nam.send("14/11/2026"))[0])
    assert review.startswith("Kiểm tra rồi lưu:") and "Ngày: 14/11/2026" in review
    assert "Ghi chú: thôn 3" in review  # the other answers are kept
    # /back from the card asks the last answer again.
    assert "Ngày diễn ra?" in text_of((await nam.send("/back"))[0])
    await nam.press("Hôm qua")
    # A changed measure comes back to the card too.
    await nam.press("Sửa")
    await nam.press("Giá trị")
    review = text_of((await nam.send("350tr"))[0])
    assert "Giá trị: 350 triệu đồng" in review and "Ngày: 15/11/2026" in review
    await nam.press("Lưu")
    [(activity, values)] = await saved(h)
    assert values == {"built": 2000, "repaired": 1000, "value": 350_000_000_000}
    assert activity.note == "thôn 3" and activity.occurred_on.isoformat() == "2026-11-15"


async def test_discard_from_the_review_card(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log hoa_giai 2 hôm qua ")  # complete: saved at once
    await nam.send("/log")
    await nam.press("Hòa giải ở cơ sở")
    await nam.send("1")
    await nam.press("Hôm nay")
    await nam.send("/skip")
    await nam.send("/skip")
    assert (await nam.press("Bỏ bản nháp"))[-1].text == "Đã bỏ mục đang ghi."
    async with h.db.session() as session:
        assert (await session.scalars(select(LogDraft))).all() == []
    assert (await nam.send("/log"))[0].text == "Bạn đã làm gì? Chọn hoạt động:"
    assert len(await saved(h)) == 1


async def test_an_answer_opens_one_transaction(h: Harness, request: pytest.FixtureRequest) -> None:
    """One unit of work per update: a guided answer is read, changed and saved (the chat state
    and the draft row) in the flow kernel's one transaction, which also holds loading who is
    talking (group −1: opened ahead, ``storage.db.hold``, and taken over by the step's
    ``db.session()``). Counted here: every transaction an update begins (the engine's ``begin``
    event). The note that its replies are out (``handled_updates.replied_at``,
    handlers/delivery.py) is no transaction of the update's own: it waits to be written with the
    others of the same second (storage/reply_marks.py; it was a third transaction per update
    from issue 15 until then, and 5 to 7 before /log ran on the kernel; who is talking had one
    of its own until the update's was opened ahead). The poller's transactions (a batch stored,
    updates marked done and the next ones loaded) run in its own tasks and are not the update's."""
    nam = h.user(1004, "Nam")
    transactions = transaction_counter(h, request)

    # Every update: who is talking (group −1) and the step in one transaction, whether it is
    # typed, pressed, a photo, /back, /skip or the save that ends the flow (whose "go back to
    # …?" check is part of the same transaction).
    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: nam.send("/log"),
        lambda: nam.press("Nhà Đại đoàn kết"),
        lambda: nam.send("2"),
        lambda: nam.send("/back"),
        lambda: nam.send("2"),
        lambda: nam.press("0 — không có"),
        lambda: nam.send("120tr"),
        lambda: nam.press("Hôm qua"),
        lambda: nam.send("/skip"),
        lambda: nam.send_photo(PNG),
        lambda: nam.press("Lưu"),
    ]
    for number, step in enumerate(steps):
        # The first is Nam's first message: he is written in a transaction apart (the update's
        # replay mark must not ride on it), as the refresh of a person seen long ago would be.
        assert await transactions(step()) == (2 if number == 0 else 1)
    assert h.reply_marks.waiting == len(steps)  # "replied" noted for every one, not yet written
    assert await transactions(h.flush_reply_marks()) == 1  # all of them in one transaction
    assert len(await saved(h)) == 1


async def test_a_draft_saved_before_log_ran_on_the_kernel_goes_on(h: Harness) -> None:
    """The bot before this version kept the answers in the draft row alone, its chat state naming
    only the flow: an entry in progress across the upgrade goes on where it was."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    async with h.db.session() as session:
        person = await people_q.by_telegram_id(session, 1004)
        unit = await unit_of(session, "02365-t1")
        assert person is not None
        draft = {
            "unit_id": unit.id,
            "type": "nha_dai_doan_ket",
            "values": {"built": "2"},
            "answered": ["type", "m:built"],
        }
        await acts.save_draft(session, person.id, draft, h.clock.now())
    assert h.services is not None
    await conversation.save(h.services, 1004, 1004, FlowState("log", "draft"))
    assert "Giá trị (đồng)?" in text_of((await nam.send("1"))[0])  # the answer to "repaired"
    await nam.send("/back")
    await nam.send("0")
    await nam.send("/cancel")
    # Parked the old way too: /log offers it, and it goes on.
    await conversation.save(h.services, 1004, 1004, FlowState("log", "draft"))
    await nam.send("/cancel")
    offer = (await nam.send("/log"))[0]
    assert offer.text == "Bạn có một mục chưa lưu: Nhà Đại đoàn kết. Tiếp tục, hay ghi mục mới?"
    assert "Giá trị (đồng)?" in text_of((await nam.press("Tiếp tục"))[-1])
    await nam.send("120tr")
    await nam.press("Hôm nay")
    await nam.send("/skip")
    await nam.send("/skip")
    await nam.press("Lưu")
    [(_, values)] = await saved(h)
    assert values == {"built": 2000, "repaired": 0, "value": 120_000_000_000}


# --- the same shortcut twice (issue 15) ---------------------------------------------------------


async def test_the_same_shortcut_again_asks_before_saving_a_second_entry(h: Harness) -> None:
    """Protection: the one-line /log sent again word for word within a few minutes (its answer
    may never have come) asks before it saves a copy; "No" saves nothing, "Yes" one copy, and a
    second tap on "Yes" no further one."""
    nam = h.user(1004, "Nam")
    shortcut = '/log nha_dai_doan_ket 2 120tr "thôn 3"'
    assert text_of((await nam.send(shortcut))[0]).startswith("Đã lưu thành mục #1.")
    h.clock.advance(timedelta(minutes=3))
    asked = (await nam.send(shortcut))[0]
    assert text_of(asked) == "Đã lưu mục #1 lúc 08:30 — lưu thêm một mục nữa?"
    assert [b["text"] for b in asked.inline_buttons[0]] == ["Có, lưu thêm", "Không"]
    assert len(await saved(h)) == 1
    # A typed "có" saves no copy (a tap only) and says to press the button; nor is it an activity.
    assert text_of((await nam.send("có"))[0]) == PRESS_THE_BUTTON
    assert len(await saved(h)) == 1
    no = (await nam.press("Không"))[-1]
    assert text_of(no) == "Không lưu thêm: mục #1 vẫn là mục duy nhất."
    assert len(await saved(h)) == 1

    await nam.send(shortcut)
    yes = (await nam.press("Có, lưu thêm"))[-1]
    assert yes.edited and text_of(yes).startswith("Đã lưu thành mục #2.")
    assert "Ghi chú: thôn 3" in text_of(yes)
    await nam.press_data("lga:y:1")  # the same button again
    assert nam.last_answer is not None
    assert nam.last_answer.get("text") == "Nút này không còn hiệu lực."
    rows = await saved(h)
    assert [values for _, values in rows] == [rows[0][1]] * 2 and len(rows) == 2


async def test_a_different_or_later_shortcut_is_saved_at_once(h: Harness) -> None:
    """Only the very same entry, soon after, asks: other numbers, another note, or the same line
    after the window are saved at once (a cadre may well log two equal activities a day)."""
    nam = h.user(1004, "Nam")
    for text in ("/log hoa_giai 2", "/log hoa_giai 3", '/log hoa_giai 3 "thôn 1"'):
        assert text_of((await nam.send(text))[0]).startswith("Đã lưu thành mục #")
    h.clock.advance(timedelta(minutes=11))
    assert text_of((await nam.send('/log hoa_giai 3 "thôn 1"'))[0]).startswith(
        "Đã lưu thành mục #4."
    )
