"""The emulator over raw HTTP (httpx): wire format, Telegram rules, long polling, faults."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from bot.emulator import BotApiEmulator

from .conftest import Api, FakeClock


def user_message(emu: BotApiEmulator, user_id: int, text: str, message_id: int = 1) -> int:
    """Queue a private message from a user (which opens the private chat for the bot)."""
    return emu.push_update(
        {
            "message": {
                "message_id": message_id,
                "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
                "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
                "date": 1_750_000_000,
                "text": text,
            }
        }
    )


async def test_get_me_wrong_token_and_unknown_method(emu: BotApiEmulator, api: Api) -> None:
    me = await api.ok("getMe")
    assert me["id"] == emu.bot_id and me["is_bot"] is True and me["username"] == "phoihop_bot"
    assert me["can_read_all_group_messages"] is False

    async with httpx.AsyncClient() as client:
        response = await client.get(f"{emu.base_url}{emu.token}/getme")  # case-insensitive, GET
        assert response.json()["result"]["first_name"] == "Phối hợp"
        response = await client.post(f"{emu.base_url}123:wrong/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await client.post(f"{emu.base_url}{emu.token}/sendTelepathy")
        assert response.status_code == 404
        assert response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }


async def test_form_encoding_is_decoded_like_ptb_sends_it(emu: BotApiEmulator) -> None:
    user_message(emu, 2001, "hi")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{emu.base_url}{emu.token}/sendMessage",
            data={"chat_id": "2001", "text": "123", "reply_markup": json.dumps(markup)},
        )
    result = response.json()["result"]
    assert result["text"] == "123"  # stays a string
    assert result["chat"] == {"id": 2001, "first_name": "U2001", "type": "private"}
    assert result["reply_markup"] == markup
    assert result["from"]["is_bot"] is True
    method, params = emu.calls[-1]
    assert (
        method == "sendMessage" and params["chat_id"] == 2001 and params["reply_markup"] == markup
    )
    [message] = emu.messages(2001)
    assert message.button("A")["callback_data"] == "a"


async def test_long_poll_offset_confirmation_and_wait_delivered(
    emu: BotApiEmulator, api: Api
) -> None:
    poll = asyncio.create_task(api.ok("getUpdates", timeout=5))
    await emu.wait_polling()
    first = user_message(emu, 2002, "/start")
    [update] = await poll
    assert update["update_id"] == first
    assert update["message"]["text"] == "/start"

    with pytest.raises(TimeoutError, match=f"update {first} was not confirmed"):
        await emu.wait_delivered(first, timeout=0.01)
    # Without an offset, unconfirmed updates are returned again.
    assert [u["update_id"] for u in await api.ok("getUpdates")] == [first]
    second = user_message(emu, 2002, "again", message_id=2)
    assert await api.ok("getUpdates", offset=first + 1) == [
        {"update_id": second, "message": (await api.ok("getUpdates"))[0]["message"]}
    ]
    await emu.wait_delivered(first)
    assert await api.ok("getUpdates", offset=second + 1, timeout=0) == []
    await emu.wait_delivered(second)


async def test_limit_negative_offset_and_allowed_updates(emu: BotApiEmulator, api: Api) -> None:
    ids = [user_message(emu, 2003, f"m{i}", message_id=i + 1) for i in range(3)]
    assert [u["update_id"] for u in await api.ok("getUpdates", limit=2)] == ids[:2]
    assert [u["update_id"] for u in await api.ok("getUpdates", offset=-1)] == ids[2:]
    await emu.wait_delivered(ids[0])  # dropped by the negative offset: resolved

    # chat_member is not generated unless the bot asked for it.
    skipped = emu.push_update({"chat_member": {"chat": {"id": -1, "type": "group"}}})
    await emu.wait_delivered(skipped)
    await api.ok("getUpdates", offset=ids[2] + 1, allowed_updates=["message", "chat_member"])
    wanted = emu.push_update({"chat_member": {"chat": {"id": -1, "type": "group"}}})
    assert [u["update_id"] for u in await api.ok("getUpdates")] == [wanted]


async def test_second_long_poll_terminates_the_first_and_stop_releases(
    emu: BotApiEmulator, api: Api
) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=5))
    await emu.wait_polling()
    second = asyncio.create_task(api.ok("getUpdates", timeout=5))
    status, body = await first
    assert status == 409 and body["description"].startswith("Conflict: terminated by other")
    await emu.wait_polling()
    await emu.stop()
    assert await second == []


async def test_webhook_blocks_get_updates(emu: BotApiEmulator, api: Api) -> None:
    assert await api.ok("setWebhook", url="https://example.org/hook") is True
    assert (await api.ok("getWebhookInfo"))["url"] == "https://example.org/hook"
    status, description, _ = await api.error("getUpdates")
    assert status == 409 and "webhook is active" in description
    user_message(emu, 2004, "x")
    assert await api.ok("deleteWebhook", drop_pending_updates=True) is True
    assert await api.ok("getUpdates") == []
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_send_rules_for_private_chats(emu: BotApiEmulator, api: Api) -> None:
    emu.user(2005, "Known")
    assert await api.error("sendMessage", chat_id=424242, text="x") == (
        400,
        "Bad Request: chat not found",
        {},
    )
    assert await api.error("sendMessage", chat_id=2005, text="x") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
        {},
    )
    user_message(emu, 2005, "/start")
    assert (await api.ok("sendMessage", chat_id=2005, text="ok"))["message_id"] == 2
    assert (await api.error("sendMessage", chat_id=2005, text=""))[1] == (
        "Bad Request: message text is empty"
    )
    assert (await api.error("sendMessage", chat_id=2005))[1] == "Bad Request: message text is empty"
    assert (await api.error("sendMessage", text="x"))[1] == "Bad Request: chat_id is empty"
    await api.ok("sendMessage", chat_id=2005, text="😀" * 2048)  # 4096 UTF-16 units
    # Telegram counts the parsed text: tags count nothing, an entity one character.
    await api.ok("sendMessage", chat_id=2005, text="<b>&amp;</b>" * 4096, parse_mode="HTML")
    assert (
        await api.error("sendMessage", chat_id=2005, text="<b>&amp;</b>" * 4097, parse_mode="HTML")
    )[1] == "Bad Request: message is too long"
    assert (await api.error("sendMessage", chat_id=2005, text="😀" * 2049))[1] == (
        "Bad Request: message is too long"
    )
    emu.block(2005)
    assert await api.error("sendMessage", chat_id=2005, text="x") == (
        403,
        "Forbidden: bot was blocked by the user",
        {},
    )
    update = (await api.ok("getUpdates"))[-1]
    member = update["my_chat_member"]
    assert member["old_chat_member"]["status"] == "member"
    assert member["new_chat_member"] == {
        "user": {
            "id": emu.bot_id,
            "is_bot": True,
            "first_name": "Phối hợp",
            "username": "phoihop_bot",
        },
        "status": "kicked",
        "until_date": 0,
    }
    assert member["chat"]["type"] == "private" and member["from"]["id"] == 2005
    emu.unblock(2005)
    await api.ok("sendMessage", chat_id=2005, text="welcome back")


async def test_html_parse_errors_and_entities(emu: BotApiEmulator, api: Api) -> None:
    user_message(emu, 2006, "/start")

    async def html_error(text: str) -> str:
        status, description, _ = await api.error(
            "sendMessage", chat_id=2006, text=text, parse_mode="HTML"
        )
        assert status == 400
        return description

    assert await html_error("<b>đậm") == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert await html_error("<b>x</i>") == (
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "
        '"</b>", found "</i>"'
    )
    assert await html_error("Tổ < 5") == (
        'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 5'
    )
    assert await html_error("<div>x</div>") == (
        'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0'
    )
    result = await api.ok(
        "sendMessage",
        chat_id=2006,
        text='😀 <b>Tổ <i>3</i></b> &lt;ok&gt; <a href="https://t.me/x">link</a>',
        parse_mode="HTML",
    )
    assert result["text"] == "😀 Tổ 3 <ok> link"
    assert result["entities"] == [
        {"offset": 3, "length": 4, "type": "bold"},
        {"offset": 6, "length": 1, "type": "italic"},
        {"offset": 13, "length": 4, "type": "text_link", "url": "https://t.me/x"},
    ]


async def test_inline_keyboard_validation(emu: BotApiEmulator, api: Api) -> None:
    user_message(emu, 2007, "/start")

    def markup(data: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}

    await api.ok("sendMessage", chat_id=2007, text="x", reply_markup=markup("d" * 64))
    assert (await api.error("sendMessage", chat_id=2007, text="x", reply_markup=markup("d" * 65)))[
        1
    ] == "Bad Request: BUTTON_DATA_INVALID"
    hundred = {"inline_keyboard": [[{"text": "b", "callback_data": "d"}] * 10] * 10}
    await api.ok("sendMessage", chat_id=2007, text="x", reply_markup=hundred)
    more = {"inline_keyboard": [*hundred["inline_keyboard"], [{"text": "b", "callback_data": "d"}]]}
    assert (await api.error("sendMessage", chat_id=2007, text="x", reply_markup=more))[1] == (
        "Bad Request: reply markup is too long"
    )
    bad = {"inline_keyboard": [[{"text": "only text"}]]}
    assert (
        "Text buttons are unallowed"
        in (await api.error("sendMessage", chat_id=2007, text="x", reply_markup=bad))[1]
    )
    assert (
        "Array of Arrays"
        in (
            await api.error(
                "sendMessage", chat_id=2007, text="x", reply_markup={"inline_keyboard": [1]}
            )
        )[1]
    )


async def test_edit_delete_and_callback_answers(emu: BotApiEmulator, api: Api) -> None:
    user_message(emu, 2008, "/start")
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    sent = await api.ok("sendMessage", chat_id=2008, text="Chọn", reply_markup=keyboard)
    mid = sent["message_id"]
    _, description, _ = await api.error(
        "editMessageReplyMarkup", chat_id=2008, message_id=mid, reply_markup=keyboard
    )
    assert description.startswith("Bad Request: message is not modified: specified new message")
    edited = await api.ok("editMessageText", chat_id=2008, message_id=mid, text="Đã chọn")
    assert edited["edit_date"] >= edited["date"] and "reply_markup" not in edited
    assert (await api.error("editMessageText", chat_id=2008, message_id=1, text="x"))[1] == (
        "Bad Request: message can't be edited"
    )
    [message] = emu.messages(2008)
    assert message.text == "Đã chọn" and message.edited and message.inline_buttons == []

    assert await api.ok("deleteMessage", chat_id=2008, message_id=mid) is True
    assert emu.messages(2008) == []
    assert (await api.error("deleteMessage", chat_id=2008, message_id=mid))[1] == (
        "Bad Request: message to delete not found"
    )
    assert (await api.error("answerCallbackQuery", callback_query_id="123"))[1] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_multipart_upload_get_file_and_download(emu: BotApiEmulator) -> None:
    user_message(emu, 2009, "/start")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{emu.base_url}{emu.token}/sendDocument",
            data={"chat_id": "2009", "caption": "<b>Danh sách</b>", "parse_mode": "HTML"},
            files={"document": ("danh-sach.csv", b"ho_ten\nAn\n", "application/octet-stream")},
        )
        message = response.json()["result"]
        document = message["document"]
        assert document["file_name"] == "danh-sach.csv"
        assert document["mime_type"] == "text/csv"
        assert document["file_size"] == 10
        assert message["caption"] == "Danh sách"
        assert message["caption_entities"] == [{"offset": 0, "length": 9, "type": "bold"}]

        response = await client.post(
            f"{emu.base_url}{emu.token}/getFile", json={"file_id": document["file_id"]}
        )
        file_path = response.json()["result"]["file_path"]
        assert file_path.startswith("documents/")
        download = await client.get(f"{emu.base_file_url}{emu.token}/{file_path}")
        assert download.status_code == 200 and download.content == b"ho_ten\nAn\n"
        missing = await client.get(f"{emu.base_file_url}{emu.token}/documents/nope")
        assert missing.status_code == 404

        response = await client.post(
            f"{emu.base_url}{emu.token}/sendPhoto",
            data={"chat_id": "2009", "caption": "x" * 1025},
            files={"photo": ("p.png", b"\x89PNG", "image/png")},
        )
        assert response.json()["description"] == "Bad Request: message caption is too long"
        assert (
            await client.post(f"{emu.base_url}{emu.token}/sendPhoto", json={"chat_id": 2009})
        ).json()["description"] == "Bad Request: there is no photo in the request"
    [sent] = emu.messages(2009)
    assert sent.document is not None and sent.document["data"] == b"ho_ten\nAn\n"


def png_header(width: int, height: int, size: int = 64) -> bytes:
    """The first bytes of a PNG of that size (what Telegram reads the dimensions from)."""
    head = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR"
    head += width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return head + b"\x00" * max(size - len(head), 0)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (png_header(6000, 4001), "PHOTO_INVALID_DIMENSIONS"),  # width + height above 10,000
        (png_header(2100, 100), "PHOTO_INVALID_DIMENSIONS"),  # sides more than 20:1
        (b"%PDF-1.4 not a picture", "IMAGE_PROCESS_FAILED"),
        (png_header(800, 600, 10 * 1024 * 1024 + 1), "PHOTO_SAVE_FILE_INVALID"),  # above 10 MB
    ],
)
async def test_send_photo_keeps_telegrams_limits(
    emu: BotApiEmulator, data: bytes, error: str
) -> None:
    user_message(emu, 2010, "/start")
    async with httpx.AsyncClient() as client:
        refused = await client.post(
            f"{emu.base_url}{emu.token}/sendPhoto",
            data={"chat_id": "2010"},
            files={"photo": ("chart.png", data, "image/png")},
        )
        assert refused.json()["description"] == f"Bad Request: {error}"
        # The same bytes go as a file (sendDocument has no such limits below 50 MB).
        taken = await client.post(
            f"{emu.base_url}{emu.token}/sendDocument",
            data={"chat_id": "2010"},
            files={"document": ("chart.png", data, "image/png")},
        )
        assert taken.json()["ok"]
        fits = await client.post(
            f"{emu.base_url}{emu.token}/sendPhoto",
            data={"chat_id": "2010"},
            files={"photo": ("chart.png", png_header(1600, 900), "image/png")},
        )
        assert fits.json()["result"]["photo"][-1]["width"] == 1600
    assert [m.photo is not None for m in emu.messages(2010)] == [False, True]


async def test_chat_member_shapes_and_get_chat(emu: BotApiEmulator, api: Api) -> None:
    owner = emu.user(2010, "Chủ")
    admin = emu.user(2011, "Phó")
    banned = emu.user(2012, "Bị cấm")
    group = emu.group(-5001, "Chi hội")
    emu.set_member_status(group.id, owner.id, "creator")
    emu.set_member_status(group.id, admin.id, "administrator")
    emu.set_member_status(group.id, banned.id, "kicked")

    creator = await api.ok("getChatMember", chat_id=group.id, user_id=owner.id)
    assert creator == {
        "user": {"id": 2010, "is_bot": False, "first_name": "Chủ"},
        "status": "creator",
        "is_anonymous": False,
    }
    administrator = await api.ok("getChatMember", chat_id=group.id, user_id=admin.id)
    assert administrator["status"] == "administrator"
    assert administrator["can_delete_messages"] is True
    assert administrator["can_promote_members"] is False
    assert administrator["can_be_edited"] is False and "can_pin_messages" in administrator
    kicked = await api.ok("getChatMember", chat_id=group.id, user_id=banned.id)
    assert kicked["status"] == "kicked" and kicked["until_date"] == 0
    bot = await api.ok("getChatMember", chat_id=group.id, user_id=emu.bot_id)
    assert bot["status"] == "left" and bot["user"]["is_bot"] is True
    assert (await api.error("getChatMember", chat_id=group.id, user_id=777))[1] == (
        "Bad Request: user not found"
    )

    chat = await api.ok("getChat", chat_id=group.id)
    assert chat["type"] == "group" and chat["title"] == "Chi hội"
    assert chat["accent_color_id"] == 0 and "accepted_gift_types" in chat
    private = await api.ok("getChat", chat_id=owner.id)
    assert private == private | {"id": 2010, "type": "private", "first_name": "Chủ"}
    assert (await api.error("getChat", chat_id=-999))[1] == "Bad Request: chat not found"


async def test_group_send_rules_kick_and_migration(emu: BotApiEmulator, api: Api) -> None:
    group = emu.group(-5002, "Tổ 7")
    assert await api.error("sendMessage", chat_id=group.id, text="x") == (
        403,
        "Forbidden: bot is not a member of the group chat",
        {},
    )
    emu.set_member_status(group.id, emu.bot_id, "member")
    await api.ok("sendMessage", chat_id=group.id, text="chào tổ")
    emu.migrate_group(group.id, -1005002)
    assert await api.error("sendMessage", chat_id=-5002, text="x") == (
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": -1005002},
    )
    updates = await api.ok("getUpdates")
    assert updates[0]["message"]["migrate_to_chat_id"] == -1005002
    assert updates[1]["message"]["migrate_from_chat_id"] == -5002
    assert updates[1]["message"]["chat"]["type"] == "supergroup"
    await api.ok("sendMessage", chat_id=-1005002, text="chào siêu nhóm")

    emu.remove_bot_from_group(-1005002)
    assert await api.error("sendMessage", chat_id=-1005002, text="x") == (
        403,
        "Forbidden: bot was kicked from the supergroup chat",
        {},
    )
    last = (await api.ok("getUpdates", offset=updates[-1]["update_id"] + 1))[-1]
    assert last["my_chat_member"]["new_chat_member"]["status"] == "kicked"


async def test_fault_injection(emu: BotApiEmulator, api: Api) -> None:
    emu.fail_next("getMe", count=2)
    for _ in range(2):
        assert await api.error("getMe") == (500, "Internal Server Error", {})
    await api.ok("getMe")
    emu.fail_next("getme", status=429, retry_after=3)
    assert await api.error("getMe") == (429, "Too Many Requests: retry after 3", {"retry_after": 3})
    emu.fail_next("getMe", status=400, description="Bad Request: something odd")
    assert (await api.error("getMe"))[1] == "Bad Request: something odd"
    assert emu.stats["429"] == 1


async def test_flood_limits_per_group_and_global(clock: FakeClock) -> None:
    async with BotApiEmulator(clock=clock, enforce_limits=True) as emu, httpx.AsyncClient() as c:
        api = Api(c, emu)
        group = emu.group(-5003, "Đông người")
        emu.set_member_status(group.id, emu.bot_id, "member")
        for i in range(3):  # a burst of 3, then about one a second in any chat
            await api.ok("sendMessage", chat_id=group.id, text=f"{i}")
        assert await api.error("sendMessage", chat_id=group.id, text="x") == (
            429,
            "Too Many Requests: retry after 1",
            {"retry_after": 1},
        )
        for i in range(3, 20):
            clock.advance(1)
            await api.ok("sendMessage", chat_id=group.id, text=f"{i}")
        clock.advance(
            1
        )  # 20 in the last 17 s: the group's minute is full until the first is 60 s old
        assert await api.error("sendMessage", chat_id=group.id, text="21") == (
            429,
            "Too Many Requests: retry after 42",
            {"retry_after": 42},
        )
        clock.advance(42)
        await api.ok("sendMessage", chat_id=group.id, text="21")

        clock.advance(60)
        users = list(range(3001, 3032))
        for uid in users:
            user_message(emu, uid, "/start")
        for uid in users[:30]:
            await api.ok("sendMessage", chat_id=uid, text="tin")
        status, _, parameters = await api.error("sendMessage", chat_id=users[30], text="x")
        assert status == 429 and parameters == {"retry_after": 1}
        assert emu.stats == {"sent": 51, "429": 3}


async def test_web_app_buttons_only_in_private_chats(emu: BotApiEmulator, api: Api) -> None:
    """As Telegram: a web_app inline button in a group is BUTTON_TYPE_INVALID; its URL is https."""
    user_message(emu, 2008, "/start")
    group = emu.group(-5002, "Ban Thường trực")
    emu.set_member_status(group.id, emu.bot_id, "member")

    def markup(url: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "Bảng điều khiển", "web_app": {"url": url}}]]}

    sent = await api.ok(
        "sendMessage", chat_id=2008, text="x", reply_markup=markup("https://a.example/app/")
    )
    assert sent["reply_markup"]["inline_keyboard"][0][0]["web_app"]["url"].startswith("https")
    refused = await api.error(
        "sendMessage", chat_id=2008, text="x", reply_markup=markup("http://a.example/")
    )
    assert refused[1] == "Bad Request: BUTTON_URL_INVALID"
    refused = await api.error(
        "sendMessage", chat_id=group.id, text="x", reply_markup=markup("https://a.example/app/")
    )
    assert refused[1] == "Bad Request: BUTTON_TYPE_INVALID"
    refused = await api.error(
        "editMessageReplyMarkup",
        chat_id=2008,
        message_id=sent["message_id"],
        reply_markup=markup("http://a.example/"),
    )
    assert refused[1] == "Bad Request: BUTTON_URL_INVALID"
