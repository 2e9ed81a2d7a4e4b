"""Meetings in Telegram (PRODUCT §5): /meeting (a unit leader schedules a meeting), /meetings
(upcoming or past meetings: answer, attendance, conclusions) and every ``mtg:`` button.

One module per thing a user does, so each reads on its own:

- ``schedule.py`` and ``schedule_steps.py``: the /meeting wizard, a flow on the flow kernel
  (its steps and answers; its draft, questions and review card);
- ``respond.py``: answering an invitation (attend, absent with a reason, send a delegate) and the
  organiser's reminder to those who have not answered;
- ``change.py``: reschedule and cancel;
- ``minutes.py``: conclusions, the minutes file and attendance, after the meeting;
- ``listing.py``: /meetings and one meeting's card;
- ``buttons.py``: the one door of every ``mtg:`` button (its access rule and dispatch table); the
  wizard's ``mts:`` buttons are the kernel's (``schedule.on_button``);
- ``texts.py``: texts shared with the notices (``handlers/meeting_notices.py``).

The reason of an absence (or a delegate's name), a new time and the minutes are one-shot prompts on
the flow kernel (handlers/flow), opened by the ``mtg:`` button that asks for them
(``flow.open_at``, in that button's transaction); their own buttons are ``mtime:`` and ``mmin:``.

Buttons carry small ids and every one is re-checked on the server (``bot.meetings.load``): a
forged callback for a meeting of another subtree gets a refusal, never the meeting. Database work
is one short session per step (the kernel's flows: one transaction per update); replies go out
after it. Names with a leading underscore are private to this package (its modules share them).
Importing the package registers its flows with the flow kernel.
"""

from __future__ import annotations

from handlers.meetings.buttons import MEETING_ACTIONS, on_button
from handlers.meetings.change import TIME_FLOW, on_time_button
from handlers.meetings.listing import meetings_command
from handlers.meetings.minutes import MINUTES_FLOW, on_minutes_button
from handlers.meetings.respond import ANSWER_FLOW
from handlers.meetings.schedule import MEETING, meeting_command
from handlers.meetings.schedule import on_button as on_schedule_button
from handlers.meetings.schedule_steps import FLOW

__all__ = [
    "ANSWER_FLOW",
    "FLOW",
    "MEETING",
    "MEETING_ACTIONS",
    "MINUTES_FLOW",
    "TIME_FLOW",
    "meeting_command",
    "meetings_command",
    "on_button",
    "on_minutes_button",
    "on_schedule_button",
    "on_time_button",
]
