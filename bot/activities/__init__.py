"""The activity log's domain: the catalog as cadres see it, drafts and their next step, saving,
editing and deleting entries with an audit history, and the lock set by approved reports.

Values are ``Decimal`` here and thousandths in the database (exact sums on every backend).

The parts: ``kinds`` (the catalog and its types and measures), ``drafts`` (the guided /log's
draft) and ``entries`` (saved entries and their rights); the package re-exports their public
names, so ``from bot import activities as acts`` reads as one module.
"""

from .drafts import (
    answer,
    back,
    discard_draft,
    forget,
    load_draft,
    next_step,
    save_draft,
    values_of,
)
from .entries import (
    MAX_NOTE,
    MILLI,
    EntryError,
    NewEntry,
    copy_of,
    create_entry,
    delete_entry,
    edit_entry,
    editable,
    from_milli,
    repeat_of,
    snapshot,
    snapshot_of,
    to_milli,
    units_for_logging,
    viewable,
)
from .kinds import (
    Catalog,
    Kind,
    Measure,
    above_ceiling,
    active_kinds,
    catalog,
    catalog_kinds,
    first_above_ceiling,
    forget_catalog,
    kind,
    offered_kinds,
)

__all__ = [
    "MAX_NOTE",
    "MILLI",
    "Catalog",
    "EntryError",
    "Kind",
    "Measure",
    "NewEntry",
    "above_ceiling",
    "active_kinds",
    "answer",
    "back",
    "catalog",
    "catalog_kinds",
    "copy_of",
    "create_entry",
    "delete_entry",
    "discard_draft",
    "edit_entry",
    "editable",
    "first_above_ceiling",
    "forget",
    "forget_catalog",
    "from_milli",
    "kind",
    "load_draft",
    "next_step",
    "offered_kinds",
    "repeat_of",
    "save_draft",
    "snapshot",
    "snapshot_of",
    "to_milli",
    "units_for_logging",
    "values_of",
    "viewable",
]
