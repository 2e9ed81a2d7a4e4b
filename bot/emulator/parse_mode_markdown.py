"""``parse_mode=Markdown`` and ``MarkdownV2`` the way the Bot API server parses them (TDLib's
``parse_markdown`` / ``parse_markdown_v2``).

The emulator has to reject exactly the texts Telegram rejects (an unescaped ``.`` in MarkdownV2,
an unclosed ``*`` in either), otherwise a bot that passes its tests would still fail in production
with ``can't parse entities``. Same error texts including the UTF-8 byte offsets; entity offsets
are UTF-16 code units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .entities import EntityParseError, sort_entities, utf8_offset

__all__ = ["parse_markdown", "parse_markdown_v2"]


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
                f"Can't find end of the entity starting at byte offset {utf8_offset(text, begin)}"
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
    return "".join(result), sort_entities(entities)


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
            byte_offset = utf8_offset(text, i)
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
                        f"Can't find end of a URL at byte offset {utf8_offset(text, url_begin)}"
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
    return "".join(result), sort_entities(entities)
