"""Text formatting the way the Bot API server does it: which parser a ``parse_mode`` selects, and
the entities Telegram detects by itself in any text.

These two are what the emulator's methods call on every text they store. The parse modes live in
``parse_mode_html`` and ``parse_mode_markdown`` (each a port of TDLib's parser, so the emulator
rejects exactly what Telegram rejects); the shared units and error types in ``entities``.
"""

from __future__ import annotations

import re
from typing import Any

from .entities import UnsupportedParseModeError, sort_entities, utf16_prefix
from .parse_mode_html import parse_html
from .parse_mode_markdown import parse_markdown, parse_markdown_v2

__all__ = ["detect_entities", "parse_text"]


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Turn (text, parse_mode | explicit entities) into the plain text and entities Telegram stores.

    Raises ``EntityParseError`` (400 "can't parse entities") or ``UnsupportedParseModeError``.
    """
    if entities:
        return text, sort_entities([dict(e) for e in entities])
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise UnsupportedParseModeError(parse_mode)


# --------------------------------------------------------------------------------------------
# Automatic entities (what Telegram detects in any message text)
# --------------------------------------------------------------------------------------------

# TDLib: '/(?<!\b|[\/<>])\/([a-zA-Z0-9_]{1,64})(?:@([a-zA-Z0-9_]{3,32}))?(?!\B|[\/<>])/u'
_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION_RE = re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*(?![\w#])")
_URL_RE = re.compile(r"(?<![\w@/])(?:https?://|t\.me/)[^\s<>\"]+[^\s<>\".,;:!?)\]']")
_EMAIL_RE = re.compile(r"(?<![\w.])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)")


def detect_entities(
    text: str, existing: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Entities Telegram adds by itself: bot commands, mentions, hashtags, URLs, e-mails.

    A leading ``/command`` gets a ``bot_command`` entity at offset 0, which is what PTB's
    ``CommandHandler`` looks for. Detected entities never overlap code/pre/links from ``existing``.
    """
    existing = list(existing or [])
    blocked = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing
        if e["type"] in ("code", "pre", "text_link", "text_mention", "custom_emoji")
    ]
    prefix = utf16_prefix(text)
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for kind, regex in (
        ("url", _URL_RE),
        ("email", _EMAIL_RE),
        ("bot_command", _BOT_COMMAND_RE),
        ("mention", _MENTION_RE),
        ("hashtag", _HASHTAG_RE),
    ):
        for match in regex.finditer(text):
            start, end = prefix[match.start()], prefix[match.end()]
            span = (start, end)
            if any(s < end and start < e for s, e in blocked + taken):
                continue
            taken.append(span)
            found.append({"offset": start, "length": end - start, "type": kind})
    return sort_entities(existing + found)
