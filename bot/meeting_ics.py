"""The calendar file sent with every meeting notice (PRODUCT §5): RFC 5545, one event.

Why it is shaped this way: the event's ``UID`` is the meeting's and its ``SEQUENCE`` the meeting's
change count (bumped by every reschedule and the cancellation), so a phone that imported the
invitation updates the same entry, or removes it on ``METHOD:CANCEL``, instead of adding a second.
Times carry ``TZID`` with the zone's ``VTIMEZONE`` so a calendar in another zone shows the right
hour. The texts (kind, description, organiser) come in from the caller, already in the
recipient's language: this module knows no translations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

import icalendar

from bot.meetings import ends_at
from storage.models import Meeting

ICS_ORGANISER: Final = "mailto:noreply@phoihop.invalid"


def build_ics(
    meeting: Meeting,
    *,
    tz: ZoneInfo,
    organiser: str,
    description: str,
    now: datetime,
    categories: str | None = None,
) -> bytes:
    """An RFC 5545 calendar with one event: ``METHOD:REQUEST`` for a scheduled meeting,
    ``METHOD:CANCEL`` + ``STATUS:CANCELLED`` for a cancelled one. ``UID`` is the meeting's and
    ``SEQUENCE`` its change count, so a calendar updates the entry it already has. Times carry
    ``TZID`` with the zone's ``VTIMEZONE``."""
    cancelled = meeting.status == "cancelled"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Phoi hop//Meetings//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", ends_at(meeting).astimezone(tz))
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    if description:
        event.add("description", description)
    if categories:
        event.add("categories", [categories])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", icalendar.vCalAddress(ICS_ORGANISER), parameters={"cn": organiser[:100]})
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def ics_filename(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}.ics"
