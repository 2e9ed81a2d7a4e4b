"""The citizen's follow-link button under a recommendation's card.

Why it is apart from ``card.py``: ``follow.py`` (which handles the button) and ``card.py`` (which
shows it) both need its prefix, and ``card.py`` imports the handling's texts; keeping the button
here keeps the follow link free of the handling's imports.
"""

from __future__ import annotations

from bot.i18n import Translator
from storage.models import Petition

#: The button under a card that makes the citizen's follow link (handlers/petitions/follow.py).
LINK_PREFIX = "pcl"


def link_button(tr: Translator, petition: Petition) -> list[list[tuple[str, str]]]:
    return [[(tr._("Link for the citizen"), f"{LINK_PREFIX}:l:{petition.id}")]]
