"""The /petition recording flow's draft (a typed dataclass, the kernel's state) and the screens its
steps show: the question each step asks, with its buttons, and the review card before saving.

Why apart from ``record.py``: these are what the cadre *sees* (read together they are the whole
conversation), while ``record.py`` reads the answers, saves and declares the flow. Nothing here
touches Telegram: a screen is text and (label, action) rows that the flow kernel turns into buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot import petition_record as pr
from bot import petitions
from bot.profile import format_phone
from handlers.common import esc
from handlers.flow import Call, Screen
from handlers.labels import button_label
from handlers.petitions.texts import category_label, people_text, source_label
from storage.queries import units as units_q


def today(call: Call) -> date:
    """The cadre's today, in the deployment's time zone."""
    return call.now.astimezone(call.services.settings.tz).date()


@dataclass
class PetitionDraft:
    """The recommendation being recorded, kept (as JSON in ``chat_states``) between steps."""

    text: str | None = None
    category: str | None = None
    #: The place, and the membership unit that lets the cadre record for it (``Flow.unit``).
    place_id: int | None = None
    via_id: int | None = None
    #: More than one place to choose from: the place step is asked.
    several: bool = False
    source: str | None = None
    #: None until answered or skipped (then 1).
    people: int | None = None
    #: ISO day; None until answered or skipped (then today).
    received: str | None = None
    #: [kind, file id] of each photo or document.
    files: list[list[str]] = field(default_factory=list)
    files_done: bool = False
    consent: bool | None = None
    name: str | None = None
    #: "" when skipped.
    phone: str | None = None
    #: The review card was reached: a changed answer goes back to it.
    reviewing: bool = False

    def missing(self) -> str | None:
        answers = {
            "text": self.text,
            "category": self.category,
            "place": self.place_id,
            "source": self.source,
            "people": self.people,
            "received": self.received,
            "files": True if self.files_done else None,
            "consent": self.consent,
        }
        if self.consent:
            answers.update(name=self.name, phone=self.phone)
        return next((step for step, value in answers.items() if value is None), None)


async def show_text(call: Call, draft: PetitionDraft) -> Screen:
    return Screen(
        call.tr._(
            "New recommendation. What do the citizens ask for? Write it in their words ({min} to {max} characters)."
        ).format(min=call.tr.number(pr.TEXT_MIN), max=call.tr.number(pr.TEXT_MAX))
    )


async def show_category(call: Call, draft: PetitionDraft) -> Screen:
    rows = [[(category_label(call.tr, key), f"c:{key}")] for key in petitions.CATEGORIES]
    return Screen(call.tr._("Which category?"), rows)


async def show_place(call: Call, draft: PetitionDraft) -> Screen:
    places = await pr.places(call.session, call.actor)
    rows = [[(button_label(p.unit.name), f"p:{p.unit.id}")] for p in places]
    return Screen(call.tr._("Where? The place the recommendation is about:"), rows)


async def show_source(call: Call, draft: PetitionDraft) -> Screen:
    rows = [[(source_label(call.tr, key), f"s:{key}")] for key in petitions.SOURCES]
    return Screen(call.tr._("Where was it heard?"), rows)


async def show_people(call: Call, draft: PetitionDraft) -> Screen:
    tr = call.tr
    return Screen(
        tr._("How many citizens raised it together? Type a number, or press One citizen."),
        [[(tr._("One citizen"), "sk")]],
    )


async def show_received(call: Call, draft: PetitionDraft) -> Screen:
    tr = call.tr
    return Screen(
        tr._(
            "On which day was it received? Type the date, for example {example}, or press Today."
        ).format(example=tr.day(today(call))),
        [[(tr._("Today"), "sk")]],
    )


async def show_files(call: Call, draft: PetitionDraft) -> Screen:
    tr = call.tr
    if draft.files:
        text = tr.ngettext(
            "{count} file received. Send more, or press Done.",
            "{count} files received. Send more, or press Done.",
            len(draft.files),
        ).format(count=tr.number(len(draft.files)))
        return Screen(text, [[(tr._("Done"), "d")]])
    return Screen(
        tr._(
            "Any photos or documents (a letter, a picture of the place)? Send them, or press No files."
        ),
        [[(tr._("No files"), "d")]],
    )


async def show_consent(call: Call, draft: PetitionDraft) -> Screen:
    tr = call.tr
    return Screen(
        tr._("Does the citizen agree to leave their name and phone number?"),
        [[(tr._("Yes"), "y"), (tr._("No"), "n")]],
    )


async def show_name(call: Call, draft: PetitionDraft) -> Screen:
    return Screen(
        call.tr._("The citizen's full name, family name first (for example Nguyễn Văn An):")
    )


async def show_phone(call: Call, draft: PetitionDraft) -> Screen:
    return Screen(call.tr._("The citizen's phone number (or /skip):"))


async def show_review(call: Call, draft: PetitionDraft) -> Screen:
    tr = call.tr
    place = await units_q.get(call.session, draft.place_id or 0)
    received = date.fromisoformat(draft.received) if draft.received else today(call)
    lines = [
        tr._("Check the recommendation, then press Save (/back to change an answer):"),
        "",
        f"“{esc(draft.text)}”",
        tr._("Category: {category}").format(category=esc(category_label(tr, draft.category or ""))),
        tr._("Place: {place}").format(place=esc(place.name if place else "?")),
        people_text(tr, draft.people or 1),
        tr._("Received: {day} ({source})").format(
            day=tr.day(received), source=esc(source_label(tr, draft.source or ""))
        ),
        tr.ngettext("{count} file", "{count} files", len(draft.files)).format(
            count=tr.number(len(draft.files))
        ),
    ]
    if draft.consent:
        phone = format_phone(draft.phone) if draft.phone else tr._("no phone")
        lines.append(
            tr._("Citizen (with consent): {who}").format(who=f"{esc(draft.name)}, {phone}")
        )
    else:
        lines.append(tr._("The citizen's name and phone are not kept (no consent)."))
    return Screen("\n".join(lines), [[(tr._("Save"), "go")]])
