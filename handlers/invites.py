"""/invite: a unit leader makes an invite deep link for a unit in their subtree.

A flow on the kernel (handlers/flow): choose the unit (a tree walk limited to the leader's
scope) → the role → how many people may use it (a button or a typed number). Every button is
re-checked on the server: callback data only names an object, it never grants anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram import Update

from bot.access import Actor
from bot.i18n import N_, Translator
from bot.onboarding import INVITE_ROLES, MAX_USES, InviteNotAllowed, create_invite, invite_link
from bot.parsing import ascii_int
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, page_buttons, role_label
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Redraw, Screen, Stay, Step
from handlers.flow_units import chosen_unit
from handlers.labels import button_label
from handlers.router import quote
from storage.models import Unit
from storage.queries import units as units_q

PAGE = 8
USES_CHOICES = (1, 5, 20, 50)

NOT_LEADER = N_(
    "Only a unit's leaders can make invite links. Ask your unit's leader to invite the person."
)
IN_GROUP = N_("Make invite links in a private chat with me, not in a group.")
NOT_YOURS = N_("You can only invite people to units you lead.")
STALE = N_("This button is no longer active. Start again with /invite.")


@dataclass
class InviteDraft:
    """Where the picker is (``node`` None: the list of the leader's areas) and what is chosen."""

    node: int | None = None
    page: int = 0
    unit_id: int | None = None
    role: str | None = None


def _anchor_id(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


def _may_browse(actor: Actor, unit: Unit) -> bool:
    """The picker walks down from each admin membership's area, never above it."""
    return actor.is_owner or any(unit.path.startswith(r.scope.prefix) for r in actor.admin_roles())


def esc_label(name: str) -> str:
    """Button labels are plain text (no HTML) but must stay short."""
    return button_label(name)


async def _roots(call: Call) -> list[Unit]:
    """Where the picker starts: each admin role's area (or the whole tree for an operator)."""
    actor, session = call.actor, call.session
    if actor.is_owner:
        tops = [u for u in await units_q.list_units(session) if u.parent_id is None]
        if tops:
            return tops
    roots: dict[int, Unit] = {}
    for role in actor.admin_roles():
        unit = (
            await units_q.get(session, _anchor_id(role.scope.prefix))
            if role.scope.prefix != "/"
            else None
        )
        unit = unit or role.unit
        roots.setdefault(unit.id, unit)
    return list(roots.values())


async def begin(call: Call) -> InviteDraft | Stay:
    if not call.actor.is_admin:
        return Stay(call.tr._(NOT_LEADER))
    roots = await _roots(call)
    return InviteDraft(node=roots[0].id if len(roots) == 1 else None)


async def show_unit(call: Call, draft: InviteDraft) -> Screen:
    tr = call.tr
    return await picker(
        call,
        draft.node,
        draft.page,
        tr._("Which unit is the invite for?"),
        tr._("Which unit is the invite for? Now in: <b>{unit}</b>"),
    )


async def picker(call: Call, node_id: int | None, page: int, ask: str, ask_in: str) -> Screen:
    """A tree walk over the units the actor leads (also /members'): ``o:<id>:<page>`` opens a
    unit, ``u:<id>`` chooses one; ``ask_in`` names the unit shown with ``{unit}``."""
    tr, actor, session = call.tr, call.actor, call.session
    node = await units_q.get(session, node_id) if node_id is not None else None
    if node is None:
        roots = await _roots(call)
        return Screen(ask, [[(esc_label(u.name), f"o:{u.id}:0")] for u in roots])
    scopes = [r.scope for r in actor.admin_roles()] if not actor.is_owner else [units_q.EVERYTHING]
    kids: dict[int, Unit] = {}
    for scope in scopes:
        for child in await units_q.in_scope_children(session, node, scope):
            kids[child.id] = child
    parent = await units_q.get(session, node.parent_id) if node.parent_id else None
    children = sorted(kids.values(), key=lambda u: (u.search_name, u.name))
    rows: list[list[tuple[str, str]]] = []
    if actor.can_admin(node):
        rows.append([("✓ " + esc_label(node.name), f"u:{node.id}")])
    for child in children[page * PAGE : (page + 1) * PAGE]:
        # Navigate into a child that has children; choose a leaf directly.
        if await units_q.children(session, child.id):
            rows.append([(esc_label(child.name) + " ›", f"o:{child.id}:0")])
        elif actor.can_admin(child):
            rows.append([(esc_label(child.name), f"u:{child.id}")])
    nav: list[tuple[str, str]] = []
    if parent is not None and _may_browse(actor, parent):
        nav.append(("‹ " + tr._("Up"), f"o:{parent.id}:0"))
    nav.extend(page_buttons(tr, page, PAGE, len(children), lambda p: f"o:{node.id}:{p}"))
    if nav:
        rows.append(nav)
    return Screen(ask_in.format(unit=esc(node.name)), rows)


async def press_unit(call: Call, draft: InviteDraft, action: str, args: list[str]) -> flow.Outcome:
    picked = await picked_unit(call, action, args)
    if picked is None:
        return Stay(call.tr._(NOT_YOURS))
    if action == "o":
        draft.node, draft.page = picked
        return Redraw()
    draft.unit_id = picked[0]
    return Next()


async def picked_unit(call: Call, action: str, args: list[str]) -> tuple[int, int] | None:
    """A picker's press as (unit, page): ``o`` a unit the actor may browse, ``u`` one they
    lead; None for a unit outside their part of the tree."""
    unit = await units_q.get(call.session, int(args[0]))
    if action == "o":
        if unit is None or not _may_browse(call.actor, unit):
            return None
        return unit.id, max(int(args[1]), 0)
    if action == "u":
        if unit is None or not call.actor.can_admin(unit):
            return None
        return unit.id, 0
    raise ValueError(action)


async def show_role(call: Call, draft: InviteDraft) -> Screen:
    tr = call.tr
    unit = await units_q.get(call.session, draft.unit_id or 0)
    buttons = [[(role_label(tr, role).capitalize(), f"r:{role}") for role in INVITE_ROLES]]
    return Screen(
        tr._("Invite to <b>{unit}</b> as:").format(unit=esc(unit.name if unit else "")), buttons
    )


async def press_role(call: Call, draft: InviteDraft, action: str, args: list[str]) -> flow.Outcome:
    if action != "r" or args[0] not in INVITE_ROLES:
        raise ValueError(action)
    draft.role = args[0]
    return Next()


async def show_uses(call: Call, draft: InviteDraft) -> Screen:
    text = call.tr._(
        "How many people may use this link? Press a button or type a number from 1 to {max}."
    ).format(max=MAX_USES)
    return Screen(text, [[(str(n), f"n:{n}") for n in USES_CHOICES]])


async def typed_uses(call: Call, draft: InviteDraft, text: str) -> flow.Outcome:
    uses = ascii_int(text, max_digits=3)  # "²" passed str.isdigit() and crashed int()
    if uses is None or not 1 <= uses <= MAX_USES:
        return Stay(
            call.tr._(
                "“{text}” is not a number from 1 to {max}. Type for example 10, or press a button above."
            ).format(text=quote(text), max=MAX_USES)
        )
    return await _finish(call, draft, uses)


async def press_uses(call: Call, draft: InviteDraft, action: str, args: list[str]) -> flow.Outcome:
    uses = int(args[0])
    if action != "n" or not 1 <= uses <= MAX_USES:
        raise ValueError(action)
    return await _finish(call, draft, uses)


async def _finish(call: Call, draft: InviteDraft, uses: int) -> flow.Outcome:
    tr, services = call.tr, call.services
    valid = timedelta(days=services.settings.invite_days)
    unit = await units_q.get(call.session, draft.unit_id or 0)
    role = draft.role or ""
    try:
        if unit is None:
            raise InviteNotAllowed("unit is gone")
        code = await create_invite(
            call.session,
            unit=unit,
            role=role,
            now=call.now,
            valid_for=valid,
            max_uses=uses,
            by=call.actor,
        )
    except InviteNotAllowed:
        return Finish(tr._(NOT_YOURS))
    return Finish(_link_text(tr, call, unit, role, code, uses, valid))


def _link_text(
    tr: Translator, call: Call, unit: Unit, role: str, code: str, uses: int, valid: timedelta
) -> str:
    return "\n".join(
        [
            tr._("Invite link for <b>{role}</b> of <b>{unit}</b>:").format(
                role=role_label(tr, role), unit=esc(unit.name)
            ),
            invite_link(call.bot_username, code),
            tr.ngettext(
                "Valid until {until} for {count} person.",
                "Valid until {until} for {count} people.",
                uses,
            ).format(until=tr.moment(call.now + valid), count=tr.number(uses)),
            tr._("Send it to the people you invite: they open it and press Start."),
        ]
    )


INVITE = flow.register(
    flow.Flow(
        name="invite",
        command="invite",
        prefix="inv",
        title=N_("the invite link"),
        state=InviteDraft,
        steps=(
            Step("unit", show_unit, press=press_unit),
            Step("role", show_role, press=press_role),
            Step("uses", show_uses, typed=typed_uses, press=press_uses),
        ),
        begin=begin,
        unit=chosen_unit,
        leads=True,
    )
)
FLOW = INVITE.name


@rule(
    Who.ADMIN,
    PRIVATE,
    why="invite links to units the leader leads",
    wrong_chat=IN_GROUP,
    not_allowed=NOT_LEADER,
)
async def invite(update: Update, context: AppContext) -> None:
    await flow.start(update, context, INVITE)


on_button = flow.button_handler(
    INVITE,
    Who.ADMIN,
    stale=STALE,
    why="unit ids re-checked with Actor.can_admin",
    refusals=(NOT_YOURS,),
)


async def start_node(call: Call) -> int | None:
    """Where a picker opens: the leader's one area, or None for the list of their areas."""
    roots = await _roots(call)
    return roots[0].id if len(roots) == 1 else None
