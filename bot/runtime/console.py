"""``phoihop console [--demo]``: the real application, database and scheduler, talking to a Bot API
emulator inside this process; the terminal is the phone.

You type as a chosen user (``/as 1002``), in your private chat or a group (``/group NAME``); the bot's
replies are printed with inline buttons numbered (``/press 2``) and reply-keyboard buttons listed
(type their text); what it sends on its own is printed as it arrives (bot/runtime/console_repl.py).
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.demo import Demo, seed_demo, seed_demo_activities, seed_demo_meetings, seed_demo_round
from bot.demo_petitions import seed_demo_agenda, seed_demo_petitions
from bot.emulator import BotApiEmulator
from bot.onboarding import create_invite, invite_link
from bot.runtime.app import App, build_application
from bot.runtime.console_repl import Console, FileShelf, Out, full_name, people_table
from bot.runtime.runner import make_services, start_app, stop_app
from bot.runtime.webapp import Dashboard, WebServer, launch_fragment
from bot.schema import prepare_database
from bot.settings import Settings
from bot.webapp_auth import launch_data
from storage.db import Database
from storage.queries import units as units_q


def run_console(
    settings: Settings, *, demo: bool, db_file: str | None, files: str | None = None
) -> int:
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
        return asyncio.run(
            console_session(settings, url=url, demo=demo, lines=lines(), out=print, files=files)
        )


async def console_session(
    settings: Settings,
    *,
    url: str,
    demo: bool,
    lines: AsyncIterator[str],
    out: Out,
    files: str | None = None,
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
            # The printed demo links are for trying things at leisure: a day, not an hour.
            "web_auth_max_age": max(settings.web_auth_max_age, 24 * 3600.0),
        }
    )
    app: App | None = None
    web: WebServer | None = None
    try:
        # The console is for trying things: it brings the schema up to date itself.
        await prepare_database(db, SystemClock().now())
        people = await _seed(db, out, settings.tz) if demo else None
        app = build_application(make_services(settings, db), token=emulator.token, rate_limit=False)
        await start_app(app, poll_timeout=1)
        web = await _dashboard(app, settings, emulator.token, out, people)
        # A typed line is answered once the update was stored, then handled (bot/runtime/polling.py).
        emulator.settle_hook = app.bot_data["poller"].settled
        await Console(emulator, people, out, FileShelf(files)).run(lines)
    finally:
        if web is not None:
            await web.stop()
        if app is not None:
            await stop_app(app)
        await emulator.stop()
        await db.dispose()
    return 0


#: The demo people whose dashboard links are printed: a commune's and the province's leader.
DASHBOARD_PEOPLE = (1002, 1001)


async def _dashboard(
    app: App, settings: Settings, token: str, out: Out, demo: Demo | None
) -> WebServer | None:
    """Serve the dashboard on ``PHOIHOP_WEB_LISTEN`` (another free port when that one is taken)
    and print links that open it as demo leaders, signed as Telegram would sign them."""
    if settings.web_listen == "off":
        return None
    host, _, port = settings.web_listen.rpartition(":")
    dashboard = Dashboard(app.bot_data["services"], token)
    server = WebServer(dashboard, host.strip("[]"), int(port))
    try:
        await server.start()
    except OSError:
        server = WebServer(dashboard, host.strip("[]"), 0)
        await server.start()
    if demo is None:
        out(f"Dashboard: {server.url} (open it from Telegram, or with signed launch data)")
        return server
    hours = settings.web_auth_max_age / 3600
    out(f"Dashboard (open in a browser; each link works for {hours:g} h):")
    now = SystemClock().now()
    for person in demo.people:
        if person.telegram_id in DASHBOARD_PEOPLE:
            data = launch_data(
                token,
                user_id=person.telegram_id,
                first_name=person.first_name,
                last_name=person.last_name or None,
                language_code=person.language,
                auth_date=now,
            )
            out(f"  {full_name(person)}: {server.url}#{launch_fragment(data)}")
    return server


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
        await seed_demo_petitions(session, demo, clock.now(), tz)
        await seed_demo_agenda(session, demo, clock.now())
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
    out(people_table(demo))
    out(f"Invite link for new cadres of {newcomer_unit.name}: {invite_link('phoihop_bot', code)}")
    out(
        f"Try: /as 1012, then /start {code}. A quarterly report round is open: /as 1004, then /report."
    )
    return demo
