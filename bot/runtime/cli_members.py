"""``phoihop admin list|remove|role|revoke``: an operator's view and repair of a unit's members and
invite links, through the same domain as the bot's /members (bot/members.py): audited with the
command line as the source, and the rights a membership gave end with it (flows, drafts,
notices), as they do when a leader removes someone in the bot.

Imported only when one of these commands runs (see ``bot.runtime.cli``).
"""

from __future__ import annotations

import argparse
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import members as mem
from bot import menu_button
from bot.clock import SystemClock
from bot.members import MemberError
from bot.names import name_of
from bot.runtime.cli import CliError
from bot.runtime.cli_common import command, find_unit
from bot.settings import Settings
from storage.db import Database
from storage.models import Unit
from storage.queries import people as people_q

PROBLEMS = {
    "not_member": "{who} is not a member of {unit}",
    "same": "{who} is already {role} of {unit}",
    "no_invite": "no invite #{invite}",
}


async def _members(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    clock = SystemClock()
    now = clock.now()
    action = args.members_action
    async with db.session() as session:
        if action == "revoke":
            try:
                invite, unit = await mem.revoke(session, None, args.invite_id, now)
            except MemberError as exc:
                raise CliError(_problem(exc, invite=args.invite_id)) from None
            print(f"invite #{invite.id} ({invite.role} of {unit.name}, {unit.code}) is withdrawn")
            return 0
        unit = await find_unit(session, args.unit)
        if action == "list":
            await _list(session, unit, now, settings)
            return 0
        person = await people_q.by_telegram_id(session, args.telegram_id)
        who = str(args.telegram_id)
        try:
            if person is None:
                raise MemberError("not_member")
            if action == "remove":
                done = await mem.remove(session, None, unit, person.id, now)
            else:
                done = await mem.set_role(session, None, unit, person.id, args.role, now)
            # The running bot sets their menu button (the dashboard's, or the default).
            await menu_button.queue(session, settings.web_url, person, now)
        except MemberError as exc:
            raise CliError(
                _problem(exc, who=who, unit=unit, role=getattr(args, "role", ""))
            ) from None
    closed = f"; closed: {', '.join(done.closed)}" if done.closed else ""
    dropped = f"; {done.dropped} notice(s) dropped" if done.dropped else ""
    if done.after is None:
        print(f"{who} is no longer {done.before} of {unit.name} ({unit.code}){closed}{dropped}")
    else:
        print(f"{who} is now {done.after} of {unit.name} ({unit.code}){closed}{dropped}")
    return 0


async def _list(session: AsyncSession, unit: Unit, now: datetime, settings: Settings) -> None:
    roster = await mem.roster(session, None, unit, now)
    print(f"{unit.name} ({unit.code}): {len(roster.members)} member(s)")
    for m in roster.members:
        since = m.since.astimezone(settings.tz).strftime("%d/%m/%Y")
        name = name_of(m.person) or "-"
        print(f"  {m.person.telegram_id}\t{m.role}\t{name}\tsince {since}")
    print(f"invite links still open: {len(roster.invites)}")
    for i in roster.invites:
        until = i.expires_at.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
        print(f"  #{i.id}\t{i.role}\tused {i.uses} of {i.max_uses}\tuntil {until}")
    # The audit: every change of the unit's memberships, the last ones (joins and grants too).
    changes = await mem.changes(session, None, unit)
    print(f"changes (the last {mem.CHANGES_SHOWN}): {len(changes)}")
    for c in changes:
        e = c.event
        at = e.at.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
        who = c.person.telegram_id if c.person is not None else "-"
        by = f"by {c.by.telegram_id}" if c.by is not None else f"by {e.source}"
        link = f"\tinvite #{e.invite_id}" if e.invite_id is not None else ""
        roles = f"{e.role_before or '-'} -> {e.role_after or '-'}"
        print(f"  {at}\t{e.action}\t{who}\t{roles}\t{by}{link}")


def _problem(exc: MemberError, **names: object) -> str:
    unit = names.get("unit")
    fill = {
        "who": names.get("who", ""),
        "unit": f"{unit.name} ({unit.code})" if isinstance(unit, Unit) else "",
        "role": names.get("role", ""),
        "invite": names.get("invite", ""),
    }
    return PROBLEMS.get(exc.code, exc.code).format(**fill)


members = command(_members)
