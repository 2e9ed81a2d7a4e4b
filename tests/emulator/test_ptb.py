"""A real python-telegram-bot Application against the emulator: proves PTB parses everything."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    MenuButtonDefault,
    MenuButtonWebApp,
    ReplyKeyboardMarkup,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotApiEmulator

from .conftest import FakeClock, running_bot

App = Application[Any, Any, Any, Any, Any, Any]


def echo_and_menu_bot(seen: list[Update]) -> Any:
    """Echo bot with an inline-keyboard menu, a document sender and a photo inspector."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        seen.append(update)
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Đồng ý ✅", callback_data="agree"),
                    InlineKeyboardButton("Từ chối", callback_data="decline"),
                ],
                [InlineKeyboardButton("Trang web", url="https://example.org")],
            ]
        )
        await update.message.reply_html(
            f"Xin chào <b>{update.effective_user.first_name}</b>!", reply_markup=keyboard
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        seen.append(update)
        await query.answer("Đã ghi nhận")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    async def send_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_document(
            io.BytesIO("Báo cáo tổ 3\n".encode()), filename="bao-cao.txt", caption="Báo cáo"
        )

    async def keyboard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(
            "Chọn:", reply_markup=ReplyKeyboardMarkup([["Có", "Không"]], resize_keyboard=True)
        )

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        photo = update.message.photo[-1]
        data = await (await photo.get_file()).download_as_bytearray()
        await update.message.reply_text(f"ảnh {photo.width}x{photo.height}, {len(data)} byte")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.append(update)
        if update.edited_message is not None:
            await update.edited_message.reply_text(f"sửa: {update.edited_message.text}")
        else:
            await update.effective_message.reply_text(update.effective_message.text or "")

    async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        if update.effective_message is not None and update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, "Không hiểu")

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    def setup(app: App) -> None:
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CommandHandler("file", send_file))
        app.add_handler(CommandHandler("keyboard", keyboard))
        app.add_handler(CallbackQueryHandler(on_button))
        app.add_handler(MessageHandler(filters.PHOTO, on_photo))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(MessageHandler(filters.ALL, on_other))

    return setup


async def test_command_keyboard_callback_and_edit(emu: BotApiEmulator) -> None:
    seen: list[Update] = []
    async with running_bot(emu, echo_and_menu_bot(seen)) as app:
        assert app.bot.username == "phoihop_bot"
        assert app.bot.first_name == "Phối hợp"
        alice = emu.user(1001, "Alice", last_name="Nguyễn", language_code="vi")

        [greeting] = await alice.send("/start")
        assert greeting.text == "Xin chào Alice!"
        assert greeting.source == "Xin chào <b>Alice</b>!"
        assert greeting.entities == [{"offset": 9, "length": 5, "type": "bold"}]
        assert [b["text"] for b in greeting.inline_buttons[0]] == ["Đồng ý ✅", "Từ chối"]
        assert greeting.parse_mode == "HTML"
        _, params = [c for c in emu.calls if c[0] == "sendMessage"][-1]
        assert params["chat_id"] == 1001 and params["reply_markup"]["inline_keyboard"]

        message = seen[0].message
        assert message is not None and message.from_user is not None
        assert message.entities[0].type == "bot_command" and message.entities[0].offset == 0
        assert message.from_user.language_code == "vi" and not message.from_user.is_bot
        assert message.chat.type == "private" and message.chat.id == 1001
        assert message.date.timestamp() == int(emu._clock())

        [edited] = await alice.press("Đồng ý")
        assert edited.message_id == greeting.message_id
        assert edited.text == "Bạn chọn: agree" and edited.edited
        assert edited.inline_buttons == []  # editMessageText without markup drops the keyboard
        query = seen[1].callback_query
        assert query is not None and query.chat_instance and query.data == "agree"
        assert query.message is not None and query.message.message_id == greeting.message_id
        assert alice.last_answer is not None and alice.last_answer["text"] == "Đã ghi nhận"
        assert emu.callback_answers[-1]["callback_query_id"] == query.id
        assert [m.text for m in alice.history()] == ["Bạn chọn: agree"]

        [echoed] = await alice.send("chào bot")
        assert echoed.text == "chào bot"
        [after_edit] = await alice.edit("chào bot", "chào lại")
        assert after_edit.text == "sửa: chào lại"

        [unknown] = await alice.send_sticker()
        assert unknown.text == "Không hiểu"
        assert seen[-1].message is not None and seen[-1].message.sticker is not None


