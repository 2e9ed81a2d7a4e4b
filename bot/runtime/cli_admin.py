"""``phoihop admin``: invite links and roles, for the first owner and for repairs.

Imported only when one of these commands runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse

from bot import members, menu_button
from bot.clock import SystemClock
from bot.onboarding import MAX_USES, create_invite, invite_link, parse_duration
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command, find_unit
from bot.settings import Settings
from storage.db import Database
from storage.queries import people as people_q


async def _admin_invite(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    try:
        valid = parse_duration(args.expires)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not 1 <= args.uses <= MAX_USES:
        raise CliError(f"--uses must be between 1 and {MAX_USES}")
    username = await bot_username(settings)
    clock = SystemClock()
    async with db.session() as session:
        unit = await find_unit(session, args.unit)
        code = await create_invite(
            session, unit=unit, role=args.role, now=clock.now(), valid_for=valid, max_uses=args.uses
        )
    until = (clock.now() + valid).astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
    print(
        f"invite for {args.role} of {unit.name} ({unit.code}), {args.uses} use(s), valid until {until}:"
    )
    print(invite_link(username, code))
    return 0


async def bot_username(settings: Settings) -> str:
    """PHOIHOP_BOT_USERNAME, else ask the Bot API with the token."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if not settings.bot_token:
        raise CliError(
            "set PHOIHOP_BOT_USERNAME (or PHOIHOP_BOT_TOKEN) so the link can name the bot"
        )
    from telegram import Bot  # only when the username is not configured
    from telegram.error import TelegramError

    try:
        async with Bot(settings.bot_token, base_url=settings.bot_api_url) as bot:
            return str(bot.username)
    except TelegramError as exc:
        raise CliError(f"cannot ask the Bot API for the bot's username: {exc}") from None


async def _admin_grant(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    clock = SystemClock()
    async with db.session() as session:
        unit = await find_unit(session, args.unit)
        person = await people_q.ensure(session, args.telegram_id, clock.now())
        held = await members.grant(session, None, unit, person, args.role, clock.now())
        # The running bot gives a new leader the dashboard's menu button.
        await menu_button.queue(session, settings.web_url, person, clock.now())
    print(f"{args.telegram_id} is now {held} of {unit.name} ({unit.code})")
    return 0


async def _admin_menu_buttons(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    if not settings.web_url:
        raise CliError("set PHOIHOP_WEB_URL first: without the dashboard there is no button to set")
    clock = SystemClock()
    async with db.session() as session:
        queued = await menu_button.queue_every_leader(session, settings.web_url, clock.now())
    print(f"{queued} leader(s)' menu button queued; the running bot sets them through the outbox")
    return 0


invite = command(_admin_invite)
grant = command(_admin_grant)
menu_buttons = command(_admin_menu_buttons)
