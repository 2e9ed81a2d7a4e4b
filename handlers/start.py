"""/start (with or without an invite), /help, /me, /language, /cancel and the main menu buttons."""

from __future__ import annotations

from telegram import Update

from bot import menu_button as chat_menu
from bot.i18n import N_, SUPPORTED, Translator
from bot.names import greeting_name, name_of
from bot.onboarding import Redeemed, RedeemOutcome, redeem
from bot.petition_follow import is_follow_payload
from bot.profile import format_phone
from bot.proposals import logging_units
from handlers.access_rules import ANY_CHAT, PRIVATE, Who, command_rules, rule
from handlers.activity_log import menu_log
from handlers.commands import help_lines
from handlers.common import (
    MENU,
    answer,
    esc,
    inline,
    main_menu,
    not_member_text,
    reply,
    require_member,
    role_label,
)
from handlers.context import AppContext
from handlers.flow import stack as flow_stack
from handlers.meetings import meetings_command
from handlers.petitions import petition_command, start_following
from handlers.profile import CHANGE
from handlers.reports import report_command
from handlers.totals import totals_command
from storage.queries import people as people_q

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def _intro(tr: Translator) -> str:
    return tr._(
        "I help the Front and its member organisations coordinate: log what you did, "
        "answer periodic reports, get meeting notices, see totals for your area."
    )


def _refusal(tr: Translator, result: Redeemed) -> str:
    if result.outcome is RedeemOutcome.TOO_MANY_TRIES and result.retry_at is not None:
        return tr._(
            "Too many wrong invite codes. Please try again after {time}, or ask your unit's "
            "leader to send the link again."
        ).format(time=tr.moment(result.retry_at))
    messages = {
        RedeemOutcome.MALFORMED: tr._(
            "This link is not a valid invite. Open the whole link exactly as you received it, "
            "or ask your unit's leader for a new one."
        ),
        RedeemOutcome.UNKNOWN: tr._(
            "I don't know this invite. Check that you opened the whole link, or ask your unit's "
            "leader for a new one."
        ),
        RedeemOutcome.EXPIRED: tr._(
            "This invite has expired. Ask your unit's leader for a new link."
        ),
        RedeemOutcome.USED_UP: tr._(
            "This invite has already been used as many times as allowed. Ask your unit's leader for a new link."
        ),
        RedeemOutcome.REVOKED: tr._(
            "This invite was withdrawn. Ask your unit's leader for a new link."
        ),
        RedeemOutcome.CREATOR_LOST_RIGHTS: tr._(
            "This invite is no longer valid: the person who made it no longer leads that unit. "
            "Ask the unit's current leader for a new link."
        ),
    }
    return messages[result.outcome]


@rule(
    Who.ANYONE,
    PRIVATE,
    why="greets; joins with an invite code",
    refusals=(N_("Write to me in a private chat: https://t.me/{bot}"),),
)
async def start(update: Update, context: AppContext) -> None:
    chat = update.effective_chat
    assert chat is not None
    tr = context.tr
    if chat.type != "private":
        username = context.services.bot_username or context.bot.username
        await reply(
            update,
            context,
            tr._("Write to me in a private chat: https://t.me/{bot}").format(bot=username),
        )
        return
    args = context.args or []
    if args:
        await _start_with_code(update, context, " ".join(args))
        return
    actor = context.actor
    services = context.services
    if services.settings.web_url:
        # The dashboard as the menu button for a leader, the default for anyone else.
        async with services.db.session() as session:
            await chat_menu.queue(
                session, services.settings.web_url, actor.person, services.clock.now()
            )
    name = esc(greeting_name(actor.person)) or tr._("there")
    lines = [tr._("Hello, {name}!").format(name=name), _intro(tr)]
    if actor.is_member:
        lines.append(tr._("Choose from the menu below, or /help for all commands."))
        await reply(update, context, "\n\n".join(lines), reply_markup=main_menu(tr))
    else:
        lines.append(not_member_text(tr))
        await reply(update, context, "\n\n".join(lines))


async def _start_with_code(update: Update, context: AppContext, payload: str) -> None:
    if is_follow_payload(payload):
        # A citizen's follow link: refused exactly as a wrong invite (the same guessing lock).
        refused = await start_following(update, context, payload)
        if refused is not None:
            await reply(update, context, _refusal(context.tr, refused))
        return
    services = context.services
    async with services.db.session() as session:
        result = await redeem(session, context.actor.person, payload, services.clock.now())
        # A link that made them a leader brings the dashboard's menu button.
        await chat_menu.queue(
            session, services.settings.web_url, context.actor.person, services.clock.now()
        )
    actor = await context.load_actor(update)
    assert actor is not None
    tr = context.tr
    if result.outcome in (RedeemOutcome.JOINED, RedeemOutcome.ALREADY):
        assert result.unit is not None and result.role is not None
        name = esc(greeting_name(actor.person)) or tr._("there")
        if result.outcome is RedeemOutcome.JOINED:
            joined = tr._("Welcome, {name}! You are now {role} of {unit}.")
        else:
            joined = tr._("Hello again, {name}! You are already {role} of {unit}.")
        text = "\n\n".join(
            [
                joined.format(
                    name=name,
                    role=role_label(tr, result.role),
                    unit=f"<b>{esc(result.unit.name)}</b>",
                ),
                _intro(tr),
                tr._("Choose from the menu below, or /help for all commands."),
            ]
        )
        await reply(update, context, text, reply_markup=main_menu(tr))
        return
    await reply(update, context, _refusal(tr, result))


