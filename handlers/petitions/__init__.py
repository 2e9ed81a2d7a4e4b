"""Citizens' recommendations (kiến nghị, issue 17): one module per flow or screen.

- ``record``: /petition and the "Kiến nghị" menu button — the recording flow;
- ``card_basic``: an item's read-only card and ``/petition KN-…``;
- ``follow``: the citizen's follow link (the card's button, ``/start f_<code>``);
- ``notices``: the outbox notices (a new item to its Front leaders, an answer to followers).
"""

from handlers.petitions.follow import link_button, start_following
from handlers.petitions.notices import register_renderers
from handlers.petitions.record import on_button, petition_command

__all__ = [
    "link_button",
    "on_button",
    "petition_command",
    "register_renderers",
    "start_following",
]
