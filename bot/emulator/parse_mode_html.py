"""``parse_mode=HTML`` the way the Bot API server parses it (TDLib's ``parse_html``).

The emulator has to reject exactly the HTML Telegram rejects (an unbalanced ``<b>``, a bare ``<``,
an unknown tag), otherwise a bot that passes its tests would still fail in production with
``can't parse entities``. Same accepted tags, same entity decoding, same error texts including the
UTF-8 byte offsets; entity offsets are UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .entities import EntityParseError, sort_entities, utf8_offset, utf16_len

__all__ = ["parse_html"]


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
                    f"Unclosed start tag at byte offset {utf8_offset(text, begin)}"
                )
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {utf8_offset(text, begin)}'
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
                        f"{utf8_offset(text, begin)}"
                    )
                while i < n and text[i].isspace():
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {utf8_offset(text, begin)}'
                    )
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {utf8_offset(text, begin)}'
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
                            f"{utf8_offset(text, token_begin)}"
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
                        f"Unclosed start tag at byte offset {utf8_offset(text, begin)}"
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
                    f"{utf8_offset(text, begin)}"
                )
            stack.append(_OpenTag(tag, argument, u16, len(result), expandable, attrs))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {utf8_offset(text, begin)}")
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and text[i].isspace():
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {utf8_offset(text, begin)}")
        i += 1
        open_tag = stack.pop()
        if end_name and end_name != open_tag.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {utf8_offset(text, begin)}, "
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
    return "".join(result), sort_entities(entities)