@rule(Who.ANYONE, ANY_CHAT, why="lists the commands the role allows")
async def help_command(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor if context.has_actor else None
    chat = update.effective_chat
    chat_type = chat.type if chat is not None else None
    rules = command_rules(context.application)
    lines = [tr._("What you can do:"), *help_lines(tr, actor, chat_type, rules)]
    if chat_type == "private" and actor is not None and logging_units(actor):
        # Issue 18: what a cadre types in their own words is read (handlers/proposals.py).
        lines.append("")
        lines.append(
            tr._(
                "Or just type as you normally would: “thăm 5 hộ nghèo, tặng quà 2 triệu”. "
                "I will propose the entry, for you to save with one tap."
            )
        )
    if chat_type != "private":
        lines.append("")
        lines.append(tr._("In a private chat with me you can do more: send me /help there."))
    elif actor is None or not actor.is_member:
        lines.append("")
        lines.append(tr._("To join your unit, open the invite link your unit's leader sent you."))
    await reply(update, context, "\n".join(lines))


@rule(Who.ANYONE, ANY_CHAT, why="the sender's own memberships")
async def me(update: Update, context: AppContext) -> None:
    tr = context.tr
    actor = context.actor
    person = actor.person
    lines = [
        tr._("<b>{name}</b> (Telegram id {id})").format(
            name=esc(name_of(person)), id=person.telegram_id
        )
    ]
    if person.phone:
        lines.append(tr._("Phone: {phone}.").format(phone=format_phone(person.phone)))
    if actor.roles:
        lines.append(tr._("Your units:"))
        lines.extend(f"• {role_label(tr, r.role)} — {esc(r.unit.name)}" for r in actor.roles)
    else:
        lines.append(not_member_text(tr))
    lines.append(
        tr._("Language: {language} (change with /language)").format(
            language=LANGUAGE_NAMES[tr.locale]
        )
    )
    chat = update.effective_chat
    markup = None
    if chat is not None and chat.type == "private":
        markup = inline([[(tr._(CHANGE), "me:edit")]])
    await reply(update, context, "\n".join(lines), reply_markup=markup)


@rule(Who.ANYONE, ANY_CHAT, why="the sender's own language")
async def language(update: Update, context: AppContext) -> None:
    tr = context.tr
    args = [a.lower() for a in context.args or []]
    if args:
        if args[0] in SUPPORTED:
            await _set_language(update, context, args[0])
            return
        await reply(
            update,
            context,
            tr._("I speak Tiếng Việt (vi) and English (en). Try /language vi or /language en."),
        )
        return
    buttons = [[(LANGUAGE_NAMES[code], f"lang:{code}") for code in SUPPORTED]]
    await reply(update, context, tr._("Choose your language:"), reply_markup=inline(buttons))


@rule(
    Who.ANYONE,
    ANY_CHAT,
    why="the presser's own language",
    refusals=(N_("This button is no longer active."),),
)
async def language_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.partition(":")[2]
    if code not in SUPPORTED:
        await answer(update, context.tr._("This button is no longer active."))
        return
    await answer(update)
    await _set_language(update, context, code)


async def _set_language(update: Update, context: AppContext, code: str) -> None:
    services = context.services
    async with services.db.session() as session:
        await people_q.set_language(session, context.actor.person.id, code)
        # The dashboard's menu button, labelled in the new language.
        await chat_menu.queue(
            session, services.settings.web_url, context.actor.person, services.clock.now()
        )
    await context.load_actor(update)
    tr = context.tr
    markup = main_menu(tr) if context.actor.is_member else None
    await reply(
        update, context, tr._("From now on I will speak English with you."), reply_markup=markup
    )


@rule(Who.ANYONE, ANY_CHAT, why="leaves the sender's own flow")
async def cancel(update: Update, context: AppContext) -> None:
    """Leave any flow at any point; its answers are kept (handlers/flow/stack.py parks it)."""
    await flow_stack.cancel(update, context)


def menu_texts(translators: list[Translator]) -> dict[str, str]:
    """Every language's label of every main-menu button -> what it opens."""
    return {tr._(label): target for tr in translators for label, target in MENU}


@rule(Who.MEMBER, PRIVATE, why="main-menu buttons open member features")
async def menu_button(update: Update, context: AppContext) -> None:
    tr = context.tr
    assert update.message is not None and update.message.text is not None
    target = menu_texts(context.services.i18n.all()).get(update.message.text)
    if target == "log" and context.actor.is_member:
        await menu_log(update, context)
        return
    if target == "meetings" and context.actor.is_member:
        context.args = []
        await meetings_command(update, context)
        return
    if target == "totals" and context.actor.is_member:
        context.args = []
        await totals_command(update, context)
        return
    if target == "report" and context.actor.is_member:
        context.args = []
        await report_command(update, context)
        return
    if target == "petition" and context.actor.is_member:
        context.args = []
        await petition_command(update, context)
        return
    if not await require_member(update, context):
        return
    await reply(
        update,
        context,
        tr._(
            "This part of Phối hợp is not available yet; it comes in a later version. /help lists what works now."
        ),
        reply_markup=main_menu(tr),
    )
