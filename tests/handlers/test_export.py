"""/export through the emulator: the workbook's sheets, headers, typed cells and figures against what
was logged, the subtree rule, and refusals."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot import reports as rep
from bot.access import load_actor
from bot.demo import seed_demo_meetings, seed_demo_round
from bot.export import SHEETS, ExportError, build_export
from bot.periods import Period
from handlers.export import export_jobs
from storage.models import MeetingRsvp, Person, Report, Unit
from tests.harness import Harness, text_of
from tests.petition_items import record as record_item

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def h(harness: Harness) -> Harness:
    demo = await harness.seed_demo()
    now = harness.clock.now()
    async with harness.db.session() as session:
        round_row = await seed_demo_round(session, demo, now, TZ)
        assert round_row is not None
        await seed_demo_meetings(session, demo, now, TZ)
        report = await session.scalar(
            select(Report)
            .join(Unit, Unit.id == Report.unit_id)
            .where(
                Report.round_id == round_row.id,
                Unit.name.startswith("Ban Công tác Mặt trận thôn Cầu Bâm"),
            )
        )
        nam = await session.scalar(select(Person).where(Person.telegram_id == 1004))
        assert report is not None and nam is not None
        await rep.set_answer(session, report, "committee_met", True, nam.id, now)
        await rep.set_answer(session, report, "committee_meetings", 5, nam.id, now)
    for uid, line in [
        (1004, "/log nha_dai_doan_ket 2 120tr"),
        (1004, "/log hoa_giai 3 10/11/2026"),
        (1009, "/log nha_dai_doan_ket 1 50tr"),
        (1005, "/log ket_nap 4"),
    ]:
        assert text_of((await harness.user(uid, f"U{uid}").send(line))[0]).startswith("Đã lưu")
    return harness


def rows(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


async def test_commune_leader_exports_the_quarter(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    sent = await lan.send("/export quý này")
    message = next(m for m in sent if m.document is not None)
    assert message.document is not None
    assert message.document["file_name"].startswith("phoihop-")
    assert message.document["file_name"].endswith("-2026-Q4.xlsx")
    assert message.text is not None and message.text.startswith(
        "Ủy ban MTTQ xã Yên Nguyên — Quý IV/2026"
    )
    # The summary counts every sheet's rows, the recommendations' too (none recorded here).
    assert message.text.endswith("lượt trả lời giấy mời, 0 kiến nghị.")
    book = load_workbook(BytesIO(message.document["data"]))
    assert book.sheetnames == list(SHEETS)

    totals = rows(book["Tổng hợp"])
    header = totals[0]
    assert header[0] == "Đơn vị"
    built = header.index("Nhà Đại đoàn kết — Xây mới (căn)")
    value = header.index("Nhà Đại đoàn kết — Giá trị (đồng)")
    joined = header.index("Kết nạp hội viên, đoàn viên — Số người (người)")
    assert totals[1][0] == "Ủy ban MTTQ xã Yên Nguyên"
    assert (totals[1][built], totals[1][value], totals[1][joined]) == (2, 120_000_000, 4)
    assert isinstance(totals[1][value], int)
    assert book["Tổng hợp"].cell(2, value + 1).number_format == "#,##0"
    area = next(r for r in totals[2:] if str(r[0]).startswith("Ban Công tác Mặt trận thôn Cầu Bâm"))
    assert area[built] == 2
    mediation = next(i for i, label in enumerate(header) if str(label).startswith("Hòa giải"))
    assert totals[1][mediation] == 3

    log = rows(book["Nhật ký hoạt động"])
    head = log[0]
    assert head[:5] == ("Số phiếu", "Ngày", "Mã đơn vị", "Đơn vị", "Loại hoạt động")
    assert head[-2:] == ("Ghi chú", "Người ghi")
    entries = log[1:]
    assert len(entries) == 3  # Kim Bình's house is not in Yên Nguyên's subtree
    assert all(isinstance(r[1], datetime) for r in entries)
    assert all(isinstance(r[0], int) for r in entries)
    by_activity = {r[4]: r for r in entries}
    houses = by_activity["Nhà Đại đoàn kết"]
    assert houses[head.index("Nhà Đại đoàn kết — Xây mới (căn)")] == 2
    assert houses[head.index("Nhà Đại đoàn kết — Giá trị (đồng)")] == 120_000_000
    assert houses[-1] == "U1004"
    assert str(houses[3]).startswith("Ban Công tác Mặt trận thôn Cầu Bâm")
    mediation_row = next(r for r in entries if str(r[4]).startswith("Hòa giải"))
    assert mediation_row[1].date() == date(2026, 11, 10)
    assert not any(r[-1] == "U1009" for r in entries)
    assert book["Nhật ký hoạt động"].cell(2, 2).number_format == "dd/mm/yyyy"

    reports = rows(book["Báo cáo"])
    assert reports[0][-2:] == ("Câu hỏi", "Trả lời")
    answered = [r for r in reports[1:] if r[8] is not None]
    assert {type(r[8]) for r in answered} == {int, str}
    assert any(r[8] == 5 for r in answered) and any(r[8] == "Có" for r in answered)
    assert all(str(r[4]).startswith("Ban Công tác Mặt trận thôn") for r in reports[1:])

    meetings = rows(book["Họp"])
    assert meetings[0][:3] == ("Cuộc họp", "Bắt đầu", "Đơn vị")
    titles = {r[0] for r in meetings[1:]}
    assert "Giao ban quý IV với UBND xã" in titles
    assert "Tổng kết công tác Mặt trận năm 2026" not in titles  # 16/12 is after Q4's 14/12
    starts = {r[0]: r[1] for r in meetings[1:]}
    assert starts["Giao ban quý IV với UBND xã"] == datetime(2026, 11, 19, 8, 0)


async def test_meeting_answers_are_listed(h: Harness) -> None:
    async with h.db.session() as session:
        nam = await session.scalar(select(Person).where(Person.telegram_id == 1004))
        assert nam is not None
        meeting_id = await session.scalar(
            select(MeetingRsvp.meeting_id).where(MeetingRsvp.person_id == nam.id)
        )
        if meeting_id is None:
            from storage.models import Meeting

            meeting = await session.scalar(
                select(Meeting).where(Meeting.title == "Giao ban quý IV với UBND xã")
            )
            assert meeting is not None
            session.add(
                MeetingRsvp(
                    meeting_id=meeting.id,
                    person_id=nam.id,
                    answer="no",
                    reason="Đi công tác",
                    answered_at=h.clock.now(),
                )
            )
    sent = await h.user(1002, "Lan").send("/export quy nay")
    message = next(m for m in sent if m.document is not None)
    assert message.document is not None
    meetings = rows(load_workbook(BytesIO(message.document["data"]))["Họp"])
    assert any(
        r[0] == "Giao ban quý IV với UBND xã"
        and r[3] == "U1004"
        and r[4] == "không dự"
        and r[5] == "Đi công tác"
        for r in meetings[1:]
    )


async def test_refusals(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    # Spreadsheets are the leaders' (PRODUCT §1): a cadre exports nothing, not even his own
    # area, whose workbook names his colleagues' absence reasons (issue 15).
    for asked in ("/export quý này 02365", "/export quý này", "/export"):
        refused = (await nam.send(asked))[0]
        assert refused.document is None and refused.text == (
            "Bảng tính dành cho lãnh đạo đơn vị. Hãy dùng /totals để xem số liệu của đơn vị bạn."
        )
    async with h.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 1004))
        commune = await session.scalar(select(Unit).where(Unit.code == "02365"))
        assert person is not None and commune is not None
        actor = await load_actor(session, person)
        with pytest.raises(ExportError):
            await build_export(session, actor, commune, Period("quarter", 2026, 4), BytesIO())
    kim_binh = (await h.user(1002, "Lan").send("/export quý này kim binh"))[0]
    assert kim_binh.document is None and kim_binh.text is not None
    assert kim_binh.text.startswith("Không tìm thấy đơn vị “kim binh”")
    stranger = (await h.user(2501, "Khách").send("/export"))[0]
    assert stranger.document is None and stranger.text is not None
    assert stranger.text.startswith("Bảng tính dành cho lãnh đạo đơn vị.")


async def test_area_leader_exports_own_unit_by_default(h: Harness) -> None:
    await h.grant(1004, "02365-t1", "admin")
    sent = await h.user(1004, "Nam").send("/export quý này")
    message = next(m for m in sent if m.document is not None)
    assert message.document is not None
    log = rows(load_workbook(BytesIO(message.document["data"]))["Nhật ký hoạt động"])
    assert len(log) == 4  # header + the area's three entries (its women's branch included)


async def test_other_users_are_answered_while_an_export_is_built(h: Harness) -> None:
    """The workbook is built in a worker thread from a snapshot of its own: held half-way
    through the activity log (its transaction open), the bot still answers another user's
    /log, and the workbook shows the data as of its snapshot, without that entry."""
    assert h.app is not None
    jobs = export_jobs(h.app)
    inside, go_on = threading.Event(), threading.Event()

    def hold(_rows: int) -> None:
        inside.set()
        go_on.wait(timeout=60)

    jobs.progress = hold
    h.wait_for_exports = False
    lan = h.user(1002, "Lan")
    [preparing] = await lan.send("/export quý này")
    assert preparing.text is not None and preparing.text.startswith("Đang lập bảng tính")
    assert preparing.document is None
    assert await asyncio.to_thread(inside.wait, 60), "the export never reached its log sheet"

    [saved] = await h.user(1004, "Nam").send("/log ket_nap 7")
    assert saved.text is not None and saved.text.startswith("Đã lưu")
    assert jobs.running == 1 and all(m.document is None for m in lan.history())

    go_on.set()
    await jobs.join()
    [message] = [m for m in lan.history() if m.document is not None]
    assert message.document is not None
    book = load_workbook(BytesIO(message.document["data"]))
    log = rows(book["Nhật ký hoạt động"])
    assert len(log) == 1 + 3  # the three entries of the fixture; Nam's new one came after
    totals = rows(book["Tổng hợp"])
    joined = totals[0].index("Kết nạp hội viên, đoàn viên — Số người (người)")
    assert totals[1][joined] == 4


async def test_the_summary_counts_the_recommendations(h: Harness) -> None:
    """The caption counts the recommendations' sheet like the others (issue 17)."""
    async with h.db.session() as session:
        for text in ("Sửa đường liên thôn", "Rác thải ở suối"):
            await record_item(session, h.clock.now(), text=text)
    sent = await h.user(1002, "Lan").send("/export quý này")
    message = next(m for m in sent if m.document is not None)
    assert message.document is not None and message.text is not None
    assert message.text.endswith(", 2 kiến nghị.")
    sheet = rows(load_workbook(BytesIO(message.document["data"]))["Kiến nghị"])
    assert len(sheet) == 1 + 2
