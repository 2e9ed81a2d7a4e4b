"""/members: a unit leader (for their subtree) or an operator lists a unit's members and the
invite links still open, removes a member, changes a role (up or down, never above their own) and
withdraws a link. A flow on the kernel (handlers/flow): the unit (the /invite tree walk) → the
list → one member (roles, remove → confirm), one link (withdraw) or the unit's change history
(the last changes of its memberships, the audit ``phoihop admin list`` prints too).

Every press is checked again on the server (bot/members.py): callback data names a person or a
link, which must belong to the flow's unit, itself one the presser leads. The domain audits each
change and ends the rights a membership gave (open flows, drafts, notices); the person hears of
it through the ``membership_changed`` notice rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot import members as mem
from bot import menu_button
from bot.i18n import N_, Translator
from bot.members import MemberError
from bot.names import name_of
from bot.notifications import Notice
from bot.profile import format_phone
from bot.services import Services
from handlers import flow, invites
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, page_buttons, role_label
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Outcome, Redraw, Screen, Stay, Step
from handlers.flow.engine import title_of
from handlers.flow_units import chosen_unit
from handlers.invites import esc_label
from handlers.notices import register
from storage.models import Person, Unit
from storage.queries import units as units_q

PAGE = 10

NOT_LEADER = N_("Only a unit's leaders can manage its members.")
IN_GROUP = N_("Manage members in a private chat with me, not in a group.")
NOT_YOURS = N_("You can only manage the members of units you lead.")
STALE = N_("This button is no longer active. Start again with /members.")
PROBLEMS = {
    "forbidden": NOT_YOURS,
    "not_member": N_("This person is no longer a member of the unit."),
    "above": N_("You cannot give or change a role above your own."),
    "last_leader": N_(
        "You are the only leader of this unit: make someone else its leader first, or ask the "
        "leader of the unit above."
    ),
    "same": N_("That is already their role."),
    "role": STALE,
    "no_invite": N_("This invite link is no longer open."),
}


@dataclass
class MembersState:
    """The picker's place, the unit chosen, and the member or link being looked at."""

    node: int | None = None
    page: int = 0
    unit_id: int | None = None
    list_page: int = 0
    person_id: int | None = None
    removing: bool = False
    invite_id: int | None = None
    history: bool = False


def _problem(tr: Translator, error: MemberError) -> str:
    return _say(tr, error.code)


def _say(tr: Translator, code: str) -> str:
    return tr._(PROBLEMS.get(code, STALE))


def _name(person: Person | None) -> str:
    if person is None:
        return "?"
    return name_of(person) or str(person.telegram_id)


async def _unit(call: Call, state: MembersState) -> Unit:
    unit = await units_q.get(call.session, state.unit_id or 0)
    if unit is None or not call.actor.can_admin(unit):
        raise MemberError("forbidden")
    return unit


async def begin(call: Call) -> MembersState | Stay:
    if not call.actor.is_admin:
        return Stay(call.tr._(NOT_LEADER))
    return MembersState(node=await invites.start_node(call))


async def show_unit(call: Call, state: MembersState) -> Screen:
    tr = call.tr
    return await invites.picker(
        call,
        state.node,
        state.page,
        tr._("Which unit's members do you want to see?"),
        tr._("Which unit's members do you want to see? Now in: <b>{unit}</b>"),
    )


async def press_unit(call: Call, state: MembersState, action: str, args: list[str]) -> Outcome:
    picked = await invites.picked_unit(call, action, args)
    if picked is None:
        return Stay(call.tr._(NOT_YOURS))
    if action == "o":
        state.node, state.page = picked
        return Redraw()
    state.unit_id, state.list_page = picked[0], 0
    state.person_id, state.invite_id, state.removing = None, None, False
    state.history = False
    return Next(to="list")


