"""One term for one thing, in the official register (issue 16 §5): the Vietnamese catalog and the
shipped data are scanned for the variants that were replaced, so they do not come back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.catalog import DEFAULT_CATALOG
from bot.periods import heading

ROOT = Path(__file__).resolve().parents[2]

#: A variant that must not appear, and what is written instead.
BANNED = {
    r"[Xx]oá": "Xóa / xóa (one spelling)",
    r"liên kết mời": "đường dẫn mời (one term for an invite link)",
    r"(?<!Liên hiệp )(?<!Chi )Hội Phụ nữ": "Hội Liên hiệp Phụ nữ (the Women's Union's name)",
    r"phản hồi họp": "lượt trả lời giấy mời",
    r"hết hạn \{deadline\}": "hạn nộp {deadline}",
    r"Tích cực nhất": "Đơn vị có nhiều hoạt động nhất",
    r"theo chỉ tiêu": "Số lượt hoạt động theo loại",
    r"Bạn đã là \{role\}": "Bạn đã được thêm vào … với vai trò …",
    r"không phải là ngày": "không phải ngày hợp lệ (one wording for a date that does not exist)",
}


def _vietnamese() -> list[tuple[str, str]]:
    with (ROOT / "locales" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    found: list[tuple[str, str]] = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found.extend((str(message.id), str(s)) for s in strings if s)
    return found


@pytest.mark.parametrize("pattern", sorted(BANNED))
def test_the_vietnamese_catalog_has_no_banned_variant(pattern: str) -> None:
    offenders = [msgid for msgid, text in _vietnamese() if re.search(pattern, text)]
    assert not offenders, f"write {BANNED[pattern]} in: {offenders}"


@pytest.mark.parametrize("pattern", sorted(BANNED))
def test_shipped_data_has_no_banned_variant(pattern: str) -> None:
    files = [DEFAULT_CATALOG, *(ROOT / "bot" / "data" / "templates").glob("*.yaml")]
    files += [ROOT / "bot" / "demo.py", ROOT / "bot" / "privacy.py"]
    offenders = [f.name for f in files if re.search(pattern, f.read_text(encoding="utf-8"))]
    assert not offenders, f"write {BANNED[pattern]} in: {offenders}"


def test_the_welcome_says_where_and_as_what() -> None:
    texts = dict(_vietnamese())
    assert texts["Welcome, {name}! You are now {role} of {unit}."] == (
        "Chào mừng {name}! Bạn đã được thêm vào {unit} với vai trò {role}."
    )


@pytest.mark.parametrize(
    ("title", "period", "expected"),
    [
        ("Báo cáo công tác Mặt trận quý", "Quý IV/2026", "Báo cáo công tác Mặt trận Quý IV/2026"),
        (
            "Báo cáo sơ kết 6 tháng",
            "6 tháng đầu năm 2026",
            "Báo cáo sơ kết 6 tháng đầu năm 2026",
        ),
        ("Báo cáo tổng kết năm", "Năm 2026", "Báo cáo tổng kết Năm 2026"),
        ("Báo cáo thử", "Quý IV/2026", "Báo cáo thử — Quý IV/2026"),
        ("Quarterly Front work report", "Q4 2026", "Quarterly Front work report — Q4 2026"),
    ],
)
def test_a_report_heading_says_the_period_once(title: str, period: str, expected: str) -> None:
    assert heading(title, period) == expected
