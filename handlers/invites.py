"""/invite: a unit leader makes an invite deep link for a unit in their subtree.

Steps (state in the database): choose the unit (a tree walk limited to the leader's scope) → the
role → how many people may use it (a button or a typed number). Every button is re-checked on the
server: callback data only names an object, it never grants anything.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardMarkup, Update

from bot import conversation
from bot.access import Actor
from bot.conversation import FlowState
from bot.i18n import N_
from bot.onboarding import INVITE_ROLES, MAX_USES, InviteNotAllowed, create_invite, invite_link
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc, inline, page_buttons, reply, role_label
from handlers.context import AppContext
from handlers.router import quote, register_flow
from storage.models import Unit
from storage.queries import units as units_q

FLOW = "invite"
PAGE = 8
USES_CHOICES = (1, 5, 20, 50)


def _anchor_id(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


def _may_browse(actor: Actor, unit: Unit) -> bool:
    """The picker walks down from each admin membership's area, never above it."""
    return actor.is_owner or any(unit.path.startswith(r.scope.prefix) for r in actor.admin_roles())


@rule(
    Who.ADMIN,
    PRIVATE,
    why="invite links to units the leader leads",
    refusals=(
        N_("Make invite links in a private chat with me, not in a group."),
        N_(
            "Only a unit's leaders can make invite links. Ask your unit's leader to invite the person."
        ),
    ),
)
async def invite(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    chat = update.effective_chat
    assert chat is not None and update.effective_user is not None
    if chat.type != "private":
        await reply(
            update, context, tr._("Make invite links in a private chat with me, not in a group.")
        )
        return
    if not actor.is_admin:
        await reply(
            update,
            context,
            tr._(
                "Only a unit's leaders can make invite links. Ask your unit's leader to invite the person."
            ),
        )
        return
    await conversation.save(
        context.services, chat.id, update.effective_user.id, FlowState(FLOW, "unit")
    )
    roots = await _roots(context, actor)
    if len(roots) == 1:
        text, markup = await _unit_picker(context, actor, roots[0], 0)
    else:
        text = tr._("Which unit is the invite for?")
        markup = inline([[(esc_label(u.name), f"inv:o:{u.id}:0")] for u in roots])
    await reply(update, context, text, reply_markup=markup)


def esc_label(name: str) -> str:
    """Button labels are plain text (no HTML) but must stay short."""
    return name if len(name) <= 60 else name[:59] + "…"


async def _roots(context: AppContext, actor: Actor) -> list[Unit]:
    """Where the picker starts: each admin role's area (or the whole tree for an operator)."""
    async with context.services.db.session() as session:
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


async def _unit_picker(
    context: AppContext, actor: Actor, node: Unit, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    async with context.services.db.session() as session:
        scopes = (
            [r.scope for r in actor.admin_roles()] if not actor.is_owner else [units_q.EVERYTHING]
        )
        kids: dict[int, Unit] = {}
        for scope in scopes:
            for child in await units_q.in_scope_children(session, node, scope):
                kids[child.id] = child
        parent = await units_q.get(session, node.parent_id) if node.parent_id else None
    children = sorted(kids.values(), key=lambda u: (u.search_name, u.name))
    rows: list[list[tuple[str, str]]] = []
    if actor.can_admin(node):
        rows.append([("✓ " + esc_label(node.name), f"inv:u:{node.id}")])
    shown = children[page * PAGE : (page + 1) * PAGE]
    for child in shown:
        # Navigate into a child that has children; choose a leaf directly.
        async with context.services.db.session() as session:
            has_kids = bool(await units_q.children(session, child.id))
        if has_kids:
            rows.append([(esc_label(child.name) + " ›", f"inv:o:{child.id}:0")])
        elif actor.can_admin(child):
            rows.append([(esc_label(child.name), f"inv:u:{child.id}")])
    nav: list[tuple[str, str]] = []
    if parent is not None and _may_browse(actor, parent):
        nav.append(("‹ " + tr._("Up"), f"inv:o:{parent.id}:0"))
    nav.extend(page_buttons(tr, page, PAGE, len(children), lambda p: f"inv:o:{node.id}:{p}"))
    if nav:
        rows.append(nav)
    text = tr._("Which unit is the invite for? Now in: <b>{unit}</b>").format(unit=esc(node.name))
    return text, inline(rows)


@rule(
    Who.ADMIN,
    PRIVATE,
    scoped=True,
    why="unit ids re-checked with Actor.can_admin",
    refusals=(
        N_("This button is no longer active. Start again with /invite."),
        N_("You can only invite people to units you lead."),
    ),
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert (
        query is not None
        and query.data is not None
        and update.effective_chat
        and update.effective_user
    )
    tr = context.tr
    actor = context.actor
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    state = await conversation.load(context.services, chat_id, user_id)
    parts = query.data.split(":")
    if state is None or state.flow != FLOW or not actor.is_admin:
        await query.answer(
            tr._("This button is no longer active. Start again with /invite."), show_alert=True
        )
        return
    action = parts[1]
    try:
        if action == "o":
            await _open(update, context, int(parts[2]), int(parts[3]))
        elif action == "u":
            await _choose_unit(update, context, state, int(parts[2]))
        elif action == "r":
            await _choose_role(update, context, state, parts[2])
        elif action == "n":
            await query.answer()
            await _finish(update, context, state, int(parts[2]))
        else:
            raise ValueError(action)
    except (ValueError, IndexError):
        await query.answer(
            tr._("This button is no longer active. Start again with /invite."), show_alert=True
        )


async def _unit(context: AppContext, unit_id: int) -> Unit | None:
    async with context.services.db.session() as session:
        return await units_q.get(session, unit_id)


async def _open(update: Update, context: AppContext, unit_id: int, page: int) -> None:
    query = update.callback_query
    assert query is not None
    unit = await _unit(context, unit_id)
    if unit is None or not _may_browse(context.actor, unit):
        await query.answer(
            context.tr._("You can only invite people to units you lead."), show_alert=True
        )
        return
    await query.answer()
    text, markup = await _unit_picker(context, context.actor, unit, max(page, 0))
    await query.edit_message_text(text, reply_markup=markup)


async def _choose_unit(update: Update, context: AppContext, state: FlowState, unit_id: int) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    unit = await _unit(context, unit_id)
    if unit is None or not context.actor.can_admin(unit):
        await query.answer(tr._("You can only invite people to units you lead."), show_alert=True)
        return
    await query.answer()
    state = FlowState(FLOW, "role", {"unit_id": unit.id})
    await conversation.save(
        context.services, update.effective_chat.id, update.effective_user.id, state
    )
    buttons = [[(role_label(tr, role).capitalize(), f"inv:r:{role}") for role in INVITE_ROLES]]
    text = tr._("Invite to <b>{unit}</b> as:").format(unit=esc(unit.name))
    await query.edit_message_text(text, reply_markup=inline(buttons))


async def _choose_role(update: Update, context: AppContext, state: FlowState, role: str) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat and update.effective_user
    tr = context.tr
    if state.step != "role" or role not in INVITE_ROLES:
        await query.answer(
            tr._("This button is no longer active. Start again with /invite."), show_alert=True
        )
        return
    await query.answer()
    state = FlowState(FLOW, "uses", {**state.data, "role": role})
    await conversation.save(
        context.services, update.effective_chat.id, update.effective_user.id, state
    )
    buttons = [[(str(n), f"inv:n:{n}") for n in USES_CHOICES]]
    text = tr._(
        "How many people may use this link? Press a button or type a number from 1 to {max}."
    ).format(max=MAX_USES)
    await query.edit_message_text(text, reply_markup=inline(buttons))


async def on_text(update: Update, context: AppContext, state: FlowState) -> None:
    """Typed text inside the invite flow: only the number of uses is typed."""
    assert update.message is not None and update.message.text is not None
    tr = context.tr
    if state.step != "uses":
        await reply(
            update, context, tr._("Please press one of the buttons above, or /cancel to stop.")
        )
        return
    text = update.message.text.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_USES:
        await reply(
            update,
            context,
            tr._(
                "“{text}” is not a number from 1 to {max}. Type for example 10, or press a button above."
            ).format(text=quote(text), max=MAX_USES),
        )
        return
    await _finish(update, context, state, int(text))


async def _finish(update: Update, context: AppContext, state: FlowState, uses: int) -> None:
    assert update.effective_chat and update.effective_user
    tr = context.tr
    services = context.services
    if state.step != "uses" or not 1 <= uses <= MAX_USES:
        await reply(
            update, context, tr._("This button is no longer active. Start again with /invite.")
        )
        return
    unit_id, role = int(state.data["unit_id"]), str(state.data["role"])
    now = services.clock.now()
    valid = timedelta(days=services.settings.invite_days)
    async with services.db.session() as session:
        unit = await units_q.get(session, unit_id)
        try:
            if unit is None:
                raise InviteNotAllowed("unit is gone")
            code = await create_invite(
                session,
                unit=unit,
                role=role,
                now=now,
                valid_for=valid,
                max_uses=uses,
                by=context.actor,
            )
        except InviteNotAllowed:
            code = None
    await conversation.clear(services, update.effective_chat.id, update.effective_user.id)
    if code is None or unit is None:
        await reply(update, context, tr._("You can only invite people to units you lead."))
        return
    username = services.bot_username or context.bot.username
    text = "\n".join(
        [
            tr._("Invite link for <b>{role}</b> of <b>{unit}</b>:").format(
                role=role_label(tr, role), unit=esc(unit.name)
            ),
            invite_link(username, code),
            tr.ngettext(
                "Valid until {until} for {count} person.",
                "Valid until {until} for {count} people.",
                uses,
            ).format(until=tr.moment(now + valid), count=tr.number(uses)),
            tr._("Send it to the people you invite: they open it and press Start."),
        ]
    )
    await reply(update, context, text)


register_flow(FLOW, on_text)
