"""People's names as Vietnamese people write them: family name first ("Lê Văn Nam").

Telegram splits a name into first and last name, and Vietnamese users fill the two in every way:
"Nam" + "Lê Văn", "Lê Văn" + "Nam", the whole name in the first field, or no diacritics at all.
Joined Western-style that gave "Nam Lê Văn" in /status, report answers, meeting lists and
exports. So the order is decided from the name itself: the part that begins with a Vietnamese
family name comes first. A name with no Vietnamese diacritics from someone whose Telegram is not
in Vietnamese ("Anna Nguyen") keeps the order they gave. A full name the person set with /me wins
over all of this.
"""

from __future__ import annotations

from typing import Protocol

from storage.text import fold

#: Common Vietnamese family names, folded (no diacritics, lower case): together they cover the
#: great majority of Vietnamese people, and the rest fall back to the order Telegram gave.
FAMILY_NAMES = frozenset(
    [
        "au",
        "bach",
        "bui",
        "cao",
        "chau",
        "chu",
        "dam",
        "dang",
        "dao",
        "diep",
        "dinh",
        "do",
        "doan",
        "duong",
        "giang",
        "ha",
        "han",
        "hau",
        "ho",
        "hoang",
        "hua",
        "huynh",
        "khong",
        "khuc",
        "kieu",
        "kim",
        "la",
        "lai",
        "lam",
        "le",
        "lo",
        "luc",
        "luong",
        "luu",
        "ly",
        "ma",
        "mac",
        "mai",
        "nghiem",
        "ngo",
        "nguyen",
        "nong",
        "ong",
        "phan",
        "pham",
        "phi",
        "phung",
        "quach",
        "quan",
        "sam",
        "tang",
        "tao",
        "ta",
        "thach",
        "thai",
        "than",
        "thieu",
        "to",
        "ton",
        "tong",
        "tran",
        "trang",
        "trieu",
        "trinh",
        "truong",
        "tu",
        "u",
        "van",
        "vi",
        "vo",
        "vu",
        "vuong",
        "yen",
    ]
)

#: Letters that occur in Vietnamese and not in English: a name with one of them is Vietnamese.
_VIETNAMESE = set("ăâđêôơưĂÂĐÊÔƠƯ") | set(
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)


class Named(Protocol):
    """What a name is made of (a ``Person`` row, or the columns of one)."""

    first_name: str
    last_name: str | None
    full_name: str | None
    telegram_language: str | None


def _family_first(part: str) -> bool:
    words = fold(part).split()
    return bool(words) and words[0] in FAMILY_NAMES


def _looks_vietnamese(*parts: str) -> bool:
    return any(ch in _VIETNAMESE for part in parts for ch in part)


def _ordered(first: str, last: str, language: str | None) -> tuple[str, bool]:
    """The whole name and whether it is in Vietnamese order (family name first)."""
    if not last:
        return first, _family_first(first)
    if not first:
        return last, _family_first(last)
    first_family, last_family = _family_first(first), _family_first(last)
    if first_family and last_family:
        # Both begin like a family name ("Hoàng Thị" + "Mai"): the family name travels with the
        # middle name, so the longer part comes first; equal, Telegram's order stands.
        if len(last.split()) > len(first.split()):
            return f"{last} {first}", True
        return f"{first} {last}", True
    if first_family:
        return f"{first} {last}", True  # "Lê Văn" + "Nam"
    if last_family and (_looks_vietnamese(first, last) or (language or "vi").startswith("vi")):
        return f"{last} {first}", True  # "Nam" + "Lê Văn": the fields in Western order
    return f"{first} {last}", False


def full_name(
    first: str | None,
    last: str | None = None,
    chosen: str | None = None,
    language: str | None = None,
) -> str:
    """The name to show: the one set with /me, else Telegram's two fields in Vietnamese order."""
    if chosen and chosen.strip():
        return chosen.strip()
    return _ordered((first or "").strip(), (last or "").strip(), language)[0]


def given_name(
    first: str | None,
    last: str | None = None,
    chosen: str | None = None,
    language: str | None = None,
) -> str:
    """The name to greet with: "Nam" for Lê Văn Nam, "Anna" for Anna Nguyen."""
    if chosen and chosen.strip():
        words = chosen.split()
        return words[-1] if _family_first(chosen) or len(words) == 1 else words[0]
    first, last = (first or "").strip(), (last or "").strip()
    name, family_first = _ordered(first, last, language)
    if family_first:
        return name.split()[-1]
    return first or last  # what they put as their first name ("Anna", "Anna Maria", "User 1012")


def name_of(person: Named) -> str:
    return full_name(
        person.first_name, person.last_name, person.full_name, person.telegram_language
    )


def sort_key(person: Named) -> tuple[str, str]:
    """Lists of people in the Vietnamese way: by given name, then the whole name."""
    return fold(greeting_name(person)), fold(name_of(person))


def greeting_name(person: Named) -> str:
    return given_name(
        person.first_name, person.last_name, person.full_name, person.telegram_language
    )
