"""Merge new message ids into both catalogs and fill Vietnamese translations from a dict file.

    .venv/bin/pybabel extract -F pyproject.toml -k N_ -k ngettext:1,2 --no-location --sort-output \
        -o locales/messages.pot bot handlers storage
    .venv/bin/python tools/i18n_fill.py my_vi.py [more_vi.py ...]
    .venv/bin/pybabel compile -d locales -D messages

Each dict file defines ``VI = {msgid: vietnamese}``. Existing translations are kept; English is the
msgid itself; ids no longer in the template are dropped. Exits 1 listing ids still without Vietnamese.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"


def load(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def main(argv: list[str]) -> int:
    extra: dict[str, str] = {}
    for name in argv:
        extra.update(runpy.run_path(name)["VI"])
    template = load(LOCALES / "messages.pot")
    missing: list[str] = []
    for lang in ("vi", "en"):
        po_path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        old = load(po_path)
        new = Catalog(locale=lang, domain="messages", fuzzy=False, project="phoihop", version="0.1")
        for msg in template:
            if not msg.id:
                continue
            prev = old.get(msg.id)
            if lang == "en":
                string = msg.id
            elif (msg.id[0] if isinstance(msg.id, tuple) else msg.id) in extra:
                key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
                string = (extra[key],) if isinstance(msg.id, tuple) else extra[key]
            elif prev is not None and prev.string:
                string = prev.string
            else:
                string = ""
                missing.append(str(msg.id))
            new.add(msg.id, string=string)
        with po_path.open("wb") as fh:
            write_po(fh, new, width=100, sort_output=True)
    for msgid in missing:
        print("missing vi:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
