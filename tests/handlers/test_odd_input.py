"""Input nobody planned for gets a useful answer in the user's language, and nothing crashes."""

from __future__ import annotations

import logging

import pytest

from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def test_unknown_command(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    assert (await nam.send("/xyz"))[
        0
    ].text == "Tôi không biết lệnh /xyz. Gõ /help để xem các lệnh bạn dùng được."
    anna = h.user(1011, "Anna", language_code="en")
    assert (await anna.send("/xyz"))[
        0
    ].text == "I don't know the command /xyz. /help lists what you can do."


async def test_free_text_and_a_huge_message(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    reply = (await nam.send("xin chào"))[0]
    assert text_of(reply).startswith("Tôi chưa hiểu ý bạn.") and reply.keyboard
    huge = (await nam.send("á" * 4000))[0]
    assert text_of(huge).startswith("Tôi chưa hiểu ý bạn.")


async def test_sticker_photo_and_document_outside_and_inside_a_flow(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    assert text_of((await lan.send_sticker())[0]).startswith(
        "Ở đây tôi chỉ đọc được chữ và nút bấm."
    )
    await lan.send("/invite")
    assert text_of((await lan.send_photo(b"\x89PNG fake"))[0]).startswith(
        "Bước này cần chữ hoặc một trong các nút"
    )
    assert text_of((await lan.send_document(b"%PDF", "baocao.pdf"))[0]).startswith(
        "Bước này cần chữ"
    )
    # The flow is still there: the buttons still work.
    assert text_of((await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên"))[-1]).startswith(
        "Mời vào Ủy ban MTTQ xã Yên Nguyên"
    )


async def test_edited_message(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("xin chào")
    replies = await nam.edit("xin chào", "/start")
    assert text_of(replies[0]).startswith("Bạn vừa sửa một tin nhắn; tôi không đọc được phần sửa.")
    assert not any((m.text or "").startswith("Xin chào") for m in replies)


async def test_user_without_username_or_language(h: Harness) -> None:
    guest = h.user(2201, "Khách", language_code=None)
    assert guest.username is None
    assert text_of((await guest.send("/help"))[0]).startswith("Bạn có thể:")


async def test_channel_post_is_ignored_without_error(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    nam = h.user(1004, "Nam")
    with caplog.at_level(logging.ERROR):
        replies = await nam.raw(
            {
                "channel_post": {
                    "message_id": 1,
                    "date": 1763256600,
                    "chat": {"id": -1009, "type": "channel", "title": "Tin"},
                    "text": "/start",
                }
            }
        )
    assert replies == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_stale_button_from_an_old_message(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    picker = (await lan.send("/invite"))[0]
    await lan.send("/cancel")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên", message=picker)
    assert (
        h.emu.callback_answers[-1]["text"]
        == "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /invite."
    )
    await lan.press_data("zzz:1", message=picker)
    assert h.emu.callback_answers[-1]["text"] == "Nút này không còn hiệu lực."


async def test_menu_buttons_open_their_features(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    assert (await nam.send("Ghi hoạt động"))[0].text == "Bạn đã làm gì? Chọn hoạt động:"
    assert (await nam.send("Báo cáo"))[0].text == "Hiện không có báo cáo nào chờ bạn."
    assert text_of((await nam.send("Tổng hợp"))[0]).startswith(
        "Tổng hợp: Ban Công tác Mặt trận thôn Cầu Bâm"
    )
    assert (await nam.send("Lịch họp"))[0].text
    assert text_of((await nam.send("Kiến nghị"))[0]).startswith("Ghi kiến nghị mới.")
    stranger = h.user(2202, "Khách")
    for label in ("Ghi hoạt động", "Báo cáo", "Lịch họp", "Tổng hợp", "Kiến nghị"):
        assert text_of((await stranger.send(label))[0]).startswith("Bạn chưa thuộc đơn vị nào"), (
            label
        )


async def test_group_chat_manners(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    group = h.emu.group(-1005555, "Ban Công tác Mặt trận thôn Cầu Bâm")
    await group.add_bot(lan)
    assert (await lan.send("/start", chat=group))[
        0
    ].text == "Hãy nhắn riêng cho tôi: https://t.me/phoihop_bot"
    assert text_of((await lan.send("/help@phoihop_bot", chat=group))[0]).startswith("Bạn có thể:")
    assert await lan.send("/weather@otherbot", chat=group) == []
    assert await lan.send("chào cả nhà", chat=group) == []
    assert text_of((await lan.send("/xyz@phoihop_bot", chat=group))[0]).startswith(
        "Tôi không biết lệnh /xyz@phoihop_bot"
    )


async def test_error_is_apologised_for_and_logged_without_token(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    nam = h.user(1004, "Nam")
    h.emu.fail_next("sendMessage", status=400, description="Bad Request: something odd")
    with caplog.at_level(logging.INFO):
        replies = await nam.send("/help")
    assert text_of(replies[-1]).startswith("Xin lỗi, phía tôi vừa gặp lỗi.")
    assert any("unhandled error" in r.getMessage() for r in caplog.records)
    assert h.emu.token not in caplog.text


async def test_the_apology_speaks_the_persons_language(h: Harness) -> None:
    """Issue 15 §6: an English user got "Xin lỗi, phía tôi vừa gặp lỗi…": every reply, the
    error handler's too, is in the person's language."""
    anna = h.user(1011, "Anna", language_code="en")
    await anna.send("/start")
    h.emu.fail_next("sendMessage", status=400, description="Bad Request: something odd")
    replies = await anna.send("/help")
    assert text_of(replies[-1]).startswith("Sorry, something went wrong on my side.")
