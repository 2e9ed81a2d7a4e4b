"""``phoihop console [--demo]``: the real application, database and scheduler, talking to a Bot API
emulator inside this process; the terminal is the phone.

You type as a chosen user (``/as 1002``); the bot's replies are printed with inline buttons numbered
(``/press 2``) and reply-keyboard buttons listed (type their text). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.demo import Demo, seed_demo, seed_demo_activities, seed_demo_meetings, seed_demo_round
from bot.emulator import BotApiEmulator, BotMessage, UserClient
from bot.onboarding import create_invite, invite_link
from bot.runtime.app import App, build_application
from bot.runtime.runner import make_services, start_app, stop_app
from bot.schema import prepare_database
from bot.settings import Settings
from storage.db import Database
from storage.queries import units as units_q

HELP = """Console commands:
  /as ID            talk as the Telegram user ID (demo people: /users)
  /users            list the demo people
  /press N          press inline button N of the last message that has buttons
  /quit             leave (Ctrl+D works too)
Anything else is sent to the bot as the current user, e.g. /start, /help, /me."""

Out = Callable[[str], None]


def run_console(settings: Settings, *, demo: bool, db_file: str | None) -> int:
    async def lines() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, input, "> ")
            except EOFError:
                return
            yield line

    with tempfile.TemporaryDirectory(prefix="phoihop-console-") as tmp:
        if db_file:
            url = f"sqlite+aiosqlite:///{os.path.abspath(db_file)}"
        elif demo:
            url = f"sqlite+aiosqlite:///{os.path.join(tmp, 'demo.db')}"
        else:
            url = settings.database_url
        return asyncio.run(console_session(settings, url=url, demo=demo, lines=lines(), out=print))


async def console_session(
    settings: Settings, *, url: str, demo: bool, lines: AsyncIterator[str], out: Out
) -> int:
    db = Database(url)
    emulator = BotApiEmulator()
    await emulator.start()
    settings = settings.model_copy(
        update={
            "database_url": url,
            "bot_api_url": emulator.base_url,
            "bot_api_file_url": emulator.base_file_url,
            "bot_token": emulator.token,
        }
    )
    app: App | None = None
    try:
        # The console is for trying things: it brings the schema up to date itself.
        await prepare_database(db, SystemClock().now())
        people = await _seed(db, out, settings.tz) if demo else None
        app = build_application(make_services(settings, db), token=emulator.token, rate_limit=False)
        await start_app(app, poll_timeout=1)
        emulator.settle_hook = app.update_queue.join
        await _repl(emulator, people, lines, out)
    finally:
        if app is not None:
            await stop_app(app)
        await emulator.stop()
        await db.dispose()
    return 0


async def _seed(db: Database, out: Out, tz: ZoneInfo) -> Demo | None:
    clock = SystemClock()
    async with db.session() as session:
        if await units_q.count(session):
            out("(the database already has units: demo data not added)")
            return None
        demo = await seed_demo(session, clock.now())
        entries = await seed_demo_activities(
            session, clock.now().astimezone(tz).date(), clock.now()
        )
        await seed_demo_round(session, demo, clock.now(), tz)
        await seed_demo_meetings(session, demo, clock.now(), tz)
        newcomer_unit = await units_q.by_code(session, f"{demo.people[4].unit_code}")
        assert newcomer_unit is not None
        code = await create_invite(
            session,
            unit=newcomer_unit,
            role="cadre",
            now=clock.now(),
            valid_for=timedelta(days=7),
            max_uses=5,
        )
    out(
        f"Demo: {demo.province.name}, its communes, residential areas and member organisations; {entries} activities over the past year."
    )
    out(_people_table(demo))
    out(f"Invite link for new cadres of {newcomer_unit.name}: {invite_link('phoihop_bot', code)}")
    out(
        f"Try: /as 1012, then /start {code}. A quarterly report round is open: /as 1004, then /report."
    )
    return demo


def _people_table(demo: Demo) -> str:
    rows = [
        f"  {p.telegram_id}  {(p.last_name + ' ' + p.first_name).strip()}  ({p.role or 'no unit yet'}{', ' + p.unit_code if p.unit_code else ''})"
        for p in demo.people
    ]
    return "People:\n" + "\n".join(rows)


async def _repl(
    emulator: BotApiEmulator, demo: Demo | None, lines: AsyncIterator[str], out: Out
) -> None:
    known = {p.telegram_id: p for p in demo.people} if demo else {}
    current: UserClient | None = None

    def switch(user_id: int) -> UserClient:
        person = known.get(user_id)
        if person is not None:
            return emulator.user(
                user_id,
                person.first_name,
                last_name=person.last_name,
                language_code=person.language,
            )
        return emulator.user(user_id, f"User {user_id}", language_code="vi")

    out(HELP)
    if known:
        current = switch(1002)
        out(f"You are now {current.first_name} ({current.id}). Say /start.")
    async for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            break
        if line == "/users":
            out(_people_table(demo) if demo else "(no demo people; use /as ID with any number)")
            continue
        match = re.fullmatch(r"/as\s+([0-9]{1,15})", line)
        if match:
            current = switch(int(match.group(1)))
            out(f"You are now {current.first_name} ({current.id}).")
            continue
        if current is None:
            out("Choose who you are first: /as ID (e.g. /as 1012)")
            continue
        match = re.fullmatch(r"/press\s+([0-9]{1,3})", line)
        try:
            if match:
                messages = await current.press(int(match.group(1)))
            else:
                messages = await current.send(line)
        except (LookupError, ValueError) as exc:
            out(f"(console) {exc}")
            continue
        for message in messages:
            out(render(message))


def render(message: BotMessage) -> str:
    """A bot message as terminal text (as the phone shows it), buttons numbered."""
    text = message.text or ""
    lines = [("✎ " if message.edited else "") + "bot: " + text.replace("\n", "\n     ")]
    if message.document:
        lines.append(
            f"     [file: {message.document.get('file_name')} ({len(message.document.get('data', b''))} bytes)]"
        )
    if message.photo:
        lines.append(f"     [photo: {len(message.photo)} bytes]")
    number = 0
    for row in message.inline_buttons:
        cells = []
        for button in row:
            number += 1
            cells.append(f"[{number}] {button.get('text')}")
        lines.append("     " + "   ".join(cells))
    if message.keyboard:
        lines.append("     keyboard: " + " | ".join(" | ".join(row) for row in message.keyboard))
    return "\n".join(lines)
