"""Text formatting the way the Bot API server does it: parse modes, entities, UTF-16 offsets.

The emulator has to reject exactly the texts Telegram rejects (an unbalanced ``<b>`` or a bare
``<`` in HTML, an unescaped ``.`` in MarkdownV2), otherwise a bot that passes its tests would
still fail in production with ``can't parse entities``. The parsers below follow TDLib's
``parse_html`` / ``parse_markdown`` / ``parse_markdown_v2`` (same accepted tags, same error texts
including the UTF-8 byte offsets), and entity offsets/lengths are counted in UTF-16 code units as
the Bot API specifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "detect_entities",
    "parse_text",
    "utf16_len",
    "utf16_slice",
]


class EntityParseError(ValueError):
    """The text cannot be parsed in the requested parse mode.

    ``str(exc)`` is the part after ``Bad Request: can't parse entities: `` in Telegram's reply.
    """


class UnsupportedParseModeError(ValueError):
    """``parse_mode`` is not one of HTML, Markdown, MarkdownV2."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of every offset and length in the Bot API."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring an entity covers (entity offsets are UTF-16 code units, not characters)."""
    data = text.encode("utf-16-le")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def _byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``; TDLib reports error positions in bytes."""
    return len(text[:index].encode("utf-8"))


def _utf16_prefix(text: str) -> list[int]:
    """``result[i]`` = UTF-16 offset of ``text[i]`` (``result[len(text)]`` = total length)."""
    offsets = [0] * (len(text) + 1)
    acc = 0
    for i, ch in enumerate(text):
        offsets[i] = acc
        acc += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = acc
    return offsets


def _sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order entities like the server: by offset, outer (longer) entities first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos``; ``None`` when it is not a supported entity (kept literally).

    Telegram supports all numeric references but only the named ``lt gt amp quot``.
    """
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        if end < n and text[end] == "x":
            end += 1
            start = end
            while end < n and text[end] in "0123456789abcdefABCDEF":
                end += 1
            if end == start:
                return None
            value = int(text[start:end], 16)
        else:
            start = end
            while end < n and text[end].isdigit() and text[end].isascii():
                end += 1
            if end == start:
                return None
            value = int(text[start:end])
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        decoded = chr(value)
    else:
        start = end
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[start:end])
        if named is None:
            return None
        decoded = named
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the result
    result_pos: int  # index into the result list (characters) where the tag content begins
    expandable: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-HTML into (plain text, entities), raising ``EntityParseError`` like TDLib."""
    result: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    u16 = 0
    n = len(text)
    i = 0

    def at(k: int) -> str:
        return text[k] if k < n else ""

    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                value, i = decoded
                result.append(value)
                u16 += utf16_len(value)
                continue
        if ch != "<":
            result.append(ch)
            u16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            attrs: dict[str, str] = {}
            expandable = False
            while at(i) != ">":
                while i < n and text[i].isspace():
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while i < n and not text[i].isspace() and text[i] not in "=>":
                    i += 1
                attr_name = text[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                while i < n and text[i].isspace():
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                value_chars: list[str] = []
                if text[i] not in "'\"":
                    token_begin = i
                    while i < n and (text[i].isalnum() or text[i] in ".-"):
                        i += 1
                    value_chars.append(text[token_begin:i].lower())
                    if i >= n or (not text[i].isspace() and text[i] != ">"):
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                attrs[attr_name.lower()] = "".join(value_chars)
            argument = ""
            if tag == "a":
                argument = attrs.get("href", "")
            elif tag == "code":
                cls = attrs.get("class", "")
                if cls.startswith("language-"):
                    argument = cls[len("language-") :]
            elif tag == "tg-emoji":
                argument = attrs.get("emoji-id", "")
            elif tag == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            stack.append(_OpenTag(tag, argument, u16, len(result), expandable, attrs))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and text[i].isspace():
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        open_tag = stack.pop()
        if end_name and end_name != open_tag.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{open_tag.name}>", found "</{end_name}>"'
            )
        length = u16 - open_tag.offset
        if length <= 0:
            continue
        entity: dict[str, Any] = {"offset": open_tag.offset, "length": length}
        name = open_tag.name
        if name in _HTML_ENTITY_TYPES:
            entity["type"] = _HTML_ENTITY_TYPES[name]
        elif name == "a":
            url = open_tag.argument or "".join(result[open_tag.result_pos :])
            if not url:
                continue
            match = re.fullmatch(r"tg://user\?id=(\d+)", url)
            if match:
                entity["type"] = "text_mention"
                entity["user"] = {"id": int(match.group(1)), "is_bot": False, "first_name": ""}
            else:
                entity["type"] = "text_link"
                entity["url"] = url
        elif name == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == open_tag.offset
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
                continue
            entity["type"] = "pre"
        elif name == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and last["offset"] == open_tag.offset
                and last["length"] == length
                and open_tag.argument
            ):
                last["language"] = open_tag.argument
                continue
            entity["type"] = "code"
            if open_tag.argument:
                entity["language"] = open_tag.argument  # dropped below unless inside <pre>
        elif name == "blockquote":
            entity["type"] = "expandable_blockquote" if open_tag.expandable else "blockquote"
        elif name == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = open_tag.argument
        entities.append(entity)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(result), _sort_entities(entities)


