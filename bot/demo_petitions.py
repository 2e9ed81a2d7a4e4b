"""The demo's citizens' recommendations (issue 17): a few items in every state in the demo
communes, forwarded to their People's Committees (the demo's UBND officers are people 1013–1015),
with the history the recording and handling would have left, so that ``/petitions``, ``/totals
kiến nghị``, the digests, the export and the reminders have something real to show.

The texts are the kind voters raise at contact meetings in the seeds' reports (rural roads,
pollution, land-use certificates, policies for people with meritorious service), dated relative to
the day the demo is made so that one item is always overdue and one always waits for a rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import load_actor
from bot.demo import Demo
from bot.meeting_agenda import attach_open_items
from bot.petitions import code_for
from storage.models import Petition
from storage.queries import meeting_agenda as agenda_q
from storage.queries import people as people_q
from storage.queries import petitions as petitions_q
from storage.queries import units as units_q


@dataclass(frozen=True)
class DemoItem:
    """One item: where, what, and the days (before today) of each step it went through."""

    commune: int  # index of the demo commune (0 Yên Nguyên, 1 Kim Bình, 2 Minh Xuân)
    area: int  # residential area (1–3), 0 for the commune itself
    status: str
    category: str
    source: str
    text: str
    recorder: int  # Telegram id
    leader: int  # the commune's Front leader (Telegram id)
    received: int
    people: int = 1
    forwarded: int | None = None
    due_in: int = 30  # days from forwarding
    officer: int | None = None  # the UBND officer it was assigned to
    answered: int | None = None
    answer: str | None = None
    closed: int | None = None
    informed: int | None = None
    note: str | None = None  # the reason of a decline
    into: int | None = None  # the index in ITEMS of the item a merged one went into
    citizen: tuple[str, str] | None = None


ITEMS = (
    DemoItem(
        0,
        1,
        "recorded",
        "ha_tang",
        "tiep_xuc_cu_tri",
        "Đề nghị lắp đặt hệ thống đèn chiếu sáng tuyến đường liên thôn Cầu Bâm – Đồng Mán.",
        1004,
        1002,
        received=3,
        people=8,
    ),
    DemoItem(
        0,
        2,
        "forwarded",
        "ha_tang",
        "tiep_xuc_cu_tri",
        "Đề nghị sửa chữa tuyến đường giao thông nông thôn thôn Đồng Mán bị sạt lở sau mưa lũ, "
        "xe chở nông sản không đi lại được.",
        1004,
        1002,
        received=10,
        people=15,
        forwarded=8,
    ),
    DemoItem(
        0,
        2,
        "merged",
        "ha_tang",
        "khu_dan_cu",
        "Đường liên thôn Đồng Mán xuống cấp, mùa mưa đi lại rất khó khăn.",
        1004,
        1002,
        received=9,
        closed=8,
        into=1,
    ),
    DemoItem(
        1,
        1,
        "acknowledged",
        "moi_truong",
        "don_thu",
        "Phản ánh ô nhiễm môi trường do cơ sở chăn nuôi lợn xả thải trực tiếp ra suối Nà Ngà, "
        "đề nghị kiểm tra, xử lý.",
        1011,
        1008,
        received=20,
        people=6,
        forwarded=18,
        officer=1014,
    ),
    DemoItem(
        0,
        3,
        "acknowledged",
        "dat_dai",
        "doi_thoai",
        "Đề nghị xem xét cấp giấy chứng nhận quyền sử dụng đất cho 9 hộ dân thôn Phú Lâm đã sử "
        "dụng đất ổn định từ năm 1993.",
        1004,
        1002,
        received=50,
        people=9,
        forwarded=45,
        officer=1013,
        citizen=("Hoàng Văn Thắng", "0915 246 813"),
    ),
    DemoItem(
        2,
        2,
        "answered",
        "an_sinh",
        "tiep_xuc_cu_tri",
        "Đề nghị giải quyết chế độ chính sách cho thân nhân người có công với cách mạng ở tổ dân "
        "phố 7.",
        1001,
        1001,
        received=40,
        forwarded=38,
        officer=1015,
        answered=9,
        answer="UBND phường đã rà soát hồ sơ, đề nghị Sở Nội vụ giải quyết chế độ trợ cấp hằng "
        "tháng cho 2 trường hợp đủ điều kiện.",
    ),
    DemoItem(
        0,
        1,
        "closed",
        "ha_tang",
        "tiep_xuc_cu_tri",
        "Đề nghị nạo vét kênh mương nội đồng thôn Cầu Bâm phục vụ sản xuất vụ xuân.",
        1004,
        1002,
        received=70,
        people=20,
        forwarded=68,
        officer=1013,
        answered=45,
        answer="UBND xã đã huy động máy và ngày công, nạo vét xong 1,2 km kênh mương.",
        closed=43,
        informed=40,
    ),
    DemoItem(
        1,
        2,
        "declined",
        "khac",
        "khu_dan_cu",
        "Đề nghị hỗ trợ kinh phí tổ chức lễ giỗ tổ của dòng họ.",
        1009,
        1008,
        received=15,
        closed=12,
        note="Không thuộc phạm vi hỗ trợ từ ngân sách; đề nghị dòng họ tự vận động đóng góp.",
    ),
)


def _at(today: date, days_ago: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(9), tzinfo=tz)


async def seed_demo_petitions(
    session: AsyncSession, demo: Demo, now: datetime, tz: ZoneInfo
) -> int:
    """Store the demo items and their histories; how many."""
    # The communes in the demo's order (Yên Nguyên, Kim Bình, Minh Xuân), by their UBND officers.
    codes = [
        p.unit_code.removesuffix("-ubnd")
        for p in demo.people
        if p.unit_code and p.unit_code.endswith("-ubnd")
    ]
    today = now.astimezone(tz).date()
    stored: list[Petition] = []
    for spec in ITEMS:
        stored.append(await _store(session, spec, codes[spec.commune], stored, today, tz))
    return len(stored)


async def _person_id(session: AsyncSession, telegram_id: int) -> int:
    person = await people_q.by_telegram_id(session, telegram_id)
    assert person is not None, telegram_id
    return person.id


async def _store(
    session: AsyncSession,
    spec: DemoItem,
    commune: str,
    earlier: list[Petition],
    today: date,
    tz: ZoneInfo,
) -> Petition:
    front = await units_q.by_code(session, commune)
    place = await units_q.by_code(session, f"{commune}-t{spec.area}" if spec.area else commune)
    authority = await units_q.by_code(session, f"{commune}-ubnd")
    assert front is not None and place is not None and authority is not None
    recorder = await _person_id(session, spec.recorder)
    leader = await _person_id(session, spec.leader)
    received = _at(today, spec.received, tz)
    item = Petition(
        year=received.year,
        text=spec.text,
        category=spec.category,
        source=spec.source,
        unit_id=place.id,
        people_count=spec.people,
        recorded_by=recorder,
        received_on=received.date(),
        consent=spec.citizen is not None,
        citizen_name=spec.citizen[0] if spec.citizen else None,
        citizen_phone=spec.citizen[1] if spec.citizen else None,
        status="recorded",
        front_unit_id=front.id,
        reminders_sent=0,
        created_at=received,
        updated_at=received,
    )
    await petitions_q.add(session, item, code_for)
    await petitions_q.add_event(session, item, "recorded", received, recorder)
    if spec.forwarded is not None:
        at = _at(today, spec.forwarded, tz)
        item.status, item.authority_unit_id = "forwarded", authority.id
        item.forwarded_by, item.forwarded_at = leader, at
        item.due_on = at.date() + timedelta(days=spec.due_in)
        await petitions_q.add_event(session, item, "forwarded", at, leader, unit_id=authority.id)
    if spec.officer is not None:
        officer = await _person_id(session, spec.officer)
        at = _at(today, (spec.forwarded or 0) - 1, tz)
        item.status = "acknowledged"
        await petitions_q.add_event(session, item, "acknowledged", at, officer)
        item.assignee_id = officer
        await petitions_q.add_event(session, item, "assigned", at, officer, person_id=officer)
    if spec.answered is not None:
        at = _at(today, spec.answered, tz)
        item.status, item.answer, item.answered_by, item.answered_at = (
            "answered",
            spec.answer,
            item.assignee_id,
            at,
        )
        await petitions_q.add_event(
            session, item, "answered", at, item.assignee_id, note=spec.answer
        )
    if spec.closed is not None:
        at = _at(today, spec.closed, tz)
        item.closed_at = at
        if spec.status == "closed":
            item.status, item.rating = "closed", "satisfactory"
            await petitions_q.add_event(session, item, "rated_ok", at, leader)
        elif spec.status == "declined":
            item.status = "declined"
            await petitions_q.add_event(session, item, "declined", at, leader, note=spec.note)
        else:
            assert spec.into is not None
            into = earlier[spec.into]
            item.status, item.merged_into_id = "merged", into.id
            into.people_count += item.people_count
            await petitions_q.add_event(session, item, "merged", at, leader, note=into.code)
    if spec.informed is not None:
        at = _at(today, spec.informed, tz)
        item.informed_at = at
        await petitions_q.add_event(session, item, "informed", at, recorder)
    assert item.status == spec.status, (item.code, item.status, spec.status)
    await session.flush()
    return item


async def seed_demo_agenda(session: AsyncSession, demo: Demo, now: datetime) -> int:
    """The first commune's coming giao ban with its People's Committee (``seed_demo_meetings``)
    takes the items waiting for the committee as its agenda, as its leader would have said yes
    in /meeting; how many. Run after :func:`seed_demo_petitions`."""
    leader = next(p for p in demo.people if p.telegram_id == 1002)
    person = await people_q.by_telegram_id(session, leader.telegram_id)
    commune = await units_q.by_code(session, leader.unit_code or "")
    if person is None or commune is None:
        return 0
    meeting = await agenda_q.next_meeting(session, commune.id, ("giao_ban",), now)
    if meeting is None:
        return 0
    actor = await load_actor(session, person)
    return await attach_open_items(session, actor, meeting, commune, now)
