"""Parse modes and entity detection, checked against what Telegram (TDLib) produces."""

from __future__ import annotations

import pytest

from bot.emulator.entities import (
    EntityParseError,
    UnsupportedParseModeError,
    utf16_len,
    utf16_slice,
)
from bot.emulator.formatting import detect_entities, parse_text


def test_utf16_helpers() -> None:
    assert utf16_len("Tổ 😀") == 5
    assert utf16_slice("😀 Tổ 3", 3, 2) == "Tổ"


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>a</b><strong>b</strong>", "ab", [(0, 1, "bold"), (1, 1, "bold")]),
        ("<i>a</i><em>b</em><u>c</u><ins>d</ins>", "abcd", None),
        ("<s>x</s><del>y</del><tg-spoiler>z</tg-spoiler>", "xyz", None),
        ('<span class="tg-spoiler">s</span>', "s", [(0, 1, "spoiler")]),
        ("<code>c</code>", "c", [(0, 1, "code")]),
        ("<blockquote>q</blockquote>", "q", [(0, 1, "blockquote")]),
        ("<blockquote expandable>q</blockquote>", "q", [(0, 1, "expandable_blockquote")]),
        ("&lt;&gt;&amp;&quot;&#39;&#x1F600;", "<>&\"'😀", []),
        ("a &nbsp; b & c", "a &nbsp; b & c", []),
        ("<b></b>x", "x", []),
    ],
)
def test_html_entities(html: str, text: str, entities: list[tuple[int, int, str]] | None) -> None:
    plain, parsed = parse_text(html, "HTML")
    assert plain == text
    if entities is not None:
        assert [(e["offset"], e["length"], e["type"]) for e in parsed] == entities


def test_html_links_pre_and_mentions() -> None:
    plain, entities = parse_text(
        '<pre><code class="language-python">x = 1</code></pre>'
        '<a href="tg://user?id=42">Ba</a><a href="https://t.me">site</a>',
        "html",
    )
    assert plain == "x = 1Basite"
    assert entities == [
        {"offset": 0, "length": 5, "type": "pre", "language": "python"},
        {
            "offset": 5,
            "length": 2,
            "type": "text_mention",
            "user": {"id": 42, "is_bot": False, "first_name": ""},
        },
        {"offset": 7, "length": 4, "type": "text_link", "url": "https://t.me"},
    ]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("đ <br>", 'Unsupported start tag "br" at byte offset 3'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=", 'Unclosed start tag "a" at byte offset 0'),
        ("<a href=x", "Unexpected end of name token at byte offset 8"),
        (
            "<a href",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
def test_html_errors(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as exc:
        parse_text(html, "HTML")
    assert str(exc.value) == error


def test_markdown_v2() -> None:
    plain, entities = parse_text(
        r"*đậm* _nghiêng_ __gạch__ ~xoá~ ||ẩn|| `m\`ã` [web](https://t.me/a\)b) 1\.5\!",
        "MarkdownV2",
    )
    assert plain == "đậm nghiêng gạch xoá ẩn m`ã web 1.5!"
    assert [(e["type"], utf16_slice(plain, e["offset"], e["length"])) for e in entities] == [
        ("bold", "đậm"),
        ("italic", "nghiêng"),
        ("underline", "gạch"),
        ("strikethrough", "xoá"),
        ("spoiler", "ẩn"),
        ("code", "m`ã"),
        ("text_link", "web"),
    ]
    assert entities[-1]["url"] == "https://t.me/a)b"
    plain, entities = parse_text("```python\nprint(1)\n```", "MarkdownV2")
    assert plain == "print(1)\n"
    assert entities == [{"offset": 0, "length": 9, "type": "pre", "language": "python"}]
    plain, entities = parse_text(">trích\n>dẫn\nhết", "MarkdownV2")
    assert plain == "trích\ndẫn\nhết"
    assert entities == [{"offset": 0, "length": 9, "type": "blockquote"}]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Xong.", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("*đậm", "Can't find end of Bold entity at byte offset 0"),
        ("x _y", "Can't find end of Italic entity at byte offset 2"),
        ("[a](http://x", "Can't find end of a URL at byte offset 4"),
    ],
)
def test_markdown_v2_errors(text: str, error: str) -> None:
    with pytest.raises(EntityParseError) as exc:
        parse_text(text, "MarkdownV2")
    assert str(exc.value) == error


def test_legacy_markdown() -> None:
    plain, entities = parse_text("*b* _i_ `c` [t](http://a.b) a.b-c", "Markdown")
    assert plain == "b i c t a.b-c"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(EntityParseError, match="Can't find end of the entity starting at byte"):
        parse_text("*x", "Markdown")


def test_plain_text_and_unknown_mode() -> None:
    assert parse_text("<b>x</b>", None) == ("<b>x</b>", [])
    explicit = [{"offset": 0, "length": 1, "type": "bold"}]
    assert parse_text("<b", "HTML", explicit) == ("<b", explicit)
    with pytest.raises(UnsupportedParseModeError):
        parse_text("x", "BBCode")


def test_detect_entities() -> None:
    text = "/start@phoihop_bot gửi @an_nguyen #tổ3 https://t.me/x a@b.vn /help"
    found = [
        (e["type"], utf16_slice(text, e["offset"], e["length"])) for e in detect_entities(text)
    ]
    assert found == [
        ("bot_command", "/start@phoihop_bot"),
        ("mention", "@an_nguyen"),
        ("hashtag", "#tổ3"),
        ("url", "https://t.me/x"),
        ("email", "a@b.vn"),
        ("bot_command", "/help"),
    ]
    assert detect_entities("a/b 1/2 </x>") == []
    code = [{"offset": 0, "length": 6, "type": "code"}]
    assert detect_entities("/start", code) == code