# --------------------------------------------------------------------------------------------
# Markdown (legacy) and MarkdownV2
# --------------------------------------------------------------------------------------------


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy ``Markdown``: ``*bold*``, ``_italic_``, `` `code` ``, ```` ```pre``` ````, links."""
    result: list[str] = []
    entities: list[dict[str, Any]] = []
    u16 = 0
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            result.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if ch not in "_*`[":
            result.append(ch)
            u16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        end_char = "]" if ch == "[" else ch
        is_pre = False
        language = ""
        i += 1
        if ch == "`" and text[i : i + 2] == "``":
            i += 2
            is_pre = True
            lang_end = i
            while lang_end < n and not text[lang_end].isspace() and text[lang_end] != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and text[lang_end] != "`":
                language = text[i:lang_end]
                i = lang_end
            if i < n and text[i] in "\r\n":
                if i + 1 < n and text[i + 1] in "\r\n" and text[i] != text[i + 1]:
                    i += 2
                else:
                    i += 1
        start_u16 = u16
        start_pos = len(result)
        while i < n and (text[i] != end_char or (is_pre and text[i + 1 : i + 3] != "``")):
            result.append(text[i])
            u16 += 2 if ord(text[i]) > 0xFFFF else 1
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = u16 - start_u16
        if length > 0:
            entity: dict[str, Any] = {"offset": start_u16, "length": length}
            if ch == "_":
                entity["type"] = "italic"
            elif ch == "*":
                entity["type"] = "bold"
            elif ch == "[":
                if i + 1 < n and text[i + 1] == "(":
                    i += 2
                    url_chars: list[str] = []
                    while i < n and text[i] != ")":
                        url_chars.append(text[i])
                        i += 1
                    url = "".join(url_chars)
                else:
                    url = "".join(result[start_pos:])
                entity["type"] = "text_link"
                entity["url"] = url
            elif is_pre:
                entity["type"] = "pre"
                if language:
                    entity["language"] = language
            else:
                entity["type"] = "code"
            if entity.get("type") != "text_link" or entity.get("url"):
                entities.append(entity)
        if is_pre:
            i += 2
        i += 1
    return "".join(result), _sort_entities(entities)


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


@dataclass
class _OpenMd:
    type: str
    offset: int
    byte_offset: int
    result_pos: int
    language: str = ""


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """``MarkdownV2``: every reserved character outside an entity must be escaped with ``\\``."""
    result: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_OpenMd] = []
    quote_lines: list[tuple[int, int]] = []
    quote_start: int | None = None
    u16 = 0
    n = len(text)
    i = 0

    def at(k: int) -> str:
        return text[k] if k < n else ""

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            result.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        in_code = bool(stack) and stack[-1].type in ("code", "pre")
        line_start = i == 0 or text[i - 1] == "\n"
        if ch == "\n" and quote_start is not None:
            quote_lines.append((quote_start, u16))
            quote_start = None
        if ch == ">" and line_start and not in_code and not stack:
            quote_start = u16
            i += 1
            continue
        reserved = "`" if in_code else _MDV2_RESERVED
        if ch not in reserved:
            result.append(ch)
            u16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        is_end = False
        if stack:
            top = stack[-1].type
            if top == "bold":
                is_end = ch == "*"
            elif top == "italic":
                is_end = ch == "_" and at(i + 1) != "_"
            elif top == "code":
                is_end = ch == "`"
            elif top == "pre":
                is_end = text[i : i + 3] == "```"
            elif top == "text_link":
                is_end = ch == "]"
            elif top == "underline":
                is_end = text[i : i + 2] == "__"
            elif top == "strikethrough":
                is_end = ch == "~"
            elif top == "spoiler":
                is_end = text[i : i + 2] == "||"
        if not is_end:
            byte_offset = _byte_offset(text, i)
            language = ""
            if ch == "_":
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif ch == "*":
                kind = "bold"
            elif ch == "~":
                kind = "strikethrough"
            elif ch == "|" and at(i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif ch == "[":
                kind = "text_link"
            elif ch == "`":
                if text[i : i + 3] == "```":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while lang_end < n and not text[lang_end].isspace() and text[lang_end] != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and text[lang_end] != "`":
                        language = text[i:lang_end]
                        i = lang_end
                    if i < n and text[i] in "\r\n":
                        if i + 1 < n and text[i + 1] in "\r\n" and text[i] != text[i + 1]:
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            else:
                raise EntityParseError(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append(_OpenMd(kind, u16, byte_offset, len(result), language))
            i += 1
            continue
        open_md = stack.pop()
        skip = u16 == open_md.offset
        entity: dict[str, Any] = {"offset": open_md.offset, "length": u16 - open_md.offset}
        if open_md.type in ("underline", "spoiler"):
            i += 1
        elif open_md.type == "pre":
            i += 2
            if open_md.language:
                entity["language"] = open_md.language
        elif open_md.type == "text_link":
            if at(i + 1) != "(":
                url = "".join(result[open_md.result_pos :])
            else:
                i += 2
                url_begin = i
                url_chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        url_chars.append(text[i + 1])
                        i += 2
                        continue
                    url_chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(url_chars)
            if not url:
                skip = True
            entity["url"] = url
        entity["type"] = open_md.type
        if not skip:
            entities.append(entity)
        i += 1
    if stack:
        top_md = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[top_md.type]} entity at byte offset "
            f"{top_md.byte_offset}"
        )
    if quote_start is not None:
        quote_lines.append((quote_start, u16))
    merged: list[list[int]] = []
    for start, end in quote_lines:
        if merged and start == merged[-1][1] + 1:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    for start, end in merged:
        if end > start:
            entities.append({"offset": start, "length": end - start, "type": "blockquote"})
    return "".join(result), _sort_entities(entities)


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Turn (text, parse_mode | explicit entities) into the plain text and entities Telegram stores.

    Raises ``EntityParseError`` (400 "can't parse entities") or ``UnsupportedParseModeError``.
    """
    if entities:
        return text, _sort_entities([dict(e) for e in entities])
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
    prefix = _utf16_prefix(text)
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
    return _sort_entities(existing + found)
