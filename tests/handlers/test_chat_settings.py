"""/settings in a linked group: language and digests, only for the linked unit's leaders who are
group administrators."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import LinkedChat, OutboxMessage
from tests.handlers.test_digests import h, link_group  # noqa: F401 - the demo fixture and helper
from tests.harness import Harness, text_of


async def test_settings_change_language_and_digests(h: Harness) -> None:  # noqa: F811
    lan, group_id = await link_group(h)
    group = next(g for g in [h.emu.group(group_id, "MTTQ xã Yên Nguyên")])
    screen = (await lan.send("/settings", chat=group))[0]
    assert text_of(screen).startswith("Cài đặt của nhóm (liên kết với Ủy ban MTTQ xã Yên Nguyên)")
    assert "Bản tin tuần (Thứ Hai 07:30): bật" in text_of(screen)
    english = (await lan.press("English", chat=group))[-1]
    assert english.edited and text_of(english).startswith(
        "Settings of this group (linked to Ủy ban MTTQ xã Yên Nguyên)"
    )
    off = (await lan.press("Weekly digest: turn off", chat=group))[-1]
    assert "Weekly digest (Monday 07:30): off" in text_of(
        off
    ) and "Monthly digest (the 1st, 07:30): on" in text_of(off)
    async with h.db.session() as session:
        row = await session.get(LinkedChat, group_id)
    assert row is not None and row.language == "en" and not row.weekly_digest and row.monthly_digest
    # Monday 07:30: no weekly digest is planned for this group any more; the monthly one still is on the 1st.
    h.clock.set(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    await h.plan_reminders()
    h.clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    await h.plan_reminders()
    async with h.db.session() as session:
        keys = [
            r.key
            for r in (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.chat_id == group_id)
                )
            ).all()
        ]
    assert keys == [f"digest:m:{group_id}:2026-11"]


async def test_settings_refusals(h: Harness) -> None:  # noqa: F811
    lan, group_id = await link_group(h)
    group = h.emu.group(group_id, "MTTQ xã Yên Nguyên")
    nam, thu = h.user(1004, "Nam"), h.user(1008, "Thu")
    h.emu.set_member_status(group_id, nam.id, "administrator")
    h.emu.set_member_status(group_id, thu.id, "administrator")
    assert (await nam.send("/settings", chat=group))[
        0
    ].text == "Chỉ lãnh đạo của đơn vị đã liên kết mới làm được việc này."
    assert (await thu.send("/settings", chat=group))[
        0
    ].text == "Chỉ lãnh đạo của đơn vị đã liên kết mới làm được việc này."
    await nam.press_data("set:w", chat=group)
    assert (
        h.emu.callback_answers[-1]["text"]
        == "Chỉ lãnh đạo của đơn vị đã liên kết mới làm được việc này."
    )
    h.emu.set_member_status(group_id, lan.id, "member")
    assert (await lan.send("/settings", chat=group))[
        0
    ].text == "Chỉ quản trị viên của nhóm mới đổi được cài đặt."
    assert (await lan.send("/settings"))[0].text == "Hãy dùng /settings trong một nhóm đã liên kết."
    async with h.db.session() as session:
        row = await session.get(LinkedChat, group_id)
    assert row is not None and row.weekly_digest
