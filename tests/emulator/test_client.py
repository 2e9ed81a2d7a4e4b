"""The user-facing client: button lookup, what an action returns, privacy mode, raw updates."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.emulator import BotApiEmulator, BotMessage, ButtonNotFoundError

from .conftest import running_bot

App = Application[Any, Any, Any, Any, Any, Any]


def message_with_buttons(*labels: str) -> BotMessage:
    buttons = [{"text": label, "callback_data": f"cb{i}"} for i, label in enumerate(labels, 1)]
    markup = {"inline_keyboard": [buttons[:2], buttons[2:]]}
    return BotMessage(
        message_id=7,
        chat_id=1,
        text="Chọn",
        reply_markup=markup,
        parse_mode=None,
        document=None,
        photo=None,
        edited=False,
        raw={"message_id": 7, "text": "Chọn", "reply_markup": markup},
    )


def test_button_lookup() -> None:
    message = message_with_buttons("Đồng ý", "Từ chối", "Xem chi tiết")
    assert message.button("Đồng ý")["callback_data"] == "cb1"
    assert message.button("chi tiết")["callback_data"] == "cb3"  # unique substring
    assert message.button(2)["callback_data"] == "cb2"  # flat, 1-based
    with pytest.raises(ButtonNotFoundError, match="'Đồng ý' -> 'cb1'"):
        message.button("Huỷ")
    with pytest.raises(ButtonNotFoundError, match="several buttons contain"):
        message.button("t")
    with pytest.raises(ButtonNotFoundError, match="no button #4"):
        message.button(4)
    assert "[Đồng ý] [Từ chối]" in message.render()


def busy_bot(app: App) -> None:
    """Sends two messages per text, edits the first; buttons edit their own message."""

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        chat_id = update.effective_chat.id
        first = await context.bot.send_message(chat_id, "đang xử lý…")
        await context.bot.send_message(
            chat_id,
            f"nhận: {update.effective_message.text}",
            reply_markup=InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton("Một", callback_data="1")],
                    [InlineKeyboardButton("Web", url="https://example.org")],
                ]
            ),
        )
        await first.edit_text("xong")

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.edit_message_text(f"đã bấm {query.data}")  # deliberately no answer()

    async def on_anything(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.channel_post is not None:
            await context.bot.send_message(1, f"kênh: {update.channel_post.text}")

    app.add_handler(MessageHandler(filters.TEXT, on_text))
    app.add_handler(CallbackQueryHandler(on_press))
    app.add_handler(TypeHandler(Update, on_anything), group=1)


async def test_action_returns_created_and_edited_messages_in_order(emu: BotApiEmulator) -> None:
    async with running_bot(emu, busy_bot):
        user = emu.user(1, "Minh")
        first, second = await user.send("xin chào")
        assert (first.text, first.edited) == ("xong", True)
        assert second.text == "nhận: xin chào"
        assert user.last is not None and user.last.message_id == second.message_id

        [pressed] = await user.press(1)
        assert pressed.message_id == second.message_id and pressed.text == "đã bấm 1"
        assert user.last_answer is None  # the bot forgot answerCallbackQuery
        with pytest.raises(LookupError, match="no bot message with an inline keyboard"):
            await user.press("Một")
        await user.send("lần 2")
        with pytest.raises(ValueError, match="not a callback button"):
            await user.press("Web")
        [again] = await user.press("Một", message=user.history()[-1])
        assert again.text == "đã bấm 1"


async def test_privacy_mode_in_groups(emu: BotApiEmulator) -> None:
    async with running_bot(emu, busy_bot):
        user = emu.user(2, "Lan")
        group = emu.group(-100, "Nhóm")
        await group.add_bot(user)
        assert await user.send("nói chuyện riêng", chat=group) == []
        assert await user.send("/lenh@other_bot", chat=group) == []
        assert len(await user.send("/lenh@phoihop_bot", chat=group)) == 2
        assert len(await user.send("hỏi @phoihop_bot", chat=group)) == 2
        emu.privacy_mode = False
        assert len(await user.send("nói chuyện riêng", chat=group)) == 2
        emu.privacy_mode = True
        emu.set_member_status(group.id, emu.bot_id, "administrator")
        assert len(await user.send("admin thấy hết", chat=group)) == 2
        assert [m.text for m in group.messages()][-1] == "nhận: admin thấy hết"


async def test_raw_updates_and_settle(emu: BotApiEmulator) -> None:
    seen: list[Update] = []

    def setup(app: App) -> None:
        busy_bot(app)

        async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            seen.append(update)

        app.add_handler(TypeHandler(Update, record), group=2)

    async with running_bot(emu, setup):
        user = emu.user(1, "Minh")
        await user.send("/start")
        created = await user.raw(
            {
                "channel_post": {
                    "message_id": 1,
                    "chat": {"id": -1009, "type": "channel", "title": "Kênh"},
                    "date": 1_750_000_000,
                    "text": "tin kênh",
                }
            }
        )
        # raw() reports bot messages in any chat: the echo in the channel, then the DM.
        assert [(m.chat_id, m.text) for m in created] == [
            (-1009, "xong"),
            (-1009, "nhận: tin kênh"),
            (1, "kênh: tin kênh"),
        ]
        emu.block(user.id)
        await emu.settle()
        assert seen[-1].my_chat_member is not None
        assert seen[-1].my_chat_member.new_chat_member.status == "kicked"
        replies = await user.send("mở lại")  # writing again unblocks, as in the apps
        assert [m.text for m in replies] == ["xong", "nhận: mở lại"]
        assert seen[-2].my_chat_member is not None
        assert seen[-2].my_chat_member.new_chat_member.status == "member"
