"""The end-to-end harness: the real ``Application`` (all handlers, our database, a fake clock)
polling the Bot API emulator over HTTP. Tests talk as users through ``UserClient``; ``send`` and
``press`` return once the bot has finished handling the update (no sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from types import TracebackType
from typing import Any

import icalendar
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor, load_actor
from bot.clock import FakeClock
from bot.demo import Demo, seed_demo
from bot.emulator import BotApiEmulator, BotMessage, UserClient
from bot.i18n import I18n
from bot.notifications import Dispatcher, DispatchReport
from bot.onboarding import create_invite
from bot.runtime.app import App, build_application
from bot.runtime.runner import start_app, stop_app
from bot.services import Services
from bot.settings import Settings
from handlers.export import export_jobs
from storage.db import Database
from storage.models import PeriodLock, Unit
from storage.queries import people as people_q
from storage.queries import units as units_q
from storage.reply_marks import ReplyMarks

#: A typed answer at a yes/no question that is neither a yes nor a no (``Step.yes_no``).
YES_NO_ONLY = "Hãy bấm một nút phía trên hoặc gõ “có” / “không”."
#: A typed yes or no where no step asks one: a one-shot question's button is a tap only.
PRESS_THE_BUTTON = (
    "Hiện không có câu hỏi nào chờ bạn gõ “có” / “không”. Để trả lời một câu hỏi có nút bấm "
    "(giấy mời họp, xóa mục đã ghi, hủy cuộc họp, duyệt báo cáo…), hãy bấm nút của câu hỏi đó: "
    "các câu hỏi này chỉ trả lời bằng nút bấm."
)


class Harness:
    #: Production puts AIORateLimiter in front of every request; tests leave it out (its 30/s
    #: pacing is real time) unless they test it (tests/faults/test_network.py).
    rate_limit = False

    def __init__(self, db: Database, clock: FakeClock) -> None:
        self.db = db
        self.clock = clock
        self.emu = BotApiEmulator()
        self.app: App | None = None
        self.services: Services | None = None
        #: Settings for the next ``start_bot``/``restart``. Conversations in tests send many updates
        #: at one instant of the fake clock, so the flood limit is off unless a test turns it on.
        self.overrides: dict[str, Any] = {"flood_burst": 0}
        #: ``send``/``press`` also wait for the exports they started (built in the background,
        #: handlers/export.py); a test that holds an export half-way turns this off.
        self.wait_for_exports = True

    async def __aenter__(self) -> Harness:
        await self.emu.start()
        await self.start_bot()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_bot()
        await self.emu.stop()

    def settings(self) -> Settings:
        return Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=self.db.url,
            bot_api_url=self.emu.base_url,
            bot_api_file_url=self.emu.base_file_url,
            bot_token=self.emu.token,
            outbox_interval=0,  # tests run the dispatcher themselves, at the fake clock's time
            strict_unit_of_work=True,  # a Bot API call inside a transaction fails the test
            # The notes that updates were answered wait for ``flush_reply_marks`` (or the stop).
            **{"reply_marks_delay": 0, **self.overrides},
        )

    async def start_bot(self) -> None:
        settings = self.settings()
        self.services = Services(
            settings=settings, db=self.db, clock=self.clock, i18n=I18n(settings.tz)
        )
        self.app = build_application(
            self.services, token=self.emu.token, rate_limit=self.rate_limit
        )
        await start_app(self.app, poll_timeout=1)
        self.emu.settle_hook = self._settle

    async def _settle(self) -> None:
        """The updates handled, and the background work they started done."""
        assert self.app is not None
        poller = self.app.bot_data.get("poller")
        if poller is not None:  # the updates stored in the inbox, handled
            await poller.settled()
        await self.app.update_queue.join()
        if self.wait_for_exports:
            await export_jobs(self.app).join()

    async def stop_bot(self) -> None:
        if self.app is not None:
            await stop_app(self.app)
            self.app = None
            self.emu.settle_hook = None

    @property
    def dispatcher(self) -> Dispatcher:
        assert self.app is not None
        dispatcher: Dispatcher = self.app.bot_data["dispatcher"]
        return dispatcher

    async def dispatch(self) -> DispatchReport:
        """One outbox round at the fake clock's time; waits until the sends are in the emulator."""
        return await self.dispatcher.run_once()

    @property
    def reply_marks(self) -> ReplyMarks:
        assert self.app is not None
        marks: ReplyMarks = self.app.bot_data["reply_marks"]
        return marks

    async def flush_reply_marks(self) -> int:
        """Write the notes "its replies are out" of the updates handled so far (in production a
        second after the first of them, storage/reply_marks.py)."""
        return await self.reply_marks.flush()

    async def plan_reminders(self) -> int:
        """One run of the reminder planner at the fake clock's time."""
        from bot.runtime.app import plan_reminders

        assert self.services is not None
        return await plan_reminders(self.services)

    async def restart(self) -> None:
        """Stop the bot process and start a new one on the same database (in-memory state is gone)."""
        await self.stop_bot()
        await self.start_bot()

    def user(
        self,
        user_id: int,
        first_name: str = "Lan",
        *,
        language_code: str | None = "vi",
        **kwargs: str | None,
    ) -> UserClient:
        return self.emu.user(user_id, first_name, language_code=language_code, **kwargs)

    async def seed_demo(self) -> Demo:
        async with self.db.session() as session:
            return await seed_demo(session, self.clock.now())

    async def grant(self, telegram_id: int, unit_code: str, role: str) -> None:
        async with self.db.session() as session:
            unit = await units_q.by_code(session, unit_code)
            assert unit is not None, unit_code
            person = await people_q.ensure(session, telegram_id, self.clock.now())
            await people_q.grant(session, person.id, unit.id, role, self.clock.now(), "test")

    async def invite(
        self, unit_code: str, role: str = "cadre", uses: int = 1, days: int = 7
    ) -> str:
        """An invite code made the way the CLI makes one."""
        async with self.db.session() as session:
            unit = await units_q.by_code(session, unit_code)
            assert unit is not None, unit_code
            return await create_invite(
                session,
                unit=unit,
                role=role,
                now=self.clock.now(),
                valid_for=timedelta(days=days),
                max_uses=uses,
            )


