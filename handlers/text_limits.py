"""Telegram's length limits, measured the way Telegram measures them, and HTML cut to fit them.

Telegram refuses a message whose text is longer than 4,096 characters, and a caption longer than
1,024 ("Bad Request: message is too long" / "message caption is too long"). It counts the text
*after* parsing the HTML, in UTF-16 code units: tags count nothing, ``&amp;`` counts one, an
emoji outside the Basic Multilingual Plane counts two. Python's ``len`` of the markup is neither:
it overcounts tags and entities and undercounts emoji, so a caption "measured" with ``len`` can
still be refused (an agenda of emoji did exactly that to meeting invitations).

:func:`split` cuts a long HTML text into pieces that each fit, at a paragraph break when there is
one late enough, else at a line break, else between words, else between two characters; never
inside a tag or an entity. A tag open across a cut is closed at the end of one piece and opened
again at the start of the next, so every piece parses on its own. ``handlers/render.py`` sends
through it; nothing in this module talks to Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

#: Telegram's limits, in UTF-16 code units of the parsed text.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
#: A callback query's toast or alert (``answerCallbackQuery``'s ``text``).
ALERT_LIMIT = 200

_MARKUP = re.compile(
    r"(?P<tag></?(?P<name>[A-Za-z][A-Za-z0-9-]*)[^>]*>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|lt|gt|amp|quot);)"
)
_NAMED = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}


class _Token(NamedTuple):
    raw: str
    #: UTF-16 code units it adds to the parsed text (0 for a tag).
    width: int
    #: The tag's name when it is a tag (``""`` otherwise); ``closing`` for ``</…>``.
    tag: str = ""
    closing: bool = False


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entity_text(raw: str) -> str:
    if raw in _NAMED:
        return _NAMED[raw]
    number = raw[2:-1]
    value = int(number[1:], 16) if number[:1] in "xX" else int(number)
    return chr(value) if 0 < value < 0x110000 else "?"


def _chars(text: str, into: list[_Token]) -> None:
    into.extend(_Token(ch, 2 if ch > "\uffff" else 1) for ch in text)


def _tokens(html: str) -> list[_Token]:
    """Tags, entities and single characters: the places between them are where a cut may go."""
    tokens: list[_Token] = []
    done = 0
    for match in _MARKUP.finditer(html):
        _chars(html[done : match.start()], tokens)
        raw = match.group(0)
        if match.group("tag"):
            tokens.append(_Token(raw, 0, match.group("name").lower(), raw.startswith("</")))
        else:
            tokens.append(_Token(raw, _units(_entity_text(raw))))
        done = match.end()
    _chars(html[done:], tokens)
    return tokens


def _visible(html: str) -> str:
    """The text Telegram shows: tags dropped, entities decoded."""

    def plain(match: re.Match[str]) -> str:
        return "" if match.group("tag") else _entity_text(match.group(0))

    return _MARKUP.sub(plain, html)


def visible_length(html: str) -> int:
    """The length Telegram checks: UTF-16 code units of the text once the HTML is parsed."""
    return _units(_visible(html))


def plain_length(text: str) -> int:
    """The same for text sent without a parse mode (a toast, an alert)."""
    return _units(text)


def clip_plain(text: str, limit: int = ALERT_LIMIT) -> str:
    """Plain text shortened to ``limit`` UTF-16 code units, with an ellipsis when cut."""
    if _units(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit - 1:
            break
        out.append(ch)
        used += width
    return "".join(out).rstrip() + "…"


def alert_text(html: str, limit: int = ALERT_LIMIT) -> str:
    """A toast or alert (``answerCallbackQuery``, at most 200 characters, no parse mode) from a
    text written as the bot writes every text, in HTML: the tags dropped and the entities
    decoded (an alert naming "Tổ A &amp; B" showed the ``&amp;``), then clipped to ``limit``."""
    return clip_plain(_visible(html), limit)


@dataclass
class _Break:
    """A place the text may be cut: after token ``index`` (exclusive end of the first piece)."""

    index: int
    #: Visible length of the piece if cut here.
    at: int
    #: 3 paragraph, 2 line, 1 word.
    rank: int
    #: The tags open at that place (their opening tokens, outermost first).
    open_tags: tuple[_Token, ...]


def _closing(tags: tuple[_Token, ...]) -> str:
    return "".join(f"</{tag.tag}>" for tag in reversed(tags))


def _best(breaks: list[_Break], limit: int) -> _Break | None:
    """A paragraph break in the second half of the piece, else a line break in the last three
    quarters, else a space there, else any line break or space: long pieces, natural cuts."""
    for rank, share in ((3, 0.5), (2, 0.25), (1, 0.25), (2, 0.0), (1, 0.0)):
        found = [b for b in breaks if b.rank >= rank and b.at >= limit * share and b.index > 0]
        if found:
            return found[-1]
    return None


def _is_blank(token: _Token) -> bool:
    return not token.tag and token.raw.isspace()


def _piece(tokens: list[_Token], open_tags: tuple[_Token, ...]) -> str:
    """The tokens, without the blanks at the cut, with the tags still open closed."""
    end = len(tokens)
    while end and _is_blank(tokens[end - 1]):
        end -= 1
    return "".join(t.raw for t in tokens[:end]) + _closing(open_tags)


def split(html: str, limit: int = TEXT_LIMIT, *, first: int | None = None) -> list[str]:
    """``html`` as pieces that each fit ``limit`` (see the module docstring), the first one
    ``first`` when given (a caption, followed by messages); ``[html]`` when it fits already.
    Pieces with nothing visible are left out."""
    room = limit if first is None else first
    # Tags and entities only shorten what Telegram shows, so the raw text's UTF-16 length bounds
    # the visible one: almost every reply fits on that alone, one encode in C (2.5 µs for a
    # saved entry's card) instead of parsing its HTML (39 µs), on every message the bot sends.
    if _units(html) <= room or visible_length(html) <= room:
        return [html]
    tokens = _tokens(html)
    pieces: list[str] = []
    current: list[_Token] = []
    width = 0
    stack: list[_Token] = []
    breaks: list[_Break] = []
    queue = list(reversed(_lstrip(tokens)))
    while queue:
        token = queue.pop()
        room = first if first is not None and not pieces else limit
        if width + token.width > room:
            cut = _best(breaks, room)
            index, open_tags = (cut.index, cut.open_tags) if cut else (len(current), tuple(stack))
            pieces.append(_piece(current[:index], open_tags))
            # Start again from the cut: the tags open there, then what followed it.
            queue.append(token)
            queue.extend(reversed(list(open_tags) + _lstrip(current[index:])))
            current, width, stack, breaks = [], 0, [], []
            continue
        current.append(token)
        width += token.width
        if token.tag:
            if token.closing:
                if stack:
                    stack.pop()
            else:
                stack.append(token)
        elif token.raw in "\n ":
            paragraph = token.raw == "\n" and len(current) > 1 and current[-2].raw == "\n"
            rank = 3 if paragraph else 2 if token.raw == "\n" else 1
            breaks.append(_Break(len(current), width, rank, tuple(stack)))
    pieces.append(_piece(current, tuple(stack)))
    return [p for p in pieces if _visible(p).strip()]


def _lstrip(tokens: list[_Token]) -> list[_Token]:
    """The blanks at the start of a piece left out (the tags among them kept)."""
    for index, token in enumerate(tokens):
        if not token.tag and not _is_blank(token):
            return [t for t in tokens[:index] if t.tag] + tokens[index:]
    return [t for t in tokens if t.tag]


def fits(html: str, limit: int = TEXT_LIMIT) -> bool:
    return visible_length(html) <= limit
