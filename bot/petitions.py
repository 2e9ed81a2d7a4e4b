"""Citizens' recommendations (kiến nghị, PRODUCT §10): the words, the codes and who is in an
item's chain.

This module is the shared ground of the petition capability: the recording flow, the Front's
and the People's Committee's handling, reminders, totals and the export all name categories,
sources and statuses from here and ask the same functions who may see or act on an item, so
that the rules are written once and the access-matrix test can cross them.

Who is in an item's chain (and nobody else sees it):
- the cadre who recorded it;
- leaders whose scope covers the item's place (their subtree: a Front leader above sees every
  organisation's items below; a member organisation's leader those placed at its own units), or
  covers the Front committee that supervises it now (after it was sent up a level);
- the officers of the UBND unit it was forwarded to (any role in that unit);
- the deployment's owners.
A citizen who followed the item's link is not in the chain: they see its code, status and answer.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from bot.access import Actor
from bot.i18n import N_
from storage.models import Petition, Unit
from storage.queries.petition_handling import Visible

#: What a recommendation is about (issue 17's list), key → English msgid (Vietnamese in locales).
CATEGORIES: Final[dict[str, str]] = {
    "dat_dai": N_("Land"),
    "moi_truong": N_("Environment"),
    "ha_tang": N_("Infrastructure and transport"),
    "an_sinh": N_("Social security and policies"),
    "an_ninh": N_("Security and order"),
    "y_te_giao_duc": N_("Health and education"),
    "khac": N_("Other"),
}

#: Where it was heard.
SOURCES: Final[dict[str, str]] = {
    "tiep_xuc_cu_tri": N_("Voter contact meeting"),
    "doi_thoai": N_("Dialogue"),
    "don_thu": N_("Letter"),
    "khu_dan_cu": N_("Directly in the residential area"),
    "hoi_nghi": N_("Conference"),
}

#: The life of an item. Open: recorded (at the Front), forwarded and acknowledged (at the
#: authority), answered (waiting for the Front's rating). Final: closed, declined, merged.
STATUSES: Final[dict[str, str]] = {
    "recorded": N_("New"),
    "forwarded": N_("Forwarded"),
    "acknowledged": N_("Acknowledged"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
    "declined": N_("Declined"),
    "merged": N_("Merged"),
}
OPEN_STATUSES: Final = frozenset({"recorded", "forwarded", "acknowledged", "answered"})
#: Waiting for the authority: the due date runs and reminders go out.
AT_AUTHORITY: Final = frozenset({"forwarded", "acknowledged"})

#: Days an authority has to answer when a category has no setting of its own. Configuration,
#: not law: PHOIHOP_PETITION_DUE_DAYS overrides it per category (docs/personal-data.md says so).
DEFAULT_DUE_DAYS: Final = 30
#: How long citizens' name and phone are kept after an item is closed (days, ~12 months).
DEFAULT_ERASE_AFTER_DAYS: Final = 365

_CODE = re.compile(r"^\s*KN[\s\-_]*(\d{4})[\s\-_]*(\d{1,7})\s*$", re.IGNORECASE)


def code_for(year: int, seq: int) -> str:
    """``KN-2026-0042``: the year it was recorded and its number in that year."""
    return f"KN-{year}-{seq:04d}"


def parse_code(text: str) -> tuple[int, int] | None:
    """(year, seq) from what someone typed ("kn-2026-42", "KN 2026 0042"), or None."""
    match = _CODE.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def due_date(category: str, forwarded_on: date, days_by_category: dict[str, int]) -> date:
    """The day the authority should have answered by."""
    return forwarded_on + timedelta(days=days_by_category.get(category, DEFAULT_DUE_DAYS))


def is_recorder(actor: Actor, petition: Petition) -> bool:
    return petition.recorded_by is not None and petition.recorded_by == actor.person.id


def is_authority(actor: Actor, petition: Petition) -> bool:
    """An officer of the UBND unit the item was forwarded to."""
    return petition.authority_unit_id is not None and any(
        r.unit.id == petition.authority_unit_id for r in actor.roles
    )


def acts_for_front(actor: Actor, front: Unit) -> bool:
    """May merge, decline, answer, forward, send up and rate: a leader over the Front committee
    that supervises the item now (or an owner)."""
    return actor.can_admin(front)


def can_see(actor: Actor, petition: Petition, place: Unit, front: Unit) -> bool:
    """In the item's chain (see the module's docstring). ``place`` and ``front`` are the units
    ``petition.unit_id`` and ``petition.front_unit_id``."""
    return (
        is_recorder(actor, petition)
        or actor.can_admin(place)
        or actor.can_admin(front)
        or is_authority(actor, petition)
    )


def visible_to(actor: Actor) -> Visible:
    """What the person may list (``Visible``, the list's side of ``can_see``): what they
    recorded, what is placed or supervised in the scopes they lead, what was forwarded to their
    units; operators everything. /petitions and the dashboard both ask this."""
    return Visible(
        person_id=actor.person.id,
        scopes=[r.scope for r in actor.admin_roles()],
        unit_ids=[r.unit.id for r in actor.roles],
        everything=actor.is_owner,
    )
