"""The board (``api/completeness``) costs the same few statements however many units owe a
report, for a province's leader (a row per commune), a commune's, and the province's drilled
into a commune: none per sub-unit (issue 19; the figures at a million entries are
bench/dashboard.py's). Counted with SQLAlchemy's ``before_cursor_execute`` on the engine, as
tests/handlers/test_statement_counts.py does (on every engine)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot.demo import Demo
from bot.runtime.webapp import WebServer
from storage.models import Report
from storage.queries import people as people_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q
from tests.harness import Harness
from tests.web.dashboard_server import get, seed, served, signed

#: The person and their memberships, then the board: the open rounds, whether the unit's
#: sub-units have sub-units (a commune's do not), their reports in the person's subtree, those
#: units, today's reminders, the members (two statements), the templates. (SQLite's
#: ``BEGIN IMMEDIATE`` goes through the cursor; not counted.)
BOARD = 10
#: A province's leader: the person, the open rounds, whether the communes have areas (they do),
#: the reports counted per commune (one GROUP BY), the communes and the rounds' units, the
#: templates.
GROUPED = 7
#: The province's leader drilled into a commune: the commune read and checked, then a board.
DRILLED = BOARD + 1


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    return await seed(harness)


async def board_statements(
    h: Harness, server: WebServer, telegram_id: int, **params: str
) -> tuple[int, Any]:
    # Every engine: a GET reads through ``Database.read``, which on SQLite has an engine of its own.
    engine = Engine
    seen = [0]

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not sql.startswith("BEGIN"):
            seen[0] += 1

    event.listen(engine, "before_cursor_execute", statement)
    try:
        status, body = await get(server, "api/completeness", signed(h, telegram_id), **params)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert status == 200, body
    return seen[0], body


async def test_the_board_is_a_fixed_number_of_statements(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        # The process's first read of the umbrella organisations is kept; not the board's cost.
        await board_statements(h, server, 1002)
        province, wide = await board_statements(h, server, 1001)
        commune, _ = await board_statements(h, server, 1002)
        assert (province, commune) == (GROUPED, BOARD)
        rows = sum(r["total"] for r in wide["rounds"])
        (group,) = wide["rounds"][0]["groups"]
        drilled, _ = await board_statements(h, server, 1001, unit=str(group["id"]))
        assert drilled == DRILLED
        # Twenty more residential areas owe the round, each with a cadre: the same count.
        async with h.db.session() as session:
            (round_,) = await reports_q.open_rounds(session)
            leader = next(p for p in demo.people if p.telegram_id == 1002)
            assert leader.unit_code is not None
            commune_unit = await units_q.by_code(session, leader.unit_code)
            assert commune_unit is not None
            for i in range(20):
                area = await units_q.add(
                    session,
                    code=f"bench-area-{i}",
                    name=f"Thôn Thêm {i:02d}",
                    kind="residential_area",
                    org="mttq",
                    parent=commune_unit,
                    now=h.clock.now(),
                )
                await reports_q.add(session, Report(round_id=round_.id, unit_id=area.id))
                cadre = await people_q.ensure(session, 5000 + i, h.clock.now())
                await people_q.grant(session, cadre.id, area.id, "cadre", h.clock.now(), "test")
        more, wider = await board_statements(h, server, 1001)
        assert more == GROUPED
        assert sum(r["total"] for r in wider["rounds"]) == rows + 20
        more, down = await board_statements(h, server, 1001, unit=str(commune_unit.id))
        assert more == DRILLED
        added = [u for r in down["rounds"] for u in r["units"] if "Thêm" in u["name"]]
        assert len(added) == 20 and all(u["remindable"] and u["cadres"] for u in added)
        assert (await board_statements(h, server, 1002))[0] == BOARD
