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


async def test_a_name_reads_family_name_first_on_every_screen(h: Harness) -> None:
    """Telegram's fields in Western order ("Nam", "Lê Văn") read "Lê Văn Nam" on /status, the
    report's answers, a meeting's list, an entry's history and the export; once Nam sets his
    full name in /me, that name is the one shown (issue 16 §2)."""
    from datetime import timedelta
    from io import BytesIO

    from openpyxl import load_workbook

    from bot import reports as rep
    from bot.meetings import MeetingPlan, create_meeting
    from bot.template_files import parse_template
    from tests.handlers.test_reports import SCREENS_TEMPLATE, operator_opens
    from tests.harness import actor_of, unit_of

    nam = h.user(1004, "Nam", last_name="Lê Văn")
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    for user in (nam, lan):
        await user.send("/start")
    async with h.db.session() as session:
        template, _ = await rep.store_template(
            session, parse_template(SCREENS_TEMPLATE), h.clock.now()
        )
        await operator_opens(session, h, template)
        plan = MeetingPlan(
            kind="giao_ban",
            title="Giao ban thôn",
            starts_at=h.clock.now() + timedelta(days=3),
            duration_minutes=60,
            place="Nhà văn hóa",
            agenda="",
        )
        cau_bam, organiser = await unit_of(session, "02365-t1"), await actor_of(session, 1002)
        await create_meeting(
            session, organiser, unit=cau_bam, plan=plan, invited=[], now=h.clock.now()
        )
    assert text_of((await nam.send("/log hoa_giai 3"))[0]).startswith("Đã lưu thành mục #1.")
    await nam.send("/report")
    await nam.send("1 triệu")
    await nam.send("có")
    review = text_of((await nam.send("chua hoan thanh"))[0])
    assert "1. Số tiền vận động: 1 triệu đồng (Lê Văn Nam" in review

    status = text_of((await lan.send("/status"))[0])
    assert "Ban Công tác Mặt trận thôn Cầu Bâm: Lê Văn Nam" in status
    await lan.send("/meetings")
    card = text_of((await lan.press(1))[-1])
    assert "Lê Văn Nam" in card and "Nam Lê Văn" not in card
    history = text_of((await lan.press_data("mine:h:1"))[-1])
    assert "· Lê Văn Nam · tạo" in history

    sent = await lan.send("/export quý này")
    workbook = next(m for m in sent if m.document is not None).document
    assert workbook is not None
    book = load_workbook(BytesIO(workbook["data"]))
    log = [tuple(r) for r in book["Nhật ký hoạt động"].iter_rows(values_only=True)]
    assert log[1][-1] == "Lê Văn Nam"

    # The name he sets once wins everywhere from then on.
    await nam.press("Đổi họ tên, số điện thoại", message=(await nam.send("/me"))[0])
    await nam.send("Lê Hoài Nam")
    await nam.send("/skip")
    assert "thôn Cầu Bâm: Lê Hoài Nam" in text_of((await lan.send("/status"))[0])
    assert "· Lê Hoài Nam · tạo" in text_of((await lan.press_data("mine:h:1"))[-1])
    await nam.send("/report")  # the review, kept while he was in /me
    assert "(Lê Hoài Nam" in text_of((await nam.press("Tiếp tục"))[-1])