async def test_document_round_trip_and_photo_download(emu: BotApiEmulator) -> None:
    async with running_bot(emu, echo_and_menu_bot([])):
        bob = emu.user(1002, "Bob")
        [doc] = await bob.send("/file")
        assert doc.document is not None
        assert doc.document["file_name"] == "bao-cao.txt"
        assert doc.document["mime_type"] == "text/plain"
        assert doc.document["data"] == "Báo cáo tổ 3\n".encode()
        assert doc.text == "Báo cáo"

        [reply] = await bob.send_photo()
        assert reply.text == "ảnh 1x1, 68 byte"

        [kb] = await bob.send("/keyboard")
        assert kb.keyboard == [["Có", "Không"]]
        assert "reply_markup" not in kb.raw  # Telegram only echoes inline keyboards


async def test_document_file_id_resend_and_get_file(emu: BotApiEmulator) -> None:
    async with running_bot(emu, lambda app: None) as app:
        carol = emu.user(1003, "Carol")
        await carol.send("hi")  # opens the private chat
        sent = await app.bot.send_document(carol.id, b"%PDF-1.4 ...", filename="kehoach.pdf")
        assert sent.document is not None and sent.document.mime_type == "application/pdf"
        again = await app.bot.send_document(carol.id, sent.document.file_id)
        assert again.document is not None
        assert again.document.file_unique_id == sent.document.file_unique_id
        tg_file = await app.bot.get_file(sent.document.file_id)
        assert bytes(await tg_file.download_as_bytearray()) == b"%PDF-1.4 ..."
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await app.bot.send_document(carol.id, "BQACAgIAAxkBAAInvalid")


