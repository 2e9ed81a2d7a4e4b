"""/link and /unlink in groups, every refusal, and what reaches a linked group."""

from __future__ import annotations

import pytest

from storage.models import LinkedChat
from tests.handlers.test_reports import TEMPLATE
from tests.harness import Harness, text_of


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def chat_row(h: Harness, chat_id: int) -> LinkedChat | None:
    async with h.db.session() as session:
        return await session.get(LinkedChat, chat_id)


async def test_link_refusals_and_unlink(h: Harness) -> None:
    lan, nam, thu = h.user(1002, "Lan"), h.user(1004, "Nam"), h.user(1008, "Thu")
    group = h.emu.group(-100900, "MTTQ xã Yên Nguyên")
    await group.add_bot(lan)
    for user in (nam, thu):
        h.emu.set_member_status(group.id, user.id, "member")
    h.emu.set_member_status(group.id, lan.id, "member")
    assert (await lan.send("/link"))[
        0
    ].text == "Hãy gửi /link trong nhóm mà bạn muốn liên kết với đơn vị."
    assert text_of((await nam.send("/link", chat=group))[0]).startswith(
        "Chỉ lãnh đạo đơn vị mới liên kết được nhóm."
    )
    assert text_of((await lan.send("/link", chat=group))[0]).startswith(
        "Chỉ quản trị viên của nhóm mới liên kết được nhóm."
    )
    h.emu.set_member_status(group.id, lan.id, "administrator")
    linked = text_of((await lan.send("/link", chat=group))[0])
    assert linked.startswith("Nhóm này đã được liên kết với Ủy ban MTTQ xã Yên Nguyên.")
    row = await chat_row(h, group.id)
    assert row is not None and row.active and row.title == "MTTQ xã Yên Nguyên"
    h.emu.set_member_status(group.id, thu.id, "administrator")
    assert (
        (await thu.send("/link", chat=group))[0].text
        == "Nhóm này đã liên kết với Ủy ban MTTQ xã Yên Nguyên. Lãnh đạo đơn vị đó có thể /unlink trước."
    )
    assert (await thu.send("/unlink", chat=group))[
        0
    ].text == "Chỉ lãnh đạo của đơn vị đã liên kết mới làm được việc này."
    assert (await lan.send("/unlink", chat=group))[
        0
    ].text == "Nhóm này không còn liên kết với Ủy ban MTTQ xã Yên Nguyên."
    assert (await lan.send("/unlink", chat=group))[
        0
    ].text == "Nhóm này chưa liên kết với đơn vị nào."


async def test_linked_group_gets_the_round_and_follows_migration_and_removal(h: Harness) -> None:
    from bot import reports as rep
    from bot.template_files import parse_template

    async with h.db.session() as session:
        await rep.store_template(session, parse_template(TEMPLATE), h.clock.now())
    await h.grant(1002, "02365-t1", "admin")  # Lan also leads Thôn Cầu Bâm: she is asked which unit
    lan = h.user(1002, "Lan")
    group = h.emu.group(-100901, "Thôn Cầu Bâm")
    await group.add_bot(lan)
    h.emu.set_member_status(group.id, lan.id, "creator")
    question = (await lan.send("/link@phoihop_bot", chat=group))[0]
    assert question.text == "Liên kết nhóm này với đơn vị nào?"
    assert text_of(
        (await lan.press("Ban Công tác Mặt trận thôn Cầu Bâm", chat=group))[-1]
    ).startswith("Nhóm này đã được liên kết với Ban Công tác Mặt trận thôn Cầu Bâm.")
    h.emu.migrate_group(group.id, -1009010)
    await h.emu.settle()
    migrated = await chat_row(h, -1009010)
    assert migrated is not None and migrated.active
    await lan.send("/start")
    await lan.send("/round")
    await lan.press("Báo cáo thử (v1)")
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Các đơn vị trực thuộc")
    await lan.press("Mọi tổ chức")
    await lan.send("18/12/2026")
    for _ in range(3):
        await h.dispatch()
    posted = [text_of(m) for m in h.emu.messages(-1009010)]
    assert any(
        t.startswith(
            "Đợt báo cáo mới: Báo cáo thử — Quý IV/2026 cho Ban Công tác Mặt trận thôn Cầu Bâm."
        )
        and t.endswith("Cán bộ trả lời trong tin nhắn riêng với tôi: /report.")
        for t in posted
    ), posted
    h.emu.remove_bot_from_group(-1009010)
    await h.emu.settle()
    row = await chat_row(h, -1009010)
    assert row is not None and not row.active
