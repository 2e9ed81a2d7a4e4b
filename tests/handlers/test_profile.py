"""Names as Vietnamese people write them, and /me → change: a person sets their full name and
phone once, and the name then wins everywhere it is shown."""

from __future__ import annotations

import pytest

from storage.models import Person
from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def _person(h: Harness, telegram_id: int) -> Person:
    from storage.queries import people as people_q

    async with h.db.session() as session:
        person = await people_q.by_telegram_id(session, telegram_id)
    assert person is not None
    return person


async def test_telegram_fields_in_western_order_read_family_name_first(h: Harness) -> None:
    nam = h.user(1004, "Nam", last_name="Lê Văn")
    assert text_of((await nam.send("/start"))[0]).startswith("Xin chào Nam!")
    me = text_of((await nam.send("/me"))[0])
    assert me.startswith("Lê Văn Nam (Telegram id 1004)")
    anna = h.user(1011, "Anna", last_name="Nguyen", language_code="en")
    assert text_of((await anna.send("/start"))[0]).startswith("Hello, Anna!")
    assert text_of((await anna.send("/me"))[0]).startswith("Anna Nguyen (Telegram id 1011)")


async def test_a_cadre_sets_name_and_phone_once_and_bad_input_is_kept_for_correction(
    h: Harness,
) -> None:
    nam = h.user(1004, "Nam Lê")  # the whole name, in the wrong order, in one field
    me = (await nam.send("/me"))[0]
    assert text_of(me).startswith("Nam Lê (Telegram id 1004)")
    asked = await nam.press("Đổi họ tên, số điện thoại")
    assert text_of(asked[-1]).startswith(
        "Họ và tên đầy đủ của bạn, họ trước, như trên giấy tờ (ví dụ: Lê Văn Nam)?\n"
        "Hiện tại: Nam Lê. /skip để giữ nguyên."
    )
    assert (await nam.send("Lê 3"))[0].text == (
        "“Lê 3” không giống một họ tên: chỉ dùng chữ cái, họ trước, ví dụ: Lê Văn Nam."
    )
    assert (await nam.send("L"))[0].text == (
        "Gõ họ tên dài từ 2 đến 100 chữ cái, họ trước, ví dụ: Lê Văn Nam."
    )
    phone = text_of((await nam.send("  Lê   Hoài Nam "))[-1])
    assert phone.startswith("Số điện thoại của bạn (ví dụ: 0912 345 678)?")
    assert (await nam.send("0912.345.67²"))[0].text == (
        "“0912.345.67²” không phải số điện thoại. Gõ 10 chữ số bắt đầu bằng 0, ví dụ: 0912 345 678."
    )
    await nam.send("/back")  # the name step again
    assert text_of(nam.last).startswith("Họ và tên đầy đủ của bạn")
    await nam.send("Lê Hoài Nam")
    saved = text_of((await nam.send("+84 912 345 678"))[-1])
    assert saved == "Đã lưu. Họ tên của bạn: Lê Hoài Nam.\nĐiện thoại: 0912 345 678."
    person = await _person(h, 1004)
    assert (person.full_name, person.phone) == ("Lê Hoài Nam", "0912345678")

    # It wins over Telegram's fields from now on, and the greeting uses the given name.
    shown = text_of((await nam.send("/me"))[0])
    assert shown.startswith("Lê Hoài Nam (Telegram id 1004)\nĐiện thoại: 0912 345 678.")
    assert text_of((await nam.send("/start"))[0]).startswith("Xin chào Nam!")

    # Remove the phone; /skip keeps the name.
    await nam.press("Đổi họ tên, số điện thoại", message=(await nam.send("/me"))[0])
    await nam.send("/skip")
    done = text_of((await nam.press("Xóa số này"))[-1])
    assert done == "Đã lưu. Họ tên của bạn: Lê Hoài Nam."
    person = await _person(h, 1004)
    assert (person.full_name, person.phone) == ("Lê Hoài Nam", None)


async def test_cancel_keeps_the_answers_and_a_group_gets_no_button(h: Harness) -> None:
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    await lan.press("Đổi họ tên, số điện thoại", message=(await lan.send("/me"))[0])
    await lan.send("Nguyễn Thị Ngọc Lan")
    assert "Các câu trả lời vẫn được giữ" in text_of((await lan.send("/cancel"))[0])
    offer = await lan.press("Đổi họ tên, số điện thoại", message=(await lan.send("/me"))[0])
    assert text_of(offer[-1]).startswith("Bạn còn phần trả lời dở dang")
    await lan.press("Tiếp tục")
    await lan.send("/skip")
    assert (await _person(h, 1002)).full_name == "Nguyễn Thị Ngọc Lan"

    group = h.emu.group(-100900, "MTTQ xã Yên Nguyên")
    await group.add_bot(lan)
    in_group = (await lan.send("/me", chat=group))[0]
    assert text_of(in_group).startswith("Nguyễn Thị Ngọc Lan (Telegram id 1002)")
    assert in_group.inline_buttons == []