async def show_list(call: Call, state: MembersState) -> Screen:
    tr = call.tr
    unit = await _unit(call, state)
    roster = await mem.roster(call.session, call.actor, unit, call.now)
    lines = [
        tr.ngettext(
            "<b>{unit}</b>: {count} member", "<b>{unit}</b>: {count} members", len(roster.members)
        ).format(unit=esc(unit.name), count=tr.number(len(roster.members)))
    ]
    shown = roster.members[state.list_page * PAGE : (state.list_page + 1) * PAGE]
    lines += [
        f"• {esc(_name(m.person))} — {role_label(tr, m.role)}"
        + (f" · {format_phone(m.person.phone)}" if m.person.phone else "")
        for m in shown
    ]
    rows: list[list[tuple[str, str]]] = [
        [(esc_label(f"{_name(m.person)} · {role_label(tr, m.role)}"), f"p:{m.person.id}")]
        for m in shown
    ]
    nav = page_buttons(tr, state.list_page, PAGE, len(roster.members), lambda p: f"pg:{p}")
    if nav:
        rows.append(nav)
    if roster.invites:
        lines.append("\n" + tr._("Invite links still open:"))
        for invite in roster.invites:
            lines.append("• " + _invite_line(tr, invite))
            rows.append([("✕ " + tr._("Link #{id}").format(id=invite.id), f"i:{invite.id}")])
    else:
        lines.append("\n" + tr._("No invite link is open."))
    rows.append([(tr._("Change history"), "h")])
    rows.append([("‹ " + tr._("Another unit"), "u"), (tr._("Done"), "x")])
    return Screen("\n".join(lines), rows)


def _invite_line(tr: Translator, invite: Any) -> str:
    return tr._("#{id} {role}: used {uses} of {max}, valid until {until}").format(
        id=invite.id,
        role=role_label(tr, invite.role),
        uses=tr.number(invite.uses),
        max=tr.number(invite.max_uses),
        until=tr.moment(invite.expires_at),
    )


async def press_list(call: Call, state: MembersState, action: str, args: list[str]) -> Outcome:
    tr = call.tr
    if action == "x":
        return Finish(tr._("Done. /members shows them again."))
    if action == "u":
        state.unit_id = None
        return Next(to="unit")
    if action == "pg":
        state.list_page = max(int(args[0]), 0)
        return Redraw()
    state.history = False
    unit = await _unit(call, state)
    if action == "h":
        state.history = True
        return Next(to="history")
    if action == "p":
        person = await call.session.get(Person, int(args[0]))
        if person is None or not any(
            m.person.id == person.id
            for m in (await mem.roster(call.session, call.actor, unit, call.now)).members
        ):
            return Stay(_say(tr, "not_member"))
        state.person_id, state.removing = person.id, False
        return Next(to="member")
    if action == "i":
        invite_id = int(args[0])
        roster = await mem.roster(call.session, call.actor, unit, call.now)
        if not any(i.id == invite_id for i in roster.invites):
            return Stay(_say(tr, "no_invite"))
        state.invite_id = invite_id
        return Next(to="invite")
    raise ValueError(action)


async def _member(call: Call, state: MembersState) -> tuple[Unit, Person, str] | None:
    unit = await _unit(call, state)
    roster = await mem.roster(call.session, call.actor, unit, call.now)
    found = next((m for m in roster.members if m.person.id == state.person_id), None)
    return None if found is None else (unit, found.person, found.role)


async def show_member(call: Call, state: MembersState) -> Screen:
    tr = call.tr
    found = await _member(call, state)
    if found is None:
        return Screen(_say(tr, "not_member"), [[("‹ " + tr._("Back"), "b")]])
    unit, person, role = found
    text = tr._("<b>{name}</b> is {role} of <b>{unit}</b>.").format(
        name=esc(_name(person)), role=role_label(tr, role), unit=esc(unit.name)
    )
    rows = [
        [(tr._("Make {role}").format(role=role_label(tr, r)), f"r:{r}")]
        for r in mem.roles_below(call.actor)
        if r != role
    ]
    rows.append([(tr._("Remove from the unit"), "x")])
    rows.append([("‹ " + tr._("Back"), "b")])
    return Screen(text, rows)


async def press_member(call: Call, state: MembersState, action: str, args: list[str]) -> Outcome:
    tr = call.tr
    if action == "b":
        state.person_id = None
        return Next(to="list")
    if action == "x":
        state.removing = True
        return Next(to="remove")
    if action != "r" or args[0] not in mem.BOT_ROLES:
        raise ValueError(action)
    unit = await _unit(call, state)
    try:
        done = await mem.set_role(
            call.session, call.actor, unit, state.person_id or 0, args[0], call.now
        )
    except MemberError as error:
        return Stay(_problem(tr, error))
    await menu_button.queue(call.session, call.services.settings.web_url, done.person, call.now)
    state.person_id = None
    text = tr._("{name} is now {role} of {unit}.").format(
        name=esc(_name(done.person)), role=role_label(tr, args[0]), unit=esc(unit.name)
    )
    if done.person.id == call.actor.person.id and done.closed:
        return Finish(text)  # stepped down: the list is no longer theirs
    return Next(to="list", text=text)


