""" "Nhắc" on the dashboard's board: a leader queues a reminder to a missing unit's cadres through
the outbox, at most once a local day per report, recorded as the report's event; everyone else
is refused, and the cadre receives it through the emulator with the button to the draft."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.demo import Demo
from storage.queries import reports as reports_q
from tests.harness import Harness, text_of
from tests.web.dashboard_server import get, post, seed, served, signed


@pytest.fixture
async def demo(harness: Harness) -> Demo:
    return await seed(harness)


def _unit(body: dict[str, Any], ending: str) -> dict[str, Any]:
    units = [u for r in body["rounds"] for u in r["units"]]
    return next(u for u in units if u["name"].endswith(ending))


async def test_a_leader_reminds_a_missing_unit_once_a_day(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, board = await get(server, "api/completeness", signed(h, 1002))
        cau_bam = _unit(board, "Cầu Bâm")
        assert cau_bam["remindable"] and not cau_bam["reminded_today"]
        status, body = await post(
            server, "api/remind", signed(h, 1002), {"report": cau_bam["report"]}
        )
        assert (status, body) == (200, {"queued": 1})
        await h.dispatch()
        nam = h.user(1004, "Nam", last_name="Lê Văn")
        notice = nam.last
        assert notice is not None
        assert text_of(notice).startswith("Nguyễn Thị Lan nhắc bạn: Báo cáo quý của Ban Công tác")
        assert "Tiếp tục báo cáo" in [b["text"] for row in notice.inline_buttons for b in row]
        # The board says so, and a second press the same day is refused (the province's leader too).
        _, board = await get(server, "api/completeness", signed(h, 1002))
        assert _unit(board, "Cầu Bâm")["reminded_today"]
        assert not _unit(board, "Cầu Bâm")["remindable"]
        for leader in (1002, 1001):
            status, body = await post(
                server, "api/remind", signed(h, leader), {"report": cau_bam["report"]}
            )
            assert (status, body["error"]) == (429, "already")
            assert "mỗi ngày một lần" in body["message"]
        # The next local day, again.
        h.clock.advance(timedelta(days=1))
        status, body = await post(
            server, "api/remind", signed(h, 1001), {"report": cau_bam["report"]}
        )
        assert status == 200
    async with h.db.session() as session:
        events = await reports_q.events(session, cau_bam["report"])
    assert [e.action for e in events].count("reminded") == 2


async def test_who_may_not_remind(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, board = await get(server, "api/completeness", signed(h, 1002))
        cau_bam, dong_man = _unit(board, "Cầu Bâm"), _unit(board, "Đồng Mán")
        # The thôn's own cadre sees the row but no button, and is refused; so is another
        # commune's leader, and the commune's Women's Union leader (not the Front's tree).
        _, own = await get(server, "api/completeness", signed(h, 1004))
        assert not _unit(own, "Cầu Bâm")["remindable"]
        for person in (1004, 1008, 1003):
            status, body = await post(
                server, "api/remind", signed(h, person), {"report": cau_bam["report"]}
            )
            assert (person, status, body["error"]) == (person, 403, "forbidden")
        # A unit nobody can be written to.
        status, body = await post(
            server, "api/remind", signed(h, 1002), {"report": dong_man["report"]}
        )
        assert (status, body["error"]) == (409, "no_cadres")
        # Bad bodies, an unknown report, forged launch data.
        bads: list[Any] = [{}, {"report": "1"}, {"report": True}, [], {"report": -1}]
        for bad in bads:
            status, body = await post(server, "api/remind", signed(h, 1002), bad)
            assert (status, body["error"]) == (400, "bad_request")
        status, body = await post(server, "api/remind", signed(h, 1002), {"report": 99999})
        assert (status, body["error"]) == (403, "forbidden")
        forged = signed(h, 1002).replace("U1002", "U1001")
        status, body = await post(server, "api/remind", forged, {"report": cau_bam["report"]})
        assert (status, body["error"]) == (401, "forged")
    await h.dispatch()
    assert "nhắc bạn" not in text_of(h.user(1004, "Nam").last)  # nothing was queued


async def test_a_submitted_report_is_not_reminded(harness: Harness, demo: Demo) -> None:
    h = harness
    async with served(h) as server:
        _, board = await get(server, "api/completeness", signed(h, 1002))
        report_id = _unit(board, "Cầu Bâm")["report"]
        async with h.db.session() as session:
            await reports_q.mark_submitted(session, report_id, ("draft",), h.clock.now(), 1)
        status, body = await post(server, "api/remind", signed(h, 1002), {"report": report_id})
        assert (status, body["error"]) == (409, "not_missing")
