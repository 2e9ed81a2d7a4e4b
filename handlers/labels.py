"""Button labels a phone can show: never cut in the middle of a word, and buttons in one list
that tell themselves apart.

A phone shows about 35 to 40 characters of a full-width button and cuts the rest itself, so a
label says first what differs between the buttons of its list. ``distinct`` drops from the labels
the parts every button shares (the list's message says those once): two reports of the same
template and quarter are "Hội LHPN thôn Cầu Bâm" and "Thôn Cầu Bâm", not "Báo cáo công tác
Mặt trận quý · Quý III/2026 · H" and "… · T".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

#: The longest label made here; longer text is cut at a word boundary, with "…".
BUTTON_WIDTH: Final = 60
#: Characters that should not end a cut label before its "…".
_TRAILING: Final = " ·,;:-–—(/|"


def button_label(text: str, limit: int = BUTTON_WIDTH) -> str:
    """``text`` on one line, at most ``limit`` characters, cut after a whole word with "…" (a
    single word longer than a third of the limit is the only thing ever cut inside)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - 1, 1)
    cut = text[:room]
    if text[room] != " ":
        space = cut.rfind(" ")
        if space >= limit // 3:
            cut = cut[:space]
    return cut.rstrip(_TRAILING) + "…"


def distinct(
    items: Sequence[Sequence[str]], sep: str = " · ", limit: int = BUTTON_WIDTH
) -> tuple[list[str], list[str]]:
    """Labels for a list of buttons each described by the same parts (unit, period, template…):
    the parts that differ between them, joined and cut at a word boundary, and the parts every
    item shares, for the message above the buttons. One item keeps all its parts."""
    if not items:
        return [], []
    width = len(items[0])
    shared = [
        i for i in range(width) if len(items) > 1 and all(item[i] == items[0][i] for item in items)
    ]
    if len(shared) == width:  # the same thing twice: all parts, nothing can tell them apart
        shared = []
    labels = [
        button_label(
            sep.join(part for i, part in enumerate(item) if i not in shared and part), limit
        )
        for item in items
    ]
    return labels, [items[0][i] for i in shared]