async def show_remove(call: Call, state: MembersState) -> Screen:
    tr = call.tr
    found = await _member(call, state)
    if found is None:
        return Screen(_say(tr, "not_member"), [[("‹ " + tr._("Back"), "n")]])
    unit, person, _role = found
    text = tr._(
        "Remove <b>{name}</b> from <b>{unit}</b>? Their entries stay with the unit; whatever "
        "they had open for it is closed."
    ).format(name=esc(_name(person)), unit=esc(unit.name))
    return Screen(text, [[(tr._("Yes, remove"), "y"), (tr._("No"), "n")]])


async def press_remove(call: Call, state: MembersState, action: str, args: list[str]) -> Outcome:
    tr = call.tr
    if action == "n":
        state.removing = False
        return Next(to="member")
    if action != "y":
        raise ValueError(action)
    unit = await _unit(call, state)
    try:
        done = await mem.remove(call.session, call.actor, unit, state.person_id or 0, call.now)
    except MemberError as error:
        return Stay(_problem(tr, error))
    # A leader no longer: the dashboard's menu button goes back to the default.
    await menu_button.queue(call.session, call.services.settings.web_url, done.person, call.now)
    state.person_id, state.removing = None, False
    text = tr._("{name} was removed from {unit}.").format(
        name=esc(_name(done.person)), unit=esc(unit.name)
    )
    if done.person.id == call.actor.person.id:
        return Finish(text)  # no longer theirs to list
    return Next(to="list", text=text)


async def show_invite(call: Call, state: MembersState) -> Screen:
    tr = call.tr
    unit = await _unit(call, state)
    roster = await mem.roster(call.session, call.actor, unit, call.now)
    invite = next((i for i in roster.invites if i.id == state.invite_id), None)
    if invite is None:
        return Screen(_say(tr, "no_invite"), [[("‹ " + tr._("Back"), "b")]])
    text = "\n".join(
        [
            tr._("Invite link for <b>{unit}</b>:").format(unit=esc(unit.name)),
            _invite_line(tr, invite),
            tr._("Withdraw it? Nobody can join with it afterwards."),
        ]
    )
    return Screen(text, [[(tr._("Withdraw the link"), "w"), ("‹ " + tr._("Back"), "b")]])


async def press_invite(call: Call, state: MembersState, action: str, args: list[str]) -> Outcome:
    tr = call.tr
    invite_id, state.invite_id = state.invite_id, None
    if action == "b":
        return Next(to="list")
    if action != "w":
        raise ValueError(action)
    unit = await _unit(call, state)
    roster = await mem.roster(call.session, call.actor, unit, call.now)
    if not any(i.id == invite_id for i in roster.invites):
        return Next(to="list", text=_say(tr, "no_invite"))
    try:
        await mem.revoke(call.session, call.actor, invite_id or 0, call.now)
    except MemberError as error:
        return Stay(_problem(tr, error))
    return Next(to="list", text=tr._("Invite link #{id} was withdrawn.").format(id=invite_id))


async def show_history(call: Call, state: MembersState) -> Screen:
    """The unit's last membership changes, oldest first (bot/members.py ``changes``: the same
    rule as the list, re-checked here)."""
    tr = call.tr
    unit = await _unit(call, state)
    changes = await mem.changes(call.session, call.actor, unit)
    back = [[("‹ " + tr._("Back"), "b")]]
    if not changes:
        text = tr._("No change to the members of <b>{unit}</b> has been recorded yet.")
        return Screen(text.format(unit=esc(unit.name)), back)
    lines = [
        tr.ngettext(
            "The last change to the members of <b>{unit}</b>:",
            "The last {count} changes to the members of <b>{unit}</b>:",
            len(changes),
        ).format(unit=esc(unit.name), count=tr.number(len(changes)))
    ]
    lines += [f"• {tr.moment(c.event.at)} · {_change_line(tr, c)}" for c in changes]
    return Screen("\n".join(lines), back)


