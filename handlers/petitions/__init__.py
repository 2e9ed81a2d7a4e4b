"""Citizens' recommendations (kiến nghị, issue 17): one module per flow or screen.

Recording and the citizen's link:
- ``record`` (+ ``record_steps``): /petition and the "Kiến nghị" menu button — the recording flow;
- ``card_basic``: the citizen's follow-link button (shared by ``card`` and ``follow``);
- ``follow``: the citizen's follow link (the card's button, ``/start f_<code>``);
- ``record_notices``, ``record_texts``: the new item's notice to its Front leaders, the answer to
  followers, and the recording's words.

Handling by the Front and the People's Committee:
- ``listing``: /petitions; ``card``: one item's card and ``/petition <code>``;
- ``actions``: every button of the card (``kn:``); ``prompts``: what an action needs typed (the
  one-shot prompt ``kn_note``); ``notices``: the outbox's renderers; ``texts``: the shared words.

Follow-up over time:
- ``reminder_notices``: reminders before and after the due date, the escalation
  (``bot/petition_reminders.py``); ``digest_lines``: the digest's line; ``totals``: /totals kiến nghị.
"""

from handlers import flow
from handlers.access_rules import Who
from handlers.petitions import record_notices, reminder_notices
from handlers.petitions.actions import on_button
from handlers.petitions.card import petition_code_command, render_card
from handlers.petitions.follow import link_button, start_following
from handlers.petitions.listing import list_button, petitions_command
from handlers.petitions.notices import register_renderers as _register_handling
from handlers.petitions.prompts import NOTE
from handlers.petitions.record import on_button as on_record_button
from handlers.petitions.record import petition_command
from handlers.petitions.texts import STALE

#: The prompt's own button ("Send without a document"), with the rule every flow's buttons share.
on_note_button = flow.button_handler(
    NOTE,
    Who.MEMBER,
    stale=STALE,
    why="the answer's document step; the action is checked again by bot.petition_workflow",
)


def register_renderers() -> None:
    """Every petition notice's renderer (called once by the composition root)."""
    record_notices.register_renderers()
    _register_handling()
    reminder_notices.register_renderers()


__all__ = [
    "link_button",
    "list_button",
    "on_button",
    "on_note_button",
    "on_record_button",
    "petition_code_command",
    "petition_command",
    "petitions_command",
    "register_renderers",
    "render_card",
    "start_following",
]
