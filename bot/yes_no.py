"""A yes or a no typed instead of pressed: "có", "không", "yes", "no" and the short forms cadres
type on a phone ("c", "k", "ko", "co", "khong"), with or without diacritics (``storage.text.fold``).

Vietnamese answers a yes/no question ("Đã tổ chức hội nghị chưa?") with "rồi" (already: yes) or
"chưa" (not yet: no) as often as with "có"/"không", so those count too. Anything else is ``None``:
the question is asked again, never guessed.
"""

from __future__ import annotations

from typing import Final

from storage.text import fold

YES: Final = frozenset({"co", "c", "yes", "y", "u", "uh", "vang", "da", "dung", "roi", "da co"})
NO: Final = frozenset({"khong", "k", "ko", "kg", "kh", "no", "n", "chua", "khong co"})


def parse_yes_no(text: str) -> bool | None:
    """True for a typed yes, False for a typed no, None for anything else. Trailing punctuation
    and case do not matter ("Có.", "KHÔNG!")."""
    words = " ".join(fold(text).strip(" .!?,;:").split())
    if words in YES:
        return True
    if words in NO:
        return False
    return None