def _change_line(tr: Translator, change: mem.Change) -> str:
    """One change as a sentence: who did what to whose membership (names family name first)."""
    event = change.event
    by = esc(_name(change.by)) if change.by is not None else tr._("an operator")
    fill = {
        "by": by,
        "person": esc(_name(change.person)),
        "invite": event.invite_id if event.invite_id is not None else "?",
        "before": role_label(tr, event.role_before or "cadre"),
        "after": role_label(tr, event.role_after or "cadre"),
    }
    if event.action == "join":
        text = tr._("{person} joined as {after} with invite link #{invite}, made by {by}")
    elif event.action == "grant":
        text = tr._("{by} gave {person} the role {after}")
    elif event.action == "role":
        text = tr._("{by} changed the role of {person}: {before} → {after}")
    elif event.action == "remove":
        text = tr._("{by} removed {person} from the unit (was {before})")
    elif event.action == "revoke":
        text = tr._("{by} withdrew invite link #{invite} ({before})")
    else:
        return esc(event.action)
    return text.format(**fill)


async def press_history(call: Call, state: MembersState, action: str, args: list[str]) -> Outcome:
    if action != "b":
        raise ValueError(action)
    state.history = False
    return Next(to="list")


MEMBERS = flow.register(
    flow.Flow(
        name="members",
        command="members",
        prefix="mem",
        title=N_("the list of members"),
        state=MembersState,
        steps=(
            Step("unit", show_unit, press=press_unit),
            Step("list", show_list, press=press_list, applies=lambda s: s.unit_id is not None),
            Step(
                "member",
                show_member,
                press=press_member,
                applies=lambda s: s.person_id is not None and not s.removing,
            ),
            Step(
                "remove",
                show_remove,
                press=press_remove,
                applies=lambda s: s.removing,
                yes_no=("y", "n"),
            ),
            Step(
                "invite",
                show_invite,
                press=press_invite,
                applies=lambda s: s.invite_id is not None,
                yes_no=("w", "b"),  # "Withdraw it?": "có" withdraws, "không" goes back
            ),
            Step(
                "history",
                show_history,
                press=press_history,
                applies=lambda s: s.unit_id is not None and s.history,
            ),
        ),
        begin=begin,
        unit=chosen_unit,
        leads=True,
    )
)


@rule(
    Who.ADMIN,
    PRIVATE,
    why="members and invite links of units the leader leads",
    wrong_chat=IN_GROUP,
    not_allowed=NOT_LEADER,
)
async def members_command(update: Update, context: AppContext) -> None:
    await flow.start(update, context, MEMBERS)


on_button = flow.button_handler(
    MEMBERS,
    Who.ADMIN,
    stale=STALE,
    why="the unit re-checked with Actor.can_admin; people and links must be the unit's",
    refusals=tuple(dict.fromkeys(PROBLEMS.values())),
)


# --- the notice to the person whose membership changed --------------------------------------


async def membership_changed(
    services: Services, tr: Translator, params: dict[str, Any], chat_id: int
) -> Notice | None:
    """Queued by bot/members.py in the transaction of the change."""
    async with services.db.session() as session:
        unit = await units_q.get(session, int(params["unit_id"]))
    if unit is None:
        return None
    after, before = params.get("after"), str(params.get("before") or "cadre")
    if after is None:
        lines = [
            tr._(
                "You are no longer a member of <b>{unit}</b> (you were {role}). Your entries stay "
                "with the unit."
            ).format(unit=esc(unit.name), role=role_label(tr, before))
        ]
    else:
        lines = [
            tr._("Your role in <b>{unit}</b> is now {role}.").format(
                unit=esc(unit.name), role=role_label(tr, str(after))
            )
        ]
    closed = [title_of(tr, name) for name in params.get("closed") or ()]
    if closed:
        lines.append(
            tr._("What you had open for it was closed: {what}.").format(what=", ".join(closed))
        )
    return Notice("\n".join(lines))


def register_renderers() -> None:
    """Called by the composition root: the outbox kind queued by ``bot/members.py``."""
    register("membership_changed", membership_changed)
