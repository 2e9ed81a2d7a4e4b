"""The digest's recommendations line (issue 17): new, answered, overdue now naming the authority,
average days to answer, for the linked unit's subtree over the digest's week; counted against the
items themselves; absent when there are none; both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.i18n import I18n
from bot.petition_stats import DigestLine
from handlers.petitions.digest_lines import digest_lines
from tests.handlers.test_digests import digests_in, link_group
from tests.harness import Harness, text_of
from tests.petition_items import make_item

MONDAY = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 07:30 in Hà Nội: the week 16–22/11


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def seed_items(h: Harness) -> None:
    ubnd = "02365-ubnd"
    async with h.db.session() as s:
        # New in the week, still at the Front.
        await make_item(s, status="recorded", received_on=date(2026, 11, 17))
        # Forwarded 03/11, answered 18/11: 15 days.
        await make_item(
            s,
            status="answered",
            received_on=date(2026, 11, 2),
            authority=ubnd,
            forwarded_on=date(2026, 11, 3),
            answered_on=date(2026, 11, 18),
            category="moi_truong",
        )
        # New in the week and answered in 4 days, then closed.
        await make_item(
            s,
            status="closed",
            received_on=date(2026, 11, 16),
            authority=ubnd,
            forwarded_on=date(2026, 11, 16),
            answered_on=date(2026, 11, 20),
            closed_on=date(2026, 11, 21),
            rating="satisfactory",
        )
        # Due 01/11, still unanswered: overdue at the UBND.
        await make_item(
            s,
            status="acknowledged",
            received_on=date(2026, 10, 1),
            authority=ubnd,
            forwarded_on=date(2026, 10, 2),
            due_on=date(2026, 11, 1),
            category="dat_dai",
        )
        # Neither in the week nor overdue; and another commune's item.
        await make_item(s, status="recorded", received_on=date(2026, 11, 2))
        await make_item(
            s,
            status="acknowledged",
            received_on=date(2026, 10, 1),
            place="02350-t2",
            front="02350",
            authority="02350-ubnd",
            recorder=1009,
            forwarder=1008,
            forwarded_on=date(2026, 10, 2),
            due_on=date(2026, 11, 1),
        )


async def test_the_weekly_digest_counts_the_subtrees_items(h: Harness) -> None:
    _lan, group = await link_group(h)
    await seed_items(h)
    h.clock.set(MONDAY)
    await h.plan_reminders()
    await h.dispatch()
    (digest,) = digests_in(h, group)
    lines = text_of(digest).splitlines()
    start = lines.index("Kiến nghị: 2 mới, 2 đã trả lời; trung bình 9,5 ngày để trả lời")
    assert lines[start + 1] == "• UBND xã Yên Nguyên: 1 quá hạn"
    assert "Kim Bình" not in text_of(digest)


async def test_no_line_without_items(h: Harness) -> None:
    _lan, group = await link_group(h)
    async with h.db.session() as s:
        await make_item(s, status="recorded", received_on=date(2026, 11, 2))  # the week before
    h.clock.set(MONDAY)
    await h.plan_reminders()
    await h.dispatch()
    (digest,) = digests_in(h, group)
    assert "Kiến nghị" not in text_of(digest)


def test_the_line_in_both_languages() -> None:
    i18n = I18n()
    line = DigestLine(
        new=3,
        answered=1,
        overdue=[("UBND xã Yên Nguyên", 2), ("UBND xã Kim Bình", 1)],
        average_days=12.25,
    )
    assert digest_lines(i18n.translator("vi"), line) == [
        "<b>Kiến nghị</b>: 3 mới, 1 đã trả lời; trung bình 12,2 ngày để trả lời",
        "• UBND xã Yên Nguyên: 2 quá hạn",
        "• UBND xã Kim Bình: 1 quá hạn",
    ]
    assert digest_lines(i18n.translator("en"), line) == [
        "<b>Recommendations</b>: 3 new, 1 answered; 12.2 days to answer on average",
        "• UBND xã Yên Nguyên: 2 overdue",
        "• UBND xã Kim Bình: 1 overdue",
    ]
    quiet = DigestLine(new=0, answered=0, overdue=[], average_days=None)
    assert digest_lines(i18n.translator("vi"), quiet) == []
    assert digest_lines(i18n.translator("en"), None) == []
