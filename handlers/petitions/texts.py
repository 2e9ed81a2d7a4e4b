"""The words of recording a recommendation: the labels of categories, sources and statuses in
the reader's language, and why an answer was refused (``bot.petition_record.RecordError``)."""

from __future__ import annotations

from bot import petition_record as pr
from bot import petitions
from bot.i18n import N_, Translator

#: Said to a person with memberships only in UBND units (and in a group chat: the rule's).
NOT_A_RECORDER = N_(
    "Recommendations are recorded by cadres of the Front and its member organisations. "
    "The People's Committee receives them once the Front forwards them."
)
#: A code typed after /petition that is forged, unknown or not in the asker's chain.
NOT_FOUND = N_("No such recommendation, or it is not yours to see.")
WRONG_CHAT = N_("Record recommendations in a private chat with me, not in a group.")
STALE = N_("This button is no longer active. Start again with /petition.")


def category_label(tr: Translator, key: str) -> str:
    return tr._(petitions.CATEGORIES.get(key, N_("Other")))


def source_label(tr: Translator, key: str) -> str:
    return tr._(petitions.SOURCES[key]) if key in petitions.SOURCES else key


def status_label(tr: Translator, key: str) -> str:
    return tr._(petitions.STATUSES[key]) if key in petitions.STATUSES else key


def people_text(tr: Translator, count: int) -> str:
    """ "12 cử tri cùng kiến nghị"; one citizen: "1 người kiến nghị"."""
    return tr.ngettext(
        "{count} citizen raised it", "{count} citizens raised it together", count
    ).format(count=tr.number(count))


def problem(tr: Translator, code: str) -> str:
    messages = {
        "text_short": tr._(
            "That is too short to be understood by whoever answers it: write at least {min} characters."
        ).format(min=tr.number(pr.TEXT_MIN)),
        "text_long": tr._(
            "At most {max} characters, please: shorten it, or attach the full letter as a document later."
        ).format(max=tr.number(pr.TEXT_MAX)),
        "count": tr._("Type the number of citizens in digits, for example 12, or /skip for one."),
        "count_range": tr._("The number of citizens must be from 1 to {max}.").format(
            max=tr.number(pr.PEOPLE_MAX)
        ),
        "name_length": tr._("A name has 2 to 100 characters. Type the citizen's full name."),
        "name_chars": tr._(
            "A name has letters and spaces only, family name first, for example Nguyễn Văn An."
        ),
        "phone": tr._(
            "That is not a Vietnamese phone number. Type it like 0912 345 678 or +84 912 345 678, or /skip."
        ),
        "place": tr._("You can no longer record for that place. Choose the place again."),
        "category": tr._("Choose the category again."),
        "source": tr._("Choose where it was heard again."),
        "future": tr._("The day it was received cannot be in the future. Give the day again."),
        "files": tr._("At most {max} photos or documents.").format(max=tr.number(pr.FILES_MAX)),
        "not_allowed": tr._(NOT_A_RECORDER),
    }
    return messages[code]
