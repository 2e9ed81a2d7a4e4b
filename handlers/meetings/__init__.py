"""Meetings in Telegram (PRODUCT §5): /meeting (a unit leader schedules a meeting), /meetings
(upcoming or past meetings: answer, attendance, conclusions) and every ``mtg:`` button.

One module per thing a user does, so each reads on its own:

- ``schedule.py`` and ``schedule_steps.py``: the /meeting wizard (answers; questions and review);
- ``respond.py``: answering an invitation (attend, absent with a reason, send a delegate) and the
  organiser's reminder to those who have not answered;
- ``change.py``: reschedule and cancel;
- ``minutes.py``: conclusions, the minutes file and attendance, after the meeting;
- ``listing.py``: /meetings and one meeting's card;
- ``buttons.py``: the one door of every ``mtg:`` button (its access rule and dispatch table);
- ``texts.py``: texts shared with the notices (``handlers/meeting_notices.py``).

The reason of an absence (or a delegate's name), a new time and the minutes are one-shot prompts on
the flow kernel (handlers/flow.py), opened by the ``mtg:`` button that asks for them
(``flow.open_at``, in that button's transaction); their own buttons are ``mtime:`` and ``mmin:``.

Buttons carry small ids and every one is re-checked on the server (``bot.meetings.load``): a
forged callback for a meeting of another subtree gets a refusal, never the meeting. Database work
is one short session per step; replies go out after it. Names with a leading underscore are
private to this package (its modules share them). Importing the package registers the flows with
the text router.
"""

from __future__ import annotations

from telegram import Update

from bot.conversation import FlowState
from handlers import flow
from handlers.context import AppContext
from handlers.meetings.buttons import CREATE_ACTIONS, MEETING_ACTIONS, on_button
from handlers.meetings.change import TIME_FLOW, on_time_button
from handlers.meetings.listing import meetings_command
from handlers.meetings.minutes import MINUTES_FLOW, on_minutes_button
from handlers.meetings.respond import ANSWER_FLOW
from handlers.meetings.schedule import meeting_command, on_text
from handlers.meetings.schedule_steps import FLOW, _prompt
from handlers.router import register_flow

__all__ = [
    "ANSWER_FLOW",
    "CREATE_ACTIONS",
    "FLOW",
    "MEETING_ACTIONS",
    "MINUTES_FLOW",
    "TIME_FLOW",
    "meeting_command",
    "meetings_command",
    "on_button",
    "on_minutes_button",
    "on_text",
    "on_time_button",
]


async def _show_wizard_step(update: Update, context: AppContext, state: FlowState) -> None:
    """The /meeting wizard's current question again (a prompt it was interrupted by has ended)."""
    await _prompt(update, context, state.step, dict(state.data))


if flow.flow_named(FLOW) is None:
    # A bridge while /meeting is not on the flow kernel (remove it once it is): a prompt that
    # interrupted the wizard ("Absent" pressed half-way) brings its question straight back.
    register_flow(FLOW, on_text, on_resume=_show_wizard_step)
