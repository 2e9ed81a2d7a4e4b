"""Digest charts drawn ahead of the slot and kept by what they show (bot/digest_charts.py), through
the emulator: the chart drawn by the process-pool job before Monday 07:30 is the one sent, with
the figures of an independent count over the raw entries; an entry logged after it was drawn gets
a new chart, not the stale one; two chats showing the same chart share one upload (Telegram's
file_id); a file_id Telegram refuses is uploaded again; old charts are forgotten."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot import digest_charts
from bot.activities import catalog_kinds
from bot.charts import chart_key
from bot.digest_charts import ChartPrerender, ChartSpec, upcoming
from bot.emulator.bot_message import BotMessage
from storage.models import Activity, ChartImage, Unit
from storage.queries import chats as chats_q
from tests.handlers.test_digests import COMMUNE, digests_in, link_group, log
from tests.harness import Harness, text_of

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK = date(2026, 11, 16), date(2026, 11, 22)
#: Monday 23/11/2026 in local time: the weekly slot is at 07:30.
SLOT = datetime(2026, 11, 23, 7, 30, tzinfo=TZ)


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def at(hour: int, minute: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def charts(h: Harness) -> ChartPrerender:
    assert h.app is not None
    job: ChartPrerender = h.app.bot_data["charts"]
    return job


async def stored(h: Harness) -> dict[str, ChartImage]:
    async with h.db.session() as session:
        return {c.key: c for c in (await session.scalars(select(ChartImage))).all()}


async def expected_key(h: Harness) -> str:
    """The key of the chart the commune's digest must show, from an independent count of the
    week's entries per activity type over the commune's subtree."""
    async with h.db.session() as session:
        root = await session.scalar(select(Unit).where(Unit.name == COMMUNE))
        assert root is not None
        counts = (
            await session.execute(
                select(Activity.type_key, func.count())
                .join(Unit, Unit.id == Activity.unit_id)
                .where(
                    Unit.path.startswith(root.path),
                    Activity.occurred_on.between(*WEEK),
                    Activity.deleted_at.is_(None),
                )
                .group_by(Activity.type_key)
            )
        ).all()
        names = {k.key: k.name("vi") for k in await catalog_kinds(session)}
    ranked = sorted(((str(t), int(n)) for t, n in counts), key=lambda kv: (-kv[1], kv[0]))
    return chart_key(
        [names[t] for t, _ in ranked],
        [float(n) for _, n in ranked],
        "Số lượt hoạt động theo loại, 16/11/2026 – 22/11/2026",
        "vi",
    )


async def week_of_entries(h: Harness) -> None:
    await log(h, "/log nha_dai_doan_ket 2 120tr")
    await log(h, "/log hoa_giai 4")
    h.clock.set(at(9, 0, day=20))  # Friday
    await log(h, "/log hoa_giai 3 18/11/2026")


def count_send_time_draws(monkeypatch: pytest.MonkeyPatch) -> list[ChartSpec]:
    """Charts drawn at send time (in a thread of the bot's process), noted as they are drawn."""
    drawn: list[ChartSpec] = []
    original = digest_charts.draw

    def noting(spec: ChartSpec) -> bytes:
        drawn.append(spec)
        return original(spec)

    monkeypatch.setattr(digest_charts, "draw", noting)
    return drawn


async def send_digests(h: Harness) -> None:
    h.clock.set(SLOT.astimezone(UTC))
    assert await h.plan_reminders() >= 1
    await h.dispatch()


def the_digest(h: Harness, group: int) -> BotMessage:
    posted = digests_in(h, group, "Tổng hợp tuần")
    assert len(posted) == 1, [m.text for m in posted]
    assert posted[0].photo is not None
    return posted[0]


def test_upcoming_slots() -> None:
    lead = timedelta(minutes=60)
    assert upcoming(datetime(2026, 11, 23, 6, 29, tzinfo=TZ), TZ, lead) == []
    assert upcoming(datetime(2026, 11, 23, 6, 30, tzinfo=TZ), TZ, lead) == [("w", *WEEK)]
    assert upcoming(datetime(2026, 11, 23, 7, 30, tzinfo=TZ), TZ, lead) == []  # due: too late
    # 01/12/2026 is a Tuesday: only the monthly digest (November) is due at 07:30.
    assert upcoming(datetime(2026, 12, 1, 7, 0, tzinfo=TZ), TZ, lead) == [
        ("m", date(2026, 11, 1), date(2026, 11, 30))
    ]
    assert upcoming(datetime(2026, 12, 1, 7, 0, tzinfo=TZ), TZ, timedelta(0)) == []


async def test_chart_drawn_ahead_in_the_pool_is_the_one_sent(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lan, group = await link_group(h)
    await week_of_entries(h)
    job = charts(h)
    assert job.lead == timedelta(minutes=60)  # the default setting

    h.clock.set(at(6, 29))  # 61 minutes before the slot: not yet
    early = await job.run_once()
    assert (early.slots, early.charts, early.drawn) == ([], 0, 0)
    assert await stored(h) == {}

    h.clock.set(at(6, 45))
    report = await job.run_once()  # a real process pool
    assert report.slots == [("w", *WEEK)]
    assert (report.charts, report.drawn, report.workers) == (1, 1, 1)
    key = await expected_key(h)
    rows = await stored(h)
    assert list(rows) == [key]
    assert rows[key].png.startswith(b"\x89PNG") and rows[key].file_id is None
    # Once per slot: the next run (a minute later) reads nothing again.
    h.clock.set(at(6, 46))
    again = await job.run_once()
    assert (again.charts, again.drawn) == (0, 0)

    drawn = count_send_time_draws(monkeypatch)
    await send_digests(h)
    digest = the_digest(h, group)
    assert digest.photo is not None
    assert digest.photo == rows[key].png
    assert drawn == []  # nothing drawn at send time
    assert (await stored(h))[key].file_id == digest.photo_file_id


async def test_entry_logged_after_the_chart_was_drawn_gets_a_new_chart(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lan, group = await link_group(h)
    await week_of_entries(h)
    h.clock.set(at(6, 45))
    assert (await charts(h).run_once()).drawn == 1
    (ahead,) = (await stored(h)).values()

    h.clock.set(at(7, 0))  # a late entry for Sunday, after the chart was drawn
    await log(h, "/log hoa_giai 1 22/11/2026")
    drawn = count_send_time_draws(monkeypatch)
    await send_digests(h)
    digest = the_digest(h, group)
    key = await expected_key(h)
    assert key != ahead.key
    assert len(drawn) == 1 and drawn[0].key == key
    rows = await stored(h)
    assert set(rows) == {ahead.key, key}
    assert digest.photo is not None
    assert digest.photo == rows[key].png != ahead.png


async def test_same_chart_uploaded_once_for_several_chats(h: Harness) -> None:
    lan, group = await link_group(h)
    second = h.emu.group(-100951, "Ban công tác xã Yên Nguyên")
    await second.add_bot(lan)
    h.emu.set_member_status(second.id, lan.id, "administrator")
    assert text_of((await lan.send("/link", chat=second))[0]).startswith(
        "Nhóm này đã được liên kết"
    )
    await week_of_entries(h)
    uploads = h.emu.uploads
    await send_digests(h)
    first, other = the_digest(h, group), the_digest(h, second.id)
    assert first.photo is not None and other.photo is not None
    assert first.photo_file_id == other.photo_file_id
    assert first.photo == other.photo
    assert h.emu.uploads - uploads == 1


async def test_refused_file_id_is_uploaded_again(h: Harness) -> None:
    _lan, group = await link_group(h)
    await week_of_entries(h)
    h.clock.set(at(6, 45))
    await charts(h).run_once()
    # A file_id Telegram does not know (another bot's: the token changed, or it expired).
    async with h.db.session() as session:
        await session.execute(update(ChartImage).values(file_id="BQACAgIAAxkBAAI000999bogus"))
    uploads = h.emu.uploads
    await send_digests(h)
    digest = the_digest(h, group)
    assert digest.photo is not None
    assert h.emu.uploads - uploads == 1
    (row,) = (await stored(h)).values()
    assert row.file_id == digest.photo_file_id != "BQACAgIAAxkBAAI000999bogus"
    assert digest.photo == row.png


async def test_file_id_forgotten_by_telegram_after_a_restart(h: Harness) -> None:
    """The file_id kept in the database serves a new process; when Telegram no longer knows it,
    the chart is uploaded again and the new file_id kept."""
    lan, group = await link_group(h)
    await week_of_entries(h)
    await send_digests(h)
    (row,) = (await stored(h)).values()
    old = row.file_id
    assert old is not None
    await h.restart()
    second = h.emu.group(-100952, "Chi hội xã Yên Nguyên")
    await second.add_bot(lan)
    h.emu.set_member_status(second.id, lan.id, "administrator")
    await lan.send("/link", chat=second)
    h.emu.forget_file(old)
    h.clock.set(SLOT.astimezone(UTC) + timedelta(minutes=1))
    await h.plan_reminders()
    await h.dispatch()
    digest = the_digest(h, second.id)
    assert digest.photo is not None
    assert digest.photo_file_id != old
    assert (await stored(h))[row.key].file_id == digest.photo_file_id
    assert len(digests_in(h, group, "Tổng hợp tuần")) == 1


async def test_old_charts_are_forgotten(h: Harness) -> None:
    _lan, _group = await link_group(h)
    await week_of_entries(h)
    h.clock.set(at(6, 45))
    await charts(h).run_once()
    assert len(await stored(h)) == 1
    h.clock.advance(days=40, minutes=-1)
    assert (await charts(h).run_once()).pruned == 0
    h.clock.advance(minutes=2)  # old enough, but the job prunes at most once an hour
    assert (await charts(h).run_once()).pruned == 0
    h.clock.advance(hours=1)
    assert (await charts(h).run_once()).pruned == 1
    assert await stored(h) == {}


async def test_pool_failure_leaves_drawing_to_send_time(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool that cannot draw (a worker died) fails the job, not the digest."""
    from concurrent.futures import Executor, Future

    class Broken(Executor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_exception(RuntimeError("worker died"))
            return future

    _lan, group = await link_group(h)
    await week_of_entries(h)
    job = charts(h)
    monkeypatch.setattr(job, "pool", lambda workers: Broken())
    h.clock.set(at(6, 45))
    with pytest.raises(RuntimeError, match="worker died"):
        await job.run_once()
    assert await stored(h) == {}

    # The scheduler's callback logs the failure and comes back a minute later.
    from bot.runtime.app import _prerender_charts

    class Leader:
        def __init__(self) -> None:
            self.next: list[tuple[str, float]] = []

        def reschedule(self, name: str, when: float) -> None:
            self.next.append((name, when))

    class Context:
        application = h.app

    assert h.app is not None
    leader = h.app.bot_data["scheduler"] = Leader()
    try:
        await _prerender_charts(Context())  # type: ignore[arg-type]
    finally:
        del h.app.bot_data["scheduler"]
    assert leader.next == [("charts", 60)]
    assert await stored(h) == {}
    drawn = count_send_time_draws(monkeypatch)
    await send_digests(h)
    assert the_digest(h, group).photo is not None
    assert len(drawn) == 1


async def test_a_stopping_bot_leaves_the_slot_to_the_next_run(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SIGTERM the job ends after the charts in hand; the next run does the rest."""
    from concurrent.futures import Executor, Future

    class Inline(Executor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(fn(*args, **kwargs))
            return future

    lan, _group = await link_group(h)
    english = h.emu.group(-100953, "Front committee (English)")
    await english.add_bot(lan)
    h.emu.set_member_status(english.id, lan.id, "administrator")
    await lan.send("/link", chat=english)
    async with h.db.session() as session:
        await chats_q.update_settings(session, english.id, language="en")
    await week_of_entries(h)
    job = charts(h)
    monkeypatch.setattr(job, "pool", lambda workers: Inline())
    monkeypatch.setattr(job, "workers", 1)
    monkeypatch.setattr(digest_charts, "QUEUED_PER_WORKER", 1)
    h.clock.set(at(6, 45))
    # Asked once for the one unit, once before the first chart; then the bot is stopping.
    checks = iter([False, False] + [True] * 10)
    stopped = await job.run_once(stopping=lambda: next(checks))
    assert (stopped.charts, stopped.drawn) == (2, 1)
    assert len(await stored(h)) == 1 and job.done == set()
    rest = await job.run_once()
    assert (rest.charts, rest.drawn) == (2, 1)
    assert len(await stored(h)) == 2 and job.done == {("w", *WEEK)}