async def test_set_my_commands_per_scope_and_language(emu: BotApiEmulator) -> None:
    async with running_bot(emu, lambda app: None) as app:
        group = emu.group(-4001, "Tổ 1")
        await app.bot.set_my_commands([BotCommand("start", "Bắt đầu")])
        await app.bot.set_my_commands(
            [BotCommand("start", "Start"), BotCommand("help", "Help")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="en",
        )
        await app.bot.set_my_commands(
            [BotCommand("baocao", "Báo cáo")], scope=BotCommandScopeChat(group.id)
        )
        assert emu.my_commands[('{"type": "default"}', "")] == [
            {"command": "start", "description": "Bắt đầu"}
        ]
        assert [c["command"] for c in emu.my_commands[('{"type": "all_private_chats"}', "en")]] == [
            "start",
            "help",
        ]
        assert (f'{{"chat_id": {group.id}, "type": "chat"}}', "") in emu.my_commands
        commands = await app.bot.get_my_commands(
            scope=BotCommandScopeAllPrivateChats(), language_code="en"
        )
        assert [c.command for c in commands] == ["start", "help"]
        assert await app.bot.get_my_commands(language_code="vi") == ()
        await app.bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
        assert ('{"type": "all_private_chats"}', "en") not in emu.my_commands
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await app.bot.set_my_commands([BotCommand("Bad-Command", "x")])


# PTB 22 warns about RetryAfter.retry_after becoming a timedelta while constructing it.
_RETRY_AFTER_WARNING = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@_RETRY_AFTER_WARNING
async def test_errors_surface_as_ptb_exceptions(emu: BotApiEmulator) -> None:
    async with running_bot(emu, lambda app: None) as app:
        dave = emu.user(1004, "Dave")
        with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
            await app.bot.send_message(dave.id, "hello")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(99999, "hello")
        await dave.send("/start")
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await app.bot.send_message(dave.id, "a" * 4097)
        await app.bot.send_message(dave.id, "a" * 4096)
        with pytest.raises(BadRequest, match=r"(?i)can.t parse entities: Unsupported start tag"):
            await app.bot.send_message(dave.id, "1 <br> 2", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)Character '.' is reserved"):
            await app.bot.send_message(dave.id, "Xong.", parse_mode=ParseMode.MARKDOWN_V2)
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await app.bot.send_message(
                dave.id,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("b", callback_data="é" * 33)]]
                ),
            )
        sent = await app.bot.send_message(dave.id, "same")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_text("same", chat_id=dave.id, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await app.bot.edit_message_text("x", chat_id=dave.id, message_id=9999)

        emu.fail_next("sendMessage", status=429, retry_after=7)
        with pytest.raises(RetryAfter) as retry:
            await app.bot.send_message(dave.id, "later")
        assert retry.value.retry_after in (7, timedelta(seconds=7))
        assert emu.stats["429"] == 1

        emu.block(dave.id)
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await app.bot.send_message(dave.id, "still there?")


@_RETRY_AFTER_WARNING
async def test_enforce_limits_gives_retry_after(clock: FakeClock) -> None:
    emu = BotApiEmulator(clock=clock, enforce_limits=True)
    async with emu, running_bot(emu, lambda app: None) as app:
        erin = emu.user(1005, "Erin")
        await erin.send("/start")
        for i in range(3):  # burst of 3 allowed in a private chat
            await app.bot.send_message(erin.id, f"tin {i}")
        with pytest.raises(RetryAfter) as retry:
            await app.bot.send_message(erin.id, "quá nhanh")
        assert retry.value.retry_after in (1, timedelta(seconds=1))
        clock.advance(1)
        await app.bot.send_message(erin.id, "ok")
        assert emu.stats == {"sent": 4, "429": 1}


async def test_group_membership_privacy_kick_and_migration(emu: BotApiEmulator) -> None:
    seen: list[Update] = []
    async with running_bot(emu, echo_and_menu_bot(seen)) as app:
        owner = emu.user(1006, "Owner", username="owner_vn")
        group = emu.group(-4002, "Tổ dân phố 5")
        with pytest.raises(RuntimeError, match=r"(?i)add_bot"):
            await owner.send("/start", chat=group)
        emu.set_member_status(group.id, owner.id, "creator")
        await group.add_bot(owner)
        update = seen[-2]
        assert update.my_chat_member is not None
        assert update.my_chat_member.new_chat_member.status == "member"
        assert update.my_chat_member.old_chat_member.status == "left"
        assert seen[-1].message is not None and seen[-1].message.new_chat_members[0].is_bot

        [hello] = await owner.send("/start@phoihop_bot", chat=group)
        assert hello.chat_id == group.id and hello.text == "Xin chào Owner!"
        assert hello.raw["reply_to_message"]["text"] == "/start@phoihop_bot"  # PTB quotes in groups
        assert seen[-1].message is not None and seen[-1].message.chat.type == "group"
        assert await owner.send("chuyện phiếm", chat=group) == []  # privacy mode
        [echo] = await owner.send("trả lời bot", chat=group, reply_to=hello)
        assert echo.text == "trả lời bot"

        member = await app.bot.get_chat_member(group.id, owner.id)
        assert member.status == "creator"
        chat = await app.bot.get_chat(group.id)
        assert chat.title == "Tổ dân phố 5" and chat.type == "group"

        emu.migrate_group(group.id, -1001234567890)
        await emu.settle()
        assert group.id == -1001234567890 and group.type == "supergroup"
        with pytest.raises(ChatMigrated) as migrated:
            await app.bot.send_message(-4002, "cũ")
        assert migrated.value.new_chat_id == -1001234567890
        await app.bot.send_message(group.id, "mới")

        emu.remove_bot_from_group(group.id)
        await emu.settle()
        assert seen[-1].my_chat_member is not None
        assert seen[-1].my_chat_member.new_chat_member.status == "kicked"
        with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
            await app.bot.send_message(group.id, "còn ai không?")


async def test_chat_menu_button_is_checked_like_telegram(emu: BotApiEmulator) -> None:
    """A web_app menu button needs an https URL and a text; per chat only a private one."""
    async with running_bot(emu, lambda app: None) as app:
        lan = emu.user(5101, "Lan")
        await lan.send("/start")
        group = emu.group(-4101, "Tổ 1")
        dashboard = MenuButtonWebApp("Bảng điều khiển", WebAppInfo("https://x.example/app/"))
        assert await app.bot.set_chat_menu_button(chat_id=lan.id, menu_button=dashboard)
        shown = await app.bot.get_chat_menu_button(chat_id=lan.id)
        assert isinstance(shown, MenuButtonWebApp) and shown.web_app.url == "https://x.example/app/"
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_URL_INVALID"):
            await app.bot.set_chat_menu_button(
                chat_id=lan.id,
                menu_button=MenuButtonWebApp("Bảng", WebAppInfo("http://x.example/app/")),
            )
        with pytest.raises(BadRequest, match=r"(?i)text is empty"):
            await app.bot.set_chat_menu_button(
                chat_id=lan.id, menu_button=MenuButtonWebApp("", WebAppInfo("https://x.example/"))
            )
        with pytest.raises(BadRequest, match=r"(?i)chat is not private"):
            await app.bot.set_chat_menu_button(chat_id=group.id, menu_button=dashboard)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.set_chat_menu_button(chat_id=999999, menu_button=dashboard)
        # Back to the default; the bot's own (no chat) still answers "commands".
        assert await app.bot.set_chat_menu_button(chat_id=lan.id, menu_button=MenuButtonDefault())
        assert isinstance(await app.bot.get_chat_menu_button(chat_id=lan.id), MenuButtonDefault)
        assert isinstance(await app.bot.get_chat_menu_button(), MenuButtonCommands)
