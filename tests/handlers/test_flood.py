"""One account flooding the bot is throttled before any handler runs, is told once to slow down, and
does not keep anyone else from being answered. Time moves only on the fake clock."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.flood import FloodGate, Verdict
from storage.queries import people as people_q
from tests.harness import Harness, text_of

SLOW_DOWN = "Bạn gửi nhanh quá nên tôi đã bỏ qua mấy tin vừa rồi."


def test_bucket_refills_with_the_clock_and_warns_once_per_flood() -> None:
    clock = FakeClock()
    gate = FloodGate(clock, burst=3, rate=0.5)
    assert [gate.check(1) for _ in range(3)] == [Verdict.HANDLE] * 3
    assert gate.check(1) is Verdict.WARN
    assert gate.check(1) is Verdict.DROP
    assert gate.check(2) is Verdict.HANDLE  # buckets are per user
    clock.advance(seconds=1)  # half a token
    assert gate.check(1) is Verdict.DROP
    clock.advance(seconds=1)
    assert gate.check(1) is Verdict.HANDLE
    assert gate.check(1) is Verdict.WARN  # a new flood is announced again
    assert FloodGate(clock, burst=0, rate=1).check(1) is Verdict.HANDLE  # 0 turns it off


async def test_a_flooder_is_throttled_while_others_are_answered(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    h.overrides = {"flood_burst": 5, "flood_rate": 1.0}
    await h.restart()
    nam, lan = h.user(1004, "Nam"), h.user(1002, "Lan")

    answers = [await nam.send("/help") for _ in range(5)]
    assert all(a and text_of(a[0]).startswith("Bạn có thể:") for a in answers)
    # The sixth update in the same second: dropped, with one "slow down".
    [warning] = await nam.send("/help")
    assert text_of(warning).startswith(SLOW_DOWN)
    # Every handler is behind the gate: commands, text, buttons, and nothing reaches the database.
    assert await nam.send("/language en") == []
    assert await nam.send("Ghi hoạt động") == []
    assert await nam.send("xin chào") == []
    nam.last_answer = None
    assert await nam.press_data("lang:en") == []
    assert nam.last_answer is None
    async with h.db.session() as session:
        person = await people_q.by_telegram_id(session, 1004)
        assert person is not None and person.language != "en"

    # Meanwhile another person is answered at once.
    [hello] = await lan.send("/help")
    assert text_of(hello).startswith("Bạn có thể:")

    # Two seconds later Nam has two updates again, then the next flood is announced again.
    h.clock.advance(seconds=2)
    assert text_of((await nam.send("/help"))[0]).startswith("Bạn có thể:")
    assert (await nam.send("/me"))[0].text
    [again] = await nam.send("/help")
    assert text_of(again).startswith(SLOW_DOWN)


async def test_a_flooding_button_presser_is_told_in_the_alert(harness: Harness) -> None:
    h = harness
    await h.seed_demo()
    h.overrides = {"flood_burst": 2, "flood_rate": 0.1}
    await h.restart()
    anna = h.user(1011, "Anna", language_code="en")
    await anna.send("/language")
    await anna.press_data("lang:en")
    anna.last_answer = None
    await anna.press_data("lang:en")
    assert anna.last_answer is not None
    assert str(anna.last_answer.get("text", "")).startswith("You are sending too fast")
    assert anna.last_answer.get("show_alert") is True
