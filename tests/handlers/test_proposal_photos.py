"""A captioned photo read as an activity (issue 18), through the emulator: a cadre in the field
sends a picture of the visit with "thăm 5 hộ nghèo, tặng quà 2 triệu" under it; the card says a
photo comes with it, and Lưu saves the entry with the photo, as the guided /log saves one whose
photo step got a photo. What is not such a photo is answered as before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.emulator import BotMessage, UserClient
from storage.models import Activity, LogDraft
from storage.models import Proposal as ProposalRow
from tests.harness import Harness, text_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CAPTION = "thăm 5 hộ nghèo, tặng quà 2 triệu"
#: Today's answer to a photo nothing asked for (handlers/router.py).
MEDIA_VI = "Ở đây tôi chỉ đọc được chữ và nút bấm."
MEDIA_EN = "I can only read text and buttons here."


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def activities(h: Harness) -> list[Activity]:
    async with h.db.session() as session:
        return list((await session.scalars(select(Activity).order_by(Activity.id))).all())


async def proposal_photos(h: Harness) -> list[str | None]:
    async with h.db.session() as session:
        return list(await session.scalars(select(ProposalRow.photo_file_id)))


def photos_sent(h: Harness) -> set[str]:
    """The file ids of the photos users sent (the emulator's store)."""
    return {fid for fid, f in h.emu._state.files.items() if f.kind == "photo"}


def labels(message: BotMessage) -> list[str]:
    return [b["text"] for row in message.inline_buttons for b in row]


async def photo_card(user: UserClient, caption: str) -> BotMessage:
    [card] = [m for m in await user.send_photo(PNG, caption=caption) if m.inline_buttons]
    return card


async def test_a_captioned_photo_is_saved_with_its_photo(h: Harness) -> None:
    nam = h.user(1004, "Nam")  # cán bộ of thôn Cầu Bâm: one unit
    card = await photo_card(nam, CAPTION)
    assert text_of(card) == (
        "Lưu hoạt động này?\n\n"
        "Hỗ trợ hộ nghèo, cận nghèo — Ban Công tác Mặt trận thôn Cầu Bâm\n"
        "Số hộ: 5 hộ\nGiá trị hỗ trợ: 2 triệu đồng\n"
        f"Ngày: 16/11/2026\nGhi chú: {CAPTION}\nẢnh: có"
    )
    assert labels(card) == ["Lưu", "Sửa", "Không phải"]
    [photo] = photos_sent(h)
    assert await proposal_photos(h) == [photo]
    done = (await nam.press("Lưu", message=card))[-1]
    assert done.edited and text_of(done).startswith("Đã lưu thành mục #1.")
    assert text_of(done).endswith(f"Ghi chú: {CAPTION}\nẢnh: có")
    [entry] = await activities(h)
    # Stored as the guided /log stores a photo: the largest size's file id, on the entry.
    assert (entry.photo_file_id, entry.source, entry.note) == (photo, "free_text", CAPTION)
    mine = text_of((await nam.send("/mine"))[0])
    assert "#1 · 16/11/2026 · Hỗ trợ hộ nghèo, cận nghèo" in mine
    # /mine's edit of the entry shows the card with the photo, as for a guided entry.
    await nam.press("Sửa #1")
    await nam.press("Ghi chú")
    changed = text_of((await nam.send("thôn 3"))[0])
    assert changed.startswith("Đã sửa mục #1.") and changed.endswith("Ghi chú: thôn 3\nẢnh: có")
    [entry] = await activities(h)
    assert entry.photo_file_id == photo


async def test_edit_shows_the_photo_answered(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await photo_card(nam, "hòa giải thành 2 vụ")
    review = (await nam.press("Sửa", message=card))[-1]
    assert text_of(review).startswith("Kiểm tra rồi lưu:\n\nHòa giải ở cơ sở")
    assert text_of(review).endswith("Ghi chú: hòa giải thành 2 vụ\nẢnh: có")
    await nam.press("Số vụ hòa giải")
    again = text_of((await nam.send("3"))[0])
    assert "Số vụ hòa giải: 3 vụ" in again and again.endswith("Ảnh: có")
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")
    [entry] = await activities(h)
    assert entry.photo_file_id in photos_sent(h)
    # The photo can be taken off there, as in any guided entry ("Ảnh" → "Không có ảnh").
    card = await photo_card(nam, "kết nạp 3 hội viên")
    await nam.press("Sửa", message=card)
    assert "Gửi một ảnh" in text_of((await nam.press("Ảnh"))[-1])
    review = (await nam.press("Không có ảnh"))[-1]
    assert "Ảnh: có" not in text_of(review)
    await nam.press("Lưu")
    assert [e.photo_file_id is None for e in await activities(h)] == [False, True]


async def test_not_an_activity_no_caption_a_file_and_not_this_are_answered_as_before(
    h: Harness,
) -> None:
    nam = h.user(1004, "Nam")
    for caption in ("cảm ơn", "ảnh họp chi bộ hôm nay", None, "/log hoa_giai 2"):
        [reply] = await nam.send_photo(PNG, caption=caption)
        assert text_of(reply).startswith(MEDIA_VI) and not reply.inline_buttons, caption
    # An image sent as a file: /log's photo step does not take one either.
    [reply] = await nam.send_document(PNG, "tham_ho_ngheo.png", caption=CAPTION)
    assert text_of(reply).startswith(MEDIA_VI) and not reply.inline_buttons
    assert await proposal_photos(h) == []
    card = await photo_card(nam, CAPTION)
    edited, answered = await nam.press("Không phải", message=card)
    assert text_of(edited).endswith(
        "Ảnh: có\n\nKhông lưu: bạn cho biết đây không phải là hoạt động."
    )
    assert text_of(answered).startswith(MEDIA_VI)
    assert await activities(h) == []


async def test_the_log_photo_step_keeps_priority(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Tiếp »")
    await nam.press("Hòa giải ở cơ sở")
    await nam.send("2")
    await nam.press("Hôm nay")
    assert "Gửi một ảnh" in text_of((await nam.send("thôn 3"))[0])
    # The photo is that step's answer; its caption is not read as another activity.
    [review] = await nam.send_photo(PNG, caption=CAPTION)
    assert text_of(review).startswith("Kiểm tra rồi lưu:\n\nHòa giải ở cơ sở")
    assert text_of(review).endswith("Ghi chú: thôn 3\nẢnh: có")
    assert await proposal_photos(h) == []
    await nam.press("Lưu")
    [entry] = await activities(h)
    assert entry.type_key == "hoa_giai" and entry.photo_file_id in photos_sent(h)


async def test_groups_and_people_with_no_unit_get_no_proposal(h: Harness) -> None:
    nam, lan = h.user(1004, "Nam"), h.user(1002, "Lan")
    group = h.emu.group(-100555, "Ban Công tác Mặt trận thôn Cầu Bâm")
    await group.add_bot(lan)
    assert await nam.send_photo(PNG, caption=CAPTION, chat=group) == []
    for telegram_id in (1012, 1014):  # no unit yet; an officer of a People's Committee only
        [reply] = await h.user(telegram_id, "Người dùng").send_photo(PNG, caption=CAPTION)
        assert text_of(reply).startswith(MEDIA_VI)
    assert await proposal_photos(h) == []


async def test_forgetme_deletes_the_proposals_photos(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await photo_card(nam, CAPTION)
    await photo_card(nam, "hòa giải thành 2 vụ")
    assert len(await proposal_photos(h)) == 2
    await nam.send("/forgetme")
    await nam.press("Xóa dữ liệu của tôi")
    async with h.db.session() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(ProposalRow)
            .where(ProposalRow.photo_file_id.is_not(None))
        )
        assert left == 0
        assert await session.scalar(select(func.count()).select_from(LogDraft)) == 0


async def test_in_english(h: Harness) -> None:
    anna = h.user(1011, "Anna", language_code="en")
    card = await photo_card(anna, "hòa giải thành 2 vụ ở thôn 3")
    assert text_of(card).startswith("Save this as an activity?\n\nGrassroots mediation — ")
    assert text_of(card).endswith("Note: hòa giải thành 2 vụ ở thôn 3\nPhoto: attached")
    done = (await anna.press("Save", message=card))[-1]
    assert text_of(done).startswith("Saved as entry #1.") and text_of(done).endswith(
        "Photo: attached"
    )
    [entry] = await activities(h)
    assert entry.photo_file_id in photos_sent(h)
    card = await photo_card(anna, "kết nạp 3 hội viên")
    review = (await anna.press("Edit", message=card))[-1]
    assert text_of(review).endswith("Photo: attached")
    # In a flow (here the review), a photo is that flow's business, never read.
    [reply] = await anna.send_photo(PNG, caption="giám sát 1 cuộc")
    assert text_of(reply).startswith("This step needs text or one of the buttons above.")
    await anna.send("/cancel")
    [reply] = await anna.send_photo(PNG, caption="thanks")
    assert text_of(reply).startswith(MEDIA_EN)
    card = await photo_card(anna, "giám sát 1 cuộc")
    edited, answered = await anna.press("Not this", message=card)
    assert text_of(edited).endswith(
        "Photo: attached\n\nNot saved: you said this is not an activity."
    )
    assert text_of(answered).startswith(MEDIA_EN)
