"""Onboarding end to end through the Bot API emulator: invites, /start, /help, /me, /language,
/cancel — in both languages, with every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.harness import Harness, text_of

YEN_NGUYEN = "02365"
THON_1 = "02365-t1"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def test_invite_link_joins_in_vietnamese(h: Harness) -> None:
    code = await h.invite(THON_1, "cadre")
    son = h.user(2001, "Sơn", language_code="vi")
    replies = await son.send(f"/start {code}")
    assert len(replies) == 1
    assert (
        "Chào mừng Sơn! Bạn đã được thêm vào Ban Công tác Mặt trận thôn Cầu Bâm với vai trò cán bộ."
        in text_of(replies[0])
    )
    assert replies[0].keyboard == [
        ["Ghi hoạt động", "Báo cáo"],
        ["Lịch họp", "Tổng hợp"],
        ["Kiến nghị"],
    ]
    me = await son.send("/me")
    assert "cán bộ — Ban Công tác Mặt trận thôn Cầu Bâm" in text_of(me[0])
    assert "Ngôn ngữ: Tiếng Việt" in text_of(me[0])


async def test_invite_link_joins_in_english(h: Harness) -> None:
    code = await h.invite(YEN_NGUYEN, "admin")
    anna = h.user(2002, "Anna", language_code="en-US")
    replies = await anna.send(f"/start {code}")
    assert "Welcome, Anna! You are now unit leader of Ủy ban MTTQ xã Yên Nguyên." in text_of(
        replies[0]
    )
    assert replies[0].keyboard == [
        ["Log activity", "Reports"],
        ["Meetings", "Totals"],
        ["Recommendations"],
    ]
    help_text = text_of((await anna.send("/help"))[0])
    assert "/invite — Make an invite link (unit leaders)" in help_text


async def test_used_up_expired_forged_and_malformed_codes(h: Harness) -> None:
    code = await h.invite(THON_1, "cadre", uses=1)
    first, second = h.user(2003, "Hà"), h.user(2004, "Minh")
    assert "Chào mừng" in text_of((await first.send(f"/start {code}"))[0])
    used = text_of((await second.send(f"/start {code}"))[0])
    assert used.startswith("Lời mời này đã được dùng hết số lần cho phép.")
    assert second.last is not None and not second.last.keyboard

    expiring = await h.invite(THON_1, "cadre", days=1)
    h.clock.advance(days=1, seconds=1)
    assert text_of((await second.send(f"/start {expiring}"))[0]).startswith(
        "Lời mời này đã hết hạn."
    )

    forged = "Zz" * 21
    assert text_of((await second.send(f"/start {forged}"))[0]).startswith(
        "Tôi không tìm thấy lời mời này."
    )
    for payload in ("bad!code", "x" * 65, "two words"):
        text = text_of((await second.send(f"/start {payload}"))[0])
        assert text.startswith("Đường dẫn này không phải lời mời hợp lệ."), payload
    # Nothing was granted along the way.
    assert "Bạn chưa thuộc đơn vị nào" in text_of((await second.send("/me"))[0])


async def test_reopening_the_link_does_not_use_it_up(h: Harness) -> None:
    code = await h.invite(THON_1, "cadre", uses=2)
    lan = h.user(2005, "Lan")
    await lan.send(f"/start {code}")
    again = text_of((await lan.send(f"/start {code}"))[0])
    assert "với vai trò cán bộ rồi" in again
    other = h.user(2006, "Tú")
    assert "Chào mừng Tú!" in text_of((await other.send(f"/start {code}"))[0])


async def test_start_without_code_for_a_stranger_and_a_member(h: Harness) -> None:
    stranger = h.user(2007, "Khách", language_code=None)
    text = text_of((await stranger.send("/start"))[0])
    assert text.startswith("Xin chào Khách!")
    assert "Bạn chưa thuộc đơn vị nào" in text
    nam = h.user(1004, "Lê Văn", language_code="vi")
    reply = (await nam.send("/start"))[0]
    assert text_of(reply).startswith("Xin chào Lê Văn!") and reply.keyboard


async def test_help_lists_only_what_the_role_allows(h: Harness) -> None:
    cadre = text_of((await h.user(1004, "Nam").send("/help"))[0])
    admin = text_of((await h.user(1002, "Lan").send("/help"))[0])
    stranger = text_of((await h.user(2008, "Khách").send("/help"))[0])
    assert "/invite" not in cadre and "/invite" in admin and "/invite" not in stranger
    for text in (cadre, admin, stranger):
        assert "/me — Đơn vị và vai trò của bạn" in text
    assert "hãy mở đường dẫn mời" in stranger


async def test_language_switch_by_button_and_argument(h: Harness) -> None:
    nam = h.user(1004, "Nam", language_code="vi")
    choose = (await nam.send("/language"))[0]
    assert [b["text"] for row in choose.inline_buttons for b in row] == ["Tiếng Việt", "English"]
    switched = await nam.press("English")
    assert switched[-1].text == "From now on I will speak English with you."
    assert switched[-1].keyboard == [
        ["Log activity", "Reports"],
        ["Meetings", "Totals"],
        ["Recommendations"],
    ]
    assert "Your units:" in text_of((await nam.send("/me"))[0])
    assert (await nam.send("/language vi"))[0].text == "Từ giờ tôi sẽ nói tiếng Việt với bạn."
    assert text_of((await nam.send("/language fr"))[0]).startswith(
        "Tôi nói được Tiếng Việt (vi) và English (en)."
    )
    # The choice is stored, not remembered in memory: it survives a restart.
    await nam.send("/language en")
    await h.restart()
    assert text_of((await nam.send("/help"))[0]).startswith("What you can do:")


async def test_cancel_outside_and_inside_a_flow(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    assert (await lan.send("/cancel"))[0].text == "Không có gì để hủy."
    await lan.send("/invite")
    cancelled = text_of((await lan.send("/cancel"))[0])
    assert cancelled == "Đã hủy. Các câu trả lời vẫn được giữ: gõ /invite để làm tiếp."
    assert text_of((await lan.send("5"))[0]).startswith("Tôi chưa hiểu ý bạn.")


async def test_expired_invite_message_in_english(h: Harness) -> None:
    code = await h.invite(THON_1, "cadre", days=1)
    h.clock.advance(timedelta(days=2))
    anna = h.user(2009, "Anna", language_code="en")
    assert (await anna.send(f"/start {code}"))[
        0
    ].text == "This invite has expired. Ask your unit's leader for a new link."


async def test_commands_are_registered_in_both_languages(h: Harness) -> None:
    scopes = {key for key in h.emu.my_commands}
    private_vi = h.emu.my_commands[('{"type": "all_private_chats"}', "")]
    private_en = h.emu.my_commands[('{"type": "all_private_chats"}', "en")]
    assert {c["command"] for c in private_vi} == {
        "start",
        "help",
        "me",
        "language",
        "cancel",
        "invite",
        "members",
        "log",
        "mine",
        "back",
        "skip",
        "report",
        "round",
        "review",
        "status",
        "totals",
        "export",
        "meeting",
        "meetings",
        "petition",
        "link",
        "unlink",
        "settings",
        "digest",
        "forgetme",
    }
    assert {c["description"] for c in private_en} >= {"Your units and roles"}
    assert {c["description"] for c in private_vi} >= {"Đơn vị và vai trò của bạn"}
    assert ('{"type": "all_chat_administrators"}', "en") in scopes
