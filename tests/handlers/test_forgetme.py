"""/forgetme: personal data erased, the unit's figures kept (docs/personal-data.md)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.demo import seed_demo_round
from bot.privacy import AUTHOR_COLUMNS, TOMBSTONE_TELEGRAM_ID
from storage.models import (
    Activity,
    ActivityHistory,
    ActivityRollup,
    Base,
    ChatState,
    LogDraft,
    Membership,
    Person,
    ReportAnswer,
)
from tests.harness import Harness, text_of

#: Tables whose rows about the person are deleted rather than handed to the tombstone.
DELETED = {"memberships", "meeting_rsvps", "log_drafts", "proposals"}


@pytest.fixture
async def h(harness: Harness) -> Harness:
    demo = await harness.seed_demo()
    async with harness.db.session() as session:
        await seed_demo_round(session, demo, harness.clock.now(), ZoneInfo("Asia/Ho_Chi_Minh"))
    return harness


async def rollup(h: Harness) -> list[tuple[object, ...]]:
    async with h.db.session() as session:
        rows = (await session.scalars(select(ActivityRollup))).all()
    return sorted(
        (r.unit_id, r.type_key, r.measure_key, r.bucket, r.value_milli, r.entries) for r in rows
    )


async def test_forgetme_erases_the_person_and_keeps_the_units_figures(h: Harness) -> None:
    nam, lan = h.user(1004, "Nam", username="nam_cb"), h.user(1002, "Lan")
    await nam.send('/log nha_dai_doan_ket 2 120tr "thôn 3"')
    await nam.send("/log hoa_giai 1")
    await nam.send("/report")
    await nam.press("Có")  # a report answer
    await nam.send("/cancel")
    await nam.send("/log")
    await nam.press("Nhà Đại đoàn kết")  # a draft and a conversation step
    totals_before = (await lan.send("/totals"))[0].text
    rollup_before = await rollup(h)
    async with h.db.session() as session:
        old = await session.scalar(select(Person).where(Person.telegram_id == 1004))
    assert old is not None

    ask = (await nam.send("/forgetme"))[0]
    assert text_of(ask).startswith("Xóa dữ liệu cá nhân của tôi")
    done = (await nam.press("Xóa dữ liệu của tôi"))[-1]
    assert text_of(done).startswith("Xong: dữ liệu cá nhân của bạn đã được xóa.")

    async with h.db.session() as session:
        assert await session.scalar(select(Person).where(Person.telegram_id == 1004)) is None
        tomb = await session.scalar(
            select(Person).where(Person.telegram_id == TOMBSTONE_TELEGRAM_ID)
        )
        assert tomb is not None and tomb.first_name == "Người dùng đã xóa"
        assert not (
            await session.scalars(select(Membership).where(Membership.person_id == old.id))
        ).all()
        assert await session.get(LogDraft, old.id) is None
        assert not (await session.scalars(select(ChatState).where(ChatState.user_id == 1004))).all()
        authors = {a.person_id for a in await session.scalars(select(Activity))}
        history = {r.person_id for r in await session.scalars(select(ActivityHistory))}
        answers = {a.answered_by for a in await session.scalars(select(ReportAnswer))}
        names = [p.username for p in await session.scalars(select(Person))]
    assert authors == history == answers == {tomb.id}
    assert "nam_cb" not in names
    assert (await lan.send("/totals"))[0].text == totals_before
    assert await rollup(h) == rollup_before

    # The person can no longer act for the unit...
    refused = text_of((await nam.send("/log"))[0])
    assert refused.startswith("Bạn chưa thuộc đơn vị nào.")
    # ... until a new invite brings them back, as a new member.
    code = await h.invite("02365-t1")
    assert text_of((await nam.send(f"/start {code}"))[0]).startswith("Chào mừng")
    assert (await nam.send("/log"))[0].text == "Bạn đã làm gì? Chọn hoạt động:"
    assert "Nhà Đại đoàn kết" not in text_of(
        (await nam.send("/mine"))[0]
    )  # old entries are not theirs


async def test_keeping_the_data_changes_nothing(h: Harness) -> None:
    anna = h.user(1011, "Anna", language_code="en")
    ask = (await anna.send("/forgetme"))[0]
    assert text_of(ask).startswith("Erase my personal data")
    assert (await anna.press("Keep my data"))[-1].text == "Nothing was erased."
    assert text_of((await anna.send("/log"))[0]).startswith("What did you do?")


def test_every_reference_to_a_person_is_erased_or_anonymised() -> None:
    """A new table pointing at people must say what /forgetme does with it."""
    handled = {(c.class_.__tablename__, c.key) for c in AUTHOR_COLUMNS}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "people":
                continue
            # A key the database itself empties when the person's row goes (ON DELETE SET
            # NULL: a recommendation they recorded stays, without its recorder).
            by_database = fk.ondelete in ("SET NULL", "CASCADE")
            assert (
                table.name in DELETED or (table.name, fk.parent.name) in handled or by_database
            ), f"{table.name}.{fk.parent.name}: add it to bot/privacy.py"
