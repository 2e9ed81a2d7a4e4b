"""Guessing invite codes gets nowhere: after 5 wrong codes in 10 minutes a person's attempts are
refused (without looking at the code) until the window passes; the count is in the database, so a
restart does not reset it, and the time comes from the injectable clock."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.onboarding import MAX_FAILURES
from storage.models import InviteFailure, Membership
from tests.harness import Harness, text_of

THON_1 = "02365-t1"


async def _memberships(h: Harness) -> int:
    async with h.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Membership)) or 0)


async def test_wrong_codes_lock_out_guessing_until_the_window_passes(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    good = await h.invite(THON_1, "cadre", uses=5)
    guesser, other = h.user(3001, "Khách"), h.user(3002, "Bình")
    for i in range(MAX_FAILURES):
        [answer] = await guesser.send(f"/start guess{i:02d}{'x' * 30}")
        assert text_of(answer).startswith("Tôi không tìm thấy lời mời này."), answer.text
        h.clock.advance(seconds=30)
    before = await _memberships(h)

    # Even the right code is refused now: the lock does not look at the code at all.
    [locked] = await guesser.send(f"/start {good}")
    assert text_of(locked).startswith("Bạn đã nhập sai mã mời quá nhiều lần."), locked.text
    # The first failure was at 08:30, so five remain in the window until 08:40.
    assert "08:40" in text_of(locked)
    assert await _memberships(h) == before

    # Counted in the database: a new bot process still refuses.
    await h.restart()
    [still] = await guesser.send(f"/start {good}")
    assert text_of(still).startswith("Bạn đã nhập sai mã mời quá nhiều lần.")

    # Someone else is not affected.
    [welcome] = await other.send(f"/start {good}")
    assert text_of(welcome).startswith("Chào mừng Bình!")

    # Once the oldest wrong code leaves the 10-minute window, the right code works.
    h.clock.advance(minutes=7, seconds=29)  # 08:39:59
    [wait] = await guesser.send(f"/start {good}")
    assert text_of(wait).startswith("Bạn đã nhập sai mã mời quá nhiều lần.")
    h.clock.advance(seconds=1)  # 08:40:00
    [joined] = await guesser.send(f"/start {good}")
    assert text_of(joined).startswith("Chào mừng Khách!"), joined.text


async def test_lock_message_in_english_and_real_codes_do_not_count(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    expired = await h.invite(THON_1, "cadre", days=1)
    h.clock.advance(days=1, seconds=1)
    anna = h.user(3003, "Anna", language_code="en")
    # An expired (real) code is a clear answer, not a guess.
    for _ in range(MAX_FAILURES + 1):
        [answer] = await anna.send(f"/start {expired}")
        assert text_of(answer).startswith("This invite has expired.")
    for _ in range(MAX_FAILURES):
        await anna.send("/start not!a!code")
    [locked] = await anna.send("/start anything")
    assert text_of(locked).startswith("Too many wrong invite codes. Please try again after"), (
        locked.text
    )
    async with h.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(InviteFailure))
    # The refused attempt is not counted: it could not be a guess.
    assert count == MAX_FAILURES


async def test_forgetme_does_not_lift_the_lock(harness: Harness) -> None:
    """Issue 15 §6: the count was the person's, and /forgetme deletes the person (the rows went
    with it): a guesser could erase themselves every five tries. The count is the Telegram
    account's now, kept for the window and then dropped like anyone's."""
    h = harness
    await h.seed_demo()
    good = await h.invite(THON_1, "cadre", uses=5)
    guesser = h.user(3004, "Khách")
    for i in range(MAX_FAILURES):
        await guesser.send(f"/start guess{i:02d}{'x' * 30}")
    await guesser.send("/forgetme")
    erased = (await guesser.press("Xóa dữ liệu của tôi"))[-1]
    assert text_of(erased).startswith("Xong: dữ liệu cá nhân của bạn đã được xóa.")
    [locked] = await guesser.send(f"/start {good}")
    assert text_of(locked).startswith("Bạn đã nhập sai mã mời quá nhiều lần."), locked.text
    async with h.db.session() as session:
        kept = await session.scalar(select(func.count()).select_from(InviteFailure))
    assert kept == MAX_FAILURES
    # The window passes: the right code works, and /forgetme then leaves no failure behind.
    h.clock.advance(minutes=10)
    [joined] = await guesser.send(f"/start {good}")
    assert text_of(joined).startswith("Chào mừng Khách!"), joined.text
    await guesser.send("/forgetme")
    await guesser.press("Xóa dữ liệu của tôi")
    async with h.db.session() as session:
        left = await session.scalar(select(func.count()).select_from(InviteFailure))
    assert left == 0
