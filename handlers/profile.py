"""/me → "Change name and phone": the person writes their full name (family name first) and phone
once; a flow on the kernel (handlers/flow), so /back, /skip, /cancel and resume come with it.

Both steps keep what is there with a button or /skip; the phone can also be removed. Nothing is
saved until the last step, in its one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot.i18n import N_, Translator
from bot.names import name_of
from bot.profile import ProfileError, format_phone, parse_full_name, parse_phone, save_profile
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import answer, esc
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Outcome, Screen, Stay, Step
from handlers.router import quote

STALE = N_("This button is no longer active. Send /me to change your name or phone.")
IN_GROUP = N_("Change your name and phone in a private chat with me.")
CHANGE = N_("Change name and phone")


@dataclass
class ProfileDraft:
    #: The new full name and phone; None keeps the stored one. ``drop_phone``: remove it.
    name: str | None = None
    phone: str | None = None
    drop_phone: bool = False


async def begin(call: Call) -> ProfileDraft:
    return ProfileDraft()


async def show_name(call: Call, draft: ProfileDraft) -> Screen:
    tr = call.tr
    text = "\n".join(
        [
            tr._("Your full name, family name first, as on your papers (e.g. Lê Văn Nam)?"),
            tr._("Now: <b>{name}</b>. /skip keeps it.").format(
                name=esc(name_of(call.actor.person))
            ),
        ]
    )
    return Screen(text, [[(tr._("Keep it"), "k")]])


async def typed_name(call: Call, draft: ProfileDraft, text: str) -> Outcome:
    try:
        draft.name = parse_full_name(text)
    except ProfileError as exc:
        return Stay(_problem(call.tr, exc.code, text))
    return Next()


async def press_keep(call: Call, draft: ProfileDraft, action: str, args: list[str]) -> Outcome:
    """Keep the name as it is stored (a name typed before /back is dropped)."""
    if action != "k":
        raise ValueError(action)
    draft.name = None
    return Next()


async def show_phone(call: Call, draft: ProfileDraft) -> Screen:
    tr = call.tr
    stored = call.actor.person.phone
    lines = [tr._("Your phone number (e.g. 0912 345 678)? Your unit's leaders can then call you.")]
    rows = [[(tr._("Keep it"), "k")]]
    if stored:
        lines.append(tr._("Now: {phone}. /skip keeps it.").format(phone=format_phone(stored)))
        rows[0].append((tr._("Remove it"), "x"))
    else:
        lines.append(tr._("/skip if you would rather not give it."))
    return Screen("\n".join(lines), rows)


async def typed_phone(call: Call, draft: ProfileDraft, text: str) -> Outcome:
    try:
        draft.phone = parse_phone(text)
    except ProfileError as exc:
        return Stay(_problem(call.tr, exc.code, text))
    draft.drop_phone = False
    return await _save(call, draft)


async def press_phone(call: Call, draft: ProfileDraft, action: str, args: list[str]) -> Outcome:
    if action == "x":
        draft.phone, draft.drop_phone = None, True
    elif action != "k":
        raise ValueError(action)
    return await _save(call, draft)


async def skipped_phone(call: Call, draft: ProfileDraft) -> Outcome:
    return await _save(call, draft)


async def _save(call: Call, draft: ProfileDraft) -> Outcome:
    tr, person = call.tr, call.actor.person
    name = draft.name if draft.name is not None else person.full_name
    phone = None if draft.drop_phone else (draft.phone or person.phone)
    await save_profile(call.session, person.id, full_name=name, phone=phone)
    shown = name or name_of(person)
    text = tr._("Saved. Your name: <b>{name}</b>.").format(name=esc(shown))
    if phone:
        text += "\n" + tr._("Phone: {phone}.").format(phone=format_phone(phone))
    return Finish(text)


def _problem(tr: Translator, code: str, text: str) -> str:
    if code == "phone":
        return tr._(
            "“{text}” is not a phone number. Type 10 digits starting with 0, e.g. 0912 345 678."
        ).format(text=quote(text))
    if code == "name_length":
        return tr._("Type a name of 2 to 100 letters, family name first, e.g. Lê Văn Nam.")
    return tr._(
        "“{text}” does not look like a name: use letters only, family name first, e.g. Lê Văn Nam."
    ).format(text=quote(text))


PROFILE = flow.register(
    flow.Flow(
        name="profile",
        command="me",
        prefix="prf",
        title=N_("your name and phone"),
        state=ProfileDraft,
        steps=(
            Step("name", show_name, typed=typed_name, press=press_keep, optional=True),
            Step(
                "phone",
                show_phone,
                typed=typed_phone,
                press=press_phone,
                optional=True,
                skipped=skipped_phone,
            ),
        ),
        begin=begin,
    )
)


@rule(
    Who.ANYONE,
    PRIVATE,
    why="the presser's own name and phone",
    wrong_chat=IN_GROUP,
)
async def change_button(update: Update, context: AppContext) -> None:
    """The button under /me (``me:edit``): begin the flow, or offer the kept one."""
    await answer(update)
    await flow.start(update, context, PROFILE)


on_button = flow.button_handler(
    PROFILE, Who.ANYONE, stale=STALE, why="the presser's own name and phone"
)
