"""Messages whose author Telegram hides: an anonymous group admin writes as the group, and anyone
with a channel may write on the channel's behalf. Nobody can be identified, so every command
addressed to the bot gets one clear sentence instead of an error, a misleading refusal or silence
(issue 15 §4)."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import CommandHandler

from bot.emulator import GroupChat, UserClient
from handlers.access_rules import all_handlers
from storage.models import LinkedChat
from tests.harness import Harness, text_of

HIDDEN = (
    "Tôi không biết ai đã gửi tin này: nó được gửi dưới danh nghĩa nhóm hoặc một kênh. "
    "Hãy gửi lệnh này từ tài khoản cá nhân của bạn."
)


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def group_with_lan(h: Harness) -> tuple[UserClient, GroupChat]:
    lan = h.user(1002, "Lan")  # leader of Ủy ban MTTQ xã Yên Nguyên, an administrator of the group
    group = h.emu.group(-100900, "MTTQ xã Yên Nguyên", supergroup=True)
    await group.add_bot(lan)
    h.emu.set_member_status(group.id, lan.id, "administrator")
    return lan, group


def every_command(h: Harness) -> list[str]:
    assert h.app is not None
    return sorted(
        name
        for _, handler in all_handlers(h.app)
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    )


async def test_every_command_sent_as_the_group_or_a_channel_says_to_use_a_personal_account(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    lan, group = await group_with_lan(h)
    channel = h.emu.channel(-1001234567890, "Bản tin MTTQ xã Yên Nguyên")
    commands = every_command(h)
    assert {"link", "totals", "status", "digest", "me"} <= set(commands)
    with caplog.at_level(logging.ERROR):
        for command in commands:
            for sender in (group, channel):
                replies = await lan.send(f"/{command}", chat=group, as_chat=sender)
                assert [m.text for m in replies] == [HIDDEN], (command, sender)
        addressed = await lan.send(
            "/totals@phoihop_bot Ủy ban MTTQ xã Yên Nguyên", chat=group, as_chat=group
        )
        assert [m.text for m in addressed] == [HIDDEN]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # Nothing was done on nobody's behalf: the group was not linked.
    async with h.db.session() as session:
        assert await session.get(LinkedChat, group.id) is None


async def test_a_reply_to_the_bot_is_answered_and_chatter_is_not(h: Harness) -> None:
    lan, group = await group_with_lan(h)
    h.emu.set_member_status(group.id, h.emu.bot_id, "administrator")  # sees every message
    [help_] = await lan.send("/help", chat=group)
    assert await lan.send("chào cả nhà", chat=group, as_chat=group) == []
    assert await lan.send("/weather@otherbot", chat=group, as_chat=group) == []
    replies = await lan.send("cảm ơn", chat=group, as_chat=group, reply_to=help_)
    assert [m.text for m in replies] == [HIDDEN]


async def test_the_same_person_from_their_own_account_is_served(h: Harness) -> None:
    lan, group = await group_with_lan(h)
    assert [m.text for m in await lan.send("/link", chat=group, as_chat=group)] == [HIDDEN]
    linked = text_of((await lan.send("/link", chat=group))[0])
    assert linked.startswith("Nhóm này đã được liên kết với Ủy ban MTTQ xã Yên Nguyên.")
    assert text_of((await lan.send("/me"))[0])
