"""Citizens' recommendations (kiến nghị, issue 17): the Front's and the People's Committee's
handling. ``listing`` is /petitions; ``card`` one item's card and ``/petition <code>``;
``actions`` every button of the card (``kn:``); ``prompts`` what an action needs typed (the
one-shot prompt ``kn_note``); ``notices`` the outbox's renderers; ``texts`` the shared words.
"""

from handlers import flow
from handlers.access_rules import Who
from handlers.petitions.actions import on_button
from handlers.petitions.card import petition_code_command, render_card
from handlers.petitions.listing import list_button, petitions_command
from handlers.petitions.notices import register_renderers
from handlers.petitions.prompts import NOTE
from handlers.petitions.texts import STALE

#: The prompt's own button ("Send without a document"), with the rule every flow's buttons share.
on_note_button = flow.button_handler(
    NOTE,
    Who.MEMBER,
    stale=STALE,
    why="the answer's document step; the action is checked again by bot.petition_workflow",
)

__all__ = [
    "list_button",
    "on_button",
    "on_note_button",
    "petition_code_command",
    "petitions_command",
    "register_renderers",
    "render_card",
]
