"""Every ``mtg:`` button goes through :func:`on_button`: one access rule (``@rule``, with the
actions only a leader may press) and one dispatch table (:data:`MEETING_ACTIONS`). The /meeting
wizard's own buttons (``mts:``) are the flow kernel's, ruled and read in ``schedule.py``.

Why one door: the access-matrix test (``tests/handlers/test_access_matrix.py``) reads the actions
from this dispatcher and the functions it reaches in this package, and holds every one to the
rule; a malformed or stale button, or a refused one, gets an alert here, never a crash.
"""

from __future__ import annotations

from telegram import Update

from bot.i18n import N_
from bot.meetings import MeetingError
from handlers.access_rules import ANY_CHAT, Who, rule
from handlers.common import answer
from handlers.context import AppContext
from handlers.meetings.change import _cancel_ask, _cancel_no, _cancel_yes, _reschedule_button
from handlers.meetings.listing import _view_button
from handlers.meetings.minutes import _minutes_button, _minutes_document
from handlers.meetings.respond import _delegate, _no, _remind, _yes
from handlers.meetings.texts import problem_text, stale


@rule(
    Who.MEMBER,
    ANY_CHAT,
    scoped=True,
    own_units_actions=("y", "n", "dl"),
    why="meeting ids re-checked by meetings.load (invited, or organiser for changes); RSVP buttons are also posted in linked groups",
    refusals=(
        N_("You are not invited to this meeting."),
        N_("Only the leaders of the organising unit can change this meeting."),
        N_("This button is no longer active. Start again with /meeting."),
    ),
    actions={
        "rm": Who.ADMIN,
        "rs": Who.ADMIN,
        "cx": Who.ADMIN,
        "cxy": Who.ADMIN,
        "cxn": Who.ADMIN,
        "mn": Who.ADMIN,
    },
)
async def on_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    parts = query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    try:
        handler = MEETING_ACTIONS[action]
        meeting_id = int(parts[2])
        await handler(update, context, meeting_id, parts[3:])
    except (KeyError, IndexError, ValueError):
        await answer(update, stale(tr), alert=True)
    except MeetingError as exc:
        await answer(update, problem_text(tr, exc.code), alert=True)


MEETING_ACTIONS = {
    "v": _view_button,
    "y": _yes,
    "n": _no,
    "dl": _delegate,
    "rm": _remind,
    "rs": _reschedule_button,
    "cx": _cancel_ask,
    "cxy": _cancel_yes,
    "cxn": _cancel_no,
    "doc": _minutes_document,
    "mn": _minutes_button,
}
