"""The citizen's follow link: the "Link for the citizen" button under an item's card (people in
the item's chain make it), and ``/start f_<code>`` (anyone follows it).

What a follower sees is the least that lets them follow their recommendation: its code, status,
category, the day it was received and the authority's answer when there is one. Never a name,
a phone, a place below their own knowledge, or other items; and following makes nobody a
member (anything else they type gets the ordinary answer to non-members).
"""

from __future__ import annotations

from telegram import Update

from bot import petitions
from bot.i18n import Translator
from bot.onboarding import Redeemed, RedeemOutcome
from bot.petition_follow import FollowOutcome, follow, follow_link, make_link_code
from bot.petition_record import place_and_front
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import NOT_MEMBER, answer, esc, reply
from handlers.context import AppContext
from handlers.petitions.card_basic import LINK_PREFIX
from handlers.petitions.texts import NOT_FOUND, STALE, category_label, status_label
from storage.models import Petition
from storage.queries import petitions as petitions_q

_REFUSALS = {
    FollowOutcome.MALFORMED: RedeemOutcome.MALFORMED,
    FollowOutcome.UNKNOWN: RedeemOutcome.UNKNOWN,
    FollowOutcome.TOO_MANY_TRIES: RedeemOutcome.TOO_MANY_TRIES,
}


def citizen_view(tr: Translator, petition: Petition) -> str:
    """The follower's view: nothing about people, nothing about other items."""
    lines = [
        tr._("Recommendation <b>{code}</b>").format(code=esc(petition.code)),
        tr._("Status: {status}").format(status=esc(status_label(tr, petition.status))),
        tr._("Category: {category}").format(category=esc(category_label(tr, petition.category))),
        tr._("Received: {day}").format(day=tr.day(petition.received_on)),
    ]
    if petition.answer:
        lines.append(tr._("Answer: {answer}").format(answer=esc(petition.answer)))
    return "\n".join(lines)


async def start_following(update: Update, context: AppContext, payload: str) -> Redeemed | None:
    """``/start f_<code>``: follow the item and show it (None), or the refusal as a wrong invite
    would get it (start.py words it), counting toward the same lock on guessing."""
    assert update.effective_chat is not None
    tr = context.tr
    services = context.services
    async with services.db.session() as session:
        result = await follow(
            session,
            context.actor.person,
            update.effective_chat.id,
            payload,
            services.clock.now(),
        )
        if result.petition is None:
            return Redeemed(_REFUSALS[result.outcome], retry_at=result.retry_at)
        text = "\n\n".join(
            [
                citizen_view(tr, result.petition),
                tr._("You will get a message here when it is answered."),
            ]
        )
        await reply(update, context, text)
    return None


@rule(
    Who.MEMBER,
    PRIVATE,
    scoped=True,
    why="the item is re-checked: only people in its chain make its follow link",
    refusals=(NOT_FOUND,),
    wrong_chat=STALE,
    not_allowed=NOT_MEMBER,
    actions={"l": Who.MEMBER},
)
async def link_button(update: Update, context: AppContext) -> None:
    """``pcl:l:<id>``: a new follow link for the item (the previous one stops working)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    if len(parts) != 3 or parts[1] != "l" or not parts[2].isdigit():
        await answer(update, tr._(STALE), alert=True)
        return
    username = context.services.bot_username or context.bot.username or ""
    async with context.services.db.session() as session:
        petition = await petitions_q.get(session, int(parts[2]))
        allowed = False
        if petition is not None:
            place, front = await place_and_front(session, petition)
            allowed = petitions.can_see(context.actor, petition, place, front)
        if petition is None or not allowed:
            await answer(update, tr._(NOT_FOUND), alert=True)
            return
        code = await make_link_code(session, petition)
        await answer(update)
        await reply(
            update,
            context,
            "\n\n".join(
                [
                    tr._("Give this link to the citizen to follow recommendation {code}:").format(
                        code=esc(petition.code)
                    ),
                    follow_link(username, code),
                    tr._(
                        "Whoever opens it sees only the code, status, category, the day it was "
                        "received and the answer, and is told when it is answered. A new link "
                        "replaces this one."
                    ),
                ]
            ),
        )


__all__ = ["LINK_PREFIX", "citizen_view", "link_button", "start_following"]
