"""The "Kiến nghị" sheet of /export (issue 17): one row per item received in the period and placed
in the subtree, with its dates as dates; citizens' name and phone only for items the exporter is
in the chain of (a cadre who recorded one sees that one's, not a colleague's)."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter
from openpyxl import load_workbook

from bot.clock import FakeClock
from bot.demo import seed_demo
from bot.export import SHEETS, build_export
from bot.export_cells import CellWriter
from bot.export_petitions import SHEET_PETITIONS, petitions_sheet
from bot.i18n import I18n
from bot.periods import Period
from bot.totals import scope_node
from storage.db import Database
from storage.queries.units import Scope
from tests.harness import actor_of, unit_of
from tests.petition_items import make_item

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: November as the Front counts it: 15/10–14/11/2026.
NOVEMBER = Period("month", 2026, 11)
CITIZEN = ("Nguyễn Văn Bình", "0912345678")


@pytest.fixture
async def seeded(db: Database, clock: FakeClock) -> Database:
    async with db.session() as s:
        await seed_demo(s, clock.now())
    async with db.session() as s:
        await make_item(  # recorded by Nam (1004)
            s,
            status="closed",
            received_on=dt.date(2026, 11, 2),
            authority="02365-ubnd",
            forwarded_on=dt.date(2026, 11, 3),
            answered_on=dt.date(2026, 11, 10),
            closed_on=dt.date(2026, 11, 11),
            rating="satisfactory",
            citizen=CITIZEN,
            people_count=12,
        )
        await make_item(  # recorded by Hoa (1005)
            s,
            status="recorded",
            received_on=dt.date(2026, 11, 4),
            recorder=1005,
            citizen=("Hoàng Thị Mai", "0987654321"),
            category="moi_truong",
            text="Ô nhiễm môi trường do cơ sở chăn nuôi lợn xả thải ra suối",
        )
        await make_item(s, status="recorded", received_on=dt.date(2026, 11, 20))  # December's
        await make_item(  # another commune's
            s,
            status="recorded",
            received_on=dt.date(2026, 11, 4),
            place="02350-t2",
            front="02350",
            recorder=1009,
        )
    return db


def rows(data: bytes, name: str = SHEET_PETITIONS) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in load_workbook(BytesIO(data))[name].iter_rows(values_only=True)]


async def test_the_leaders_sheet_has_every_item_with_citizens(seeded: Database) -> None:
    buffer = BytesIO()
    async with seeded.session() as s:
        lan = await actor_of(s, 1002)
        commune = await unit_of(s, "02365")
        summary = await build_export(s, lan, commune, NOVEMBER, buffer, tz=TZ)
    assert summary.petitions == 2
    assert load_workbook(BytesIO(buffer.getvalue())).sheetnames == list(SHEETS)
    sheet = rows(buffer.getvalue())
    assert sheet[0][:4] == ("Mã", "Ngày tiếp nhận", "Mã đơn vị", "Đơn vị")
    assert sheet[0][-2:] == ("Họ tên công dân", "Số điện thoại công dân")
    first, second = sheet[1], sheet[2]
    assert first == (
        "KN-2026-0001",
        dt.datetime(2026, 11, 2),
        "02365-t1",
        "Ban Công tác Mặt trận thôn Cầu Bâm",
        "Hạ tầng – giao thông",
        "Tiếp xúc cử tri",
        "Đề nghị sửa chữa tuyến đường giao thông nông thôn liên thôn bị xuống cấp",
        12,
        "Đã kết thúc",
        "UBND xã Yên Nguyên",
        dt.datetime(2026, 11, 3),
        dt.datetime(2026, 12, 3),
        dt.datetime(2026, 11, 10),
        "UBND xã đã bố trí kinh phí, dự kiến thi công trong quý I năm sau.",
        "Thỏa đáng",
        None,
        *CITIZEN,
    )
    assert second[0] == "KN-2026-0002" and second[-2:] == ("Hoàng Thị Mai", "0987654321")
    assert len(sheet) == 3


async def test_citizen_cells_only_for_the_exporters_chain(seeded: Database) -> None:
    """The sheet asks the chain rule item by item: Nam recorded the first item, not the second."""
    async with seeded.session() as s:
        nam = await actor_of(s, 1004)
        node, org = await scope_node(s, await unit_of(s, "02365"))
        buffer = BytesIO()
        book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
        written = await petitions_sheet(
            s,
            book,
            CellWriter(book),
            I18n(TZ).translator("en"),
            nam,
            Scope(node.path, org),
            NOVEMBER,
            TZ,
        )
        book.close()
    assert written == 2
    sheet = rows(buffer.getvalue())
    assert sheet[0][:3] == ("Code", "Received on", "Unit code")
    assert sheet[1][-2:] == CITIZEN
    assert sheet[2][0] == "KN-2026-0002" and sheet[2][-2:] == (None, None)
    assert sheet[2][4] == "Environment"
