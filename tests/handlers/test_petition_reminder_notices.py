"""The follow-up notices of petitions reach people through the real bot and the outbox, in their
language: the UBND's chairman (Quang, 1013) is reminded before and after the due date, then he and
the Front leader who forwarded the item (Lan, 1002) get the escalation; a reminder planned before
the item was answered is dropped when it is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storage.models import Petition
from tests.harness import Harness, text_of
from tests.petition_items import make_item

CODE = "KN-2026-0001"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def dispatch_all(h: Harness) -> int:
    sent = 0
    for _ in range(5):
        sent += (await h.dispatch()).sent
    return sent


async def test_reminders_and_the_escalation_arrive_in_each_persons_language(h: Harness) -> None:
    quang = h.user(1013, "Quang")
    lan = h.user(1002, "Lan", language_code="en")
    await quang.send("/start")
    await lan.send("/start")
    async with h.db.session() as s:
        await make_item(
            s,
            status="acknowledged",
            received_on=date(2026, 11, 3),
            authority="02365-ubnd",
            forwarded_on=date(2026, 11, 4),
        )

    h.clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 08:00 on 01/12 in Hà Nội
    assert await h.plan_reminders() == 1
    assert await dispatch_all(h) == 1
    assert text_of(quang.last) == (
        f"Nhắc việc: kiến nghị {CODE} đã chuyển UBND xã Yên Nguyên cần trả lời trước hạn "
        "04/12/2026.\n“Đề nghị sửa chữa tuyến đường giao thông nông thôn liên thôn bị xuống "
        f"cấp”\nMở kiến nghị: /petition {CODE}."
    )
    for day in (5, 6, 7):
        h.clock.set(datetime(2026, 12, day, 1, 0, tzinfo=UTC))
        assert await h.plan_reminders() == 1
    await h.restart()
    assert await dispatch_all(h) == 3
    overdue = [text_of(m) for m in quang.history() if text_of(m).startswith("Quá hạn")]
    assert len(overdue) == 3
    assert overdue[-1].startswith(
        f"Quá hạn: kiến nghị {CODE} đã chuyển UBND xã Yên Nguyên có hạn trả lời 04/12/2026 "
        "(quá hạn 3 ngày) nhưng chưa được trả lời."
    )
    h.clock.set(datetime(2026, 12, 8, 1, 0, tzinfo=UTC))
    await h.plan_reminders()
    await h.restart()
    await h.plan_reminders()
    assert await dispatch_all(h) == 2
    assert text_of(quang.last).startswith(
        f"Báo cáo vượt hạn: kiến nghị {CODE} đã chuyển UBND xã Yên Nguyên có hạn trả lời "
        "04/12/2026 (quá hạn 4 ngày); đã nhắc ba lần nhưng chưa được trả lời."
    )
    assert text_of(lan.last).startswith(
        f"Escalation: recommendation {CODE} forwarded to UBND xã Yên Nguyên was due 04/12/2026 "
        "(4 days overdue); three reminders went unanswered."
    )
    assert await h.plan_reminders() == 0
    assert await dispatch_all(h) == 0


async def test_a_reminder_for_an_item_answered_meanwhile_is_dropped(h: Harness) -> None:
    quang = h.user(1013, "Quang")
    await quang.send("/start")
    async with h.db.session() as s:
        item = await make_item(
            s,
            status="acknowledged",
            received_on=date(2026, 11, 3),
            authority="02365-ubnd",
            forwarded_on=date(2026, 11, 4),
        )
        pid = item.id
    h.clock.set(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    assert await h.plan_reminders() == 1
    async with h.db.session() as s:
        row = await s.get(Petition, pid)
        assert row is not None
        row.status = "answered"
    before = len(quang.history())
    assert await dispatch_all(h) == 0
    assert len(quang.history()) == before
