"""The shipped templates in the database: an upgraded deployment gets those it lacks (issue 16 §3:
the six-month and year-end reviews, the residential areas' and the Women's Union's reports, and
quarterly_front v3 with its audience), never replacing a version an operator loaded later."""

from __future__ import annotations

from sqlalchemy import delete

from bot.clock import FakeClock
from bot.report_templates import ensure_default_templates, latest_templates, store_template
from bot.template_files import parse_template
from bot.templates import DEFAULT_TEMPLATES_DIR
from storage.db import Database
from storage.models import ReportTemplate

AUDIENCE = "for:\n  kinds: [province, district, commune]\n  orgs: [mttq]\n"


async def test_an_upgraded_deployment_gets_the_shipped_templates_it_lacks(
    db: Database, clock: FakeClock
) -> None:
    quarterly = (DEFAULT_TEMPLATES_DIR / "quarterly.yaml").read_text(encoding="utf-8")
    residential = (DEFAULT_TEMPLATES_DIR / "residential_area.yaml").read_text(encoding="utf-8")
    assert AUDIENCE in quarterly
    async with db.session() as session:
        await session.execute(delete(ReportTemplate))
        # Before issue 16: the quarterly report v2, for every unit.
        before = parse_template(quarterly.replace(AUDIENCE, "").replace("version: 3", "version: 2"))
        assert (before.version, before.kinds, before.orgs) == (2, (), ())
        await store_template(session, before, clock.now())
        # An operator's own later version of a template the deployment did not ship yet.
        own = parse_template(
            residential.replace("version: 1", "version: 5").replace(
                "Báo cáo quý của Ban Công tác Mặt trận khu dân cư", "Báo cáo thôn (tỉnh sửa)"
            )
        )
        await store_template(session, own, clock.now())
    async with db.session() as session:
        assert await ensure_default_templates(session, clock.now()) == 4
    async with db.session() as session:
        latest = {t.key: (t.version, t.title_vi) for t in await latest_templates(session)}
        assert latest == {
            "quarterly_front": (3, "Báo cáo công tác Mặt trận quý"),
            "half_year_front": (1, "Báo cáo sơ kết công tác Mặt trận 6 tháng"),
            "year_end_front": (1, "Báo cáo tổng kết công tác Mặt trận năm"),
            "residential_front": (5, "Báo cáo thôn (tỉnh sửa)"),
            "womens_union_quarterly": (1, "Báo cáo công tác Hội Liên hiệp Phụ nữ quý"),
        }
        # Starting again adds nothing.
        assert await ensure_default_templates(session, clock.now()) == 0