async def unit_of(session: AsyncSession, code: str) -> Unit:
    """A unit the test has seeded (which must be there)."""
    unit = await units_q.by_code(session, code)
    assert unit is not None, code
    return unit


async def actor_of(session: AsyncSession, telegram_id: int) -> Actor:
    """The actor of a person the test has seeded (who must be there)."""
    person = await people_q.by_telegram_id(session, telegram_id)
    assert person is not None, telegram_id
    return await load_actor(session, person)


async def lock_period(h: Harness, code: str, starts_on: date, ends_on: date) -> None:
    """Lock the activity log of unit ``code``'s organisation from it down for the dates given,
    as approving its report would (``reason`` "test")."""
    async with h.db.session() as session:
        unit = await unit_of(session, code)
        session.add(
            PeriodLock(
                unit_id=unit.id,
                prefix=unit.path,
                org=unit.org,
                starts_on=starts_on,
                ends_on=ends_on,
                reason="test",
                created_at=h.clock.now(),
            )
        )


def transaction_counter(
    h: Harness, request: pytest.FixtureRequest
) -> Callable[[Awaitable[object]], Awaitable[int]]:
    """``await count(user.send(...))``: the transactions the update began (the engine's
    ``begin`` event), not the long poller's own (its tasks are named ``phoihop:…``: storing a
    batch, marking updates done: bot/runtime/inbox.py)."""
    opened: list[int] = []

    def begin(_conn: Any) -> None:
        task = asyncio.current_task()
        if task is None or not task.get_name().startswith("phoihop:"):
            opened.append(1)

    engine = h.db.engine.sync_engine
    event.listen(engine, "begin", begin)
    request.addfinalizer(lambda: event.remove(engine, "begin", begin))

    async def count(action: Awaitable[object]) -> int:
        opened.clear()
        await action
        return len(opened)

    return count


def text_of(message: BotMessage | None) -> str:
    """The text (or caption) of a message the bot sent.

    ``BotMessage.text`` is ``None`` for a message that has neither (a photo without a caption, a
    document), and a chat's ``last`` is ``None`` before the bot has written there; a test that
    reads the text expects both, and this says so where mypy can see it.
    """
    assert message is not None, "the bot has sent no message"
    assert message.text is not None, f"message {message.message_id} has no text"
    return message.text


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition`` holds (scheduling steps, not time)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the other tasks never got there")


def ics_sequence(component: icalendar.Component) -> int:
    """An iCalendar component's SEQUENCE, which must be present (a missing one is not a 0)."""
    value = component["SEQUENCE"]
    assert isinstance(value, int), value  # icalendar's vInt is an int
    return value
