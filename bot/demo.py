"""The demo province of ``phoihop console --demo``: real names (via vietnam-provinces when installed,
a built-in copy of the same names otherwise), residential areas, member organisations and a dozen
people in several roles. Later features add their demo data here."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import reports
from bot.access import load_actor
from bot.meetings import MeetingPlan, create_meeting, record_conclusions
from bot.periods import period_containing
from bot.units import ImportFailed, province_code, provinces_data, ward_code
from storage.models import Activity, ActivityValue, ReportRound, Unit
from storage.queries import people as people_q
from storage.queries import rollup as rollup_q
from storage.queries import units as units_q

#: Tuyên Quang (NSO 08) and three of its communes, as in vietnam-provinces 2025.10.1.
BUILTIN_PROVINCE = ("08", "Tỉnh Tuyên Quang")
BUILTIN_COMMUNES = (
    ("02365", "Xã Yên Nguyên"),
    ("02350", "Xã Kim Bình"),
    ("02215", "Phường Minh Xuân"),
)
WANTED_COMMUNES = ("Xã Yên Nguyên", "Xã Kim Bình", "Phường Minh Xuân")
RESIDENTIAL = ("Thôn Cầu Bâm", "Thôn Đồng Mán", "Thôn Phú Lâm")
MEMBER_ORGS = (
    ("phu_nu", "Hội Phụ nữ"),
    ("thanh_nien", "Đoàn Thanh niên"),
    ("nong_dan", "Hội Nông dân"),
    ("cuu_chien_binh", "Hội Cựu chiến binh"),
)


@dataclass(frozen=True)
class DemoPerson:
    telegram_id: int
    first_name: str  # the given name, as Vietnamese Telegram users usually fill it in
    last_name: str  # family and middle names
    language: str
    unit_code: str | None
    role: str | None


@dataclass
class Demo:
    province: Unit
    people: list[DemoPerson]


def _names() -> tuple[tuple[str, str], list[tuple[str, str]]]:
    """Province and communes from the package when it is installed, else the built-in copy."""
    try:
        data = provinces_data()
    except ImportFailed:
        return BUILTIN_PROVINCE, list(BUILTIN_COMMUNES)
    prov = next(p for p in data if p["codename"] == "tuyen_quang")
    wards = {str(w["name"]): ward_code(int(w["code"])) for w in prov["wards"]}  # type: ignore[attr-defined]
    communes = [(wards[name], name) for name in WANTED_COMMUNES if name in wards]
    if len(communes) < len(WANTED_COMMUNES):
        return BUILTIN_PROVINCE, list(BUILTIN_COMMUNES)
    return (province_code(int(str(prov["code"]))), f"Tỉnh {prov['name']}"), communes


def _short(commune_name: str) -> str:
    """ "Xã Yên Nguyên" -> "xã Yên Nguyên" for unit names like "Hội Phụ nữ xã Yên Nguyên"."""
    head, _, rest = commune_name.partition(" ")
    return f"{head.lower()} {rest}"


async def seed_demo(session: AsyncSession, now: datetime) -> Demo:
    (pcode, pname), communes = _names()
    add = units_q.add
    province = await add(
        session,
        code=pcode,
        name=pname,
        kind="province",
        org="mttq",
        parent=None,
        now=now,
        official_code=pcode,
    )
    await add(
        session,
        code=f"{pcode}-phu_nu",
        name=f"Hội Phụ nữ {_short(pname)}",
        kind="province",
        org="phu_nu",
        parent=province,
        now=now,
    )
    for ccode, cname in communes:
        commune = await add(
            session,
            code=ccode,
            name=cname,
            kind="commune",
            org="mttq",
            parent=province,
            now=now,
            official_code=ccode,
        )
        for org, org_name in MEMBER_ORGS:
            await add(
                session,
                code=f"{ccode}-{org}",
                name=f"{org_name} {_short(cname)}",
                kind="commune",
                org=org,
                parent=commune,
                now=now,
            )
        for index, rname in enumerate(RESIDENTIAL, start=1):
            area = await add(
                session,
                code=f"{ccode}-t{index}",
                name=f"{rname} ({_short(cname)})",
                kind="residential_area",
                org="mttq",
                parent=commune,
                now=now,
            )
            await add(
                session,
                code=f"{ccode}-t{index}-phu_nu",
                name=f"Chi hội Phụ nữ {rname}",
                kind="residential_area",
                org="phu_nu",
                parent=area,
                now=now,
            )
    c1, c2 = communes[0][0], communes[1][0]
    people = [
        DemoPerson(1000, "Tổ vận hành", "", "vi", pcode, "owner"),
        DemoPerson(1001, "Hùng", "Trần Văn", "vi", pcode, "admin"),
        DemoPerson(1002, "Lan", "Nguyễn Thị", "vi", c1, "admin"),
        DemoPerson(1003, "Mai", "Hoàng Thị", "vi", f"{c1}-phu_nu", "admin"),
        DemoPerson(1004, "Nam", "Lê Văn", "vi", f"{c1}-t1", "cadre"),
        DemoPerson(1005, "Hoa", "Phạm Thị", "vi", f"{c1}-t1-phu_nu", "cadre"),
        DemoPerson(1006, "Tuấn", "Đỗ Minh", "vi", f"{c1}-thanh_nien", "admin"),
        DemoPerson(1007, "Bình", "Vũ Văn", "vi", f"{c1}-nong_dan", "cadre"),
        DemoPerson(1008, "Thu", "Bùi Thị", "vi", c2, "admin"),
        DemoPerson(1009, "Đức", "Ngô Văn", "vi", f"{c2}-t2", "cadre"),
        DemoPerson(1010, "Hạnh", "Đinh Thị", "vi", f"{c2}-cuu_chien_binh", "cadre"),
        DemoPerson(1011, "Nguyen", "Anna", "en", f"{c2}-t1", "cadre"),
        DemoPerson(1012, "Sơn", "Nông Văn", "vi", None, None),
    ]
    for p in people:
        person = await people_q.ensure(session, p.telegram_id, now)
        person.first_name, person.last_name, person.telegram_language = (
            p.first_name,
            p.last_name,
            p.language,
        )
        if p.unit_code and p.role:
            unit = await units_q.by_code(session, p.unit_code)
            assert unit is not None
            await people_q.grant(session, person.id, unit.id, p.role, now, "demo")
    await session.flush()
    return Demo(province=province, people=people)


#: What each organisation logs in the demo, with (min, max) per measure for one entry. The scale
#: follows the seeds: Kon Tum raised 68 tỷ for the Fund for the Poor and built ~2.000 Great
#: Solidarity houses over five years province-wide; a residential area logs a small share of that.
DEMO_ACTIVITY = {
    "mttq_area": (
        ("quy_vi_nguoi_ngheo", {"amount": (5_000_000, 60_000_000)}),
        (
            "nha_dai_doan_ket",
            {"built": (0, 1), "repaired": (0, 1), "value": (40_000_000, 120_000_000)},
        ),
        ("hoa_giai", {"cases": (1, 3)}),
        ("tuyen_truyen", {"sessions": (1, 2), "participants": (30, 120)}),
        ("don_thu", {"received": (0, 3), "forwarded": (0, 2), "resolved": (0, 2)}),
        ("an_sinh_xa_hoi", {"amount": (10_000_000, 80_000_000)}),
    ),
    "mttq_commune": (
        ("tiep_xuc_cu_tri", {"meetings": (1, 2), "participants": (80, 250), "petitions": (5, 25)}),
        ("giam_sat", {"sessions": (1, 2)}),
        ("phan_bien", {"meetings": (0, 1)}),
        ("doi_thoai", {"meetings": (0, 1)}),
        ("chuong_trinh_phoi_hop", {"documents": (0, 1)}),
        ("xoa_nha_tam", {"houses": (0, 2)}),
    ),
    "phu_nu": (
        ("ho_ngheo_ho_tro", {"households": (1, 5), "value": (2_000_000, 20_000_000)}),
        ("tuyen_truyen", {"sessions": (1, 2), "participants": (20, 60)}),
        ("ket_nap", {"persons": (1, 6)}),
    ),
    "thanh_nien": (
        ("tuyen_truyen", {"sessions": (1, 3), "participants": (20, 80)}),
        ("ket_nap", {"persons": (1, 8)}),
    ),
    "nong_dan": (
        ("dan_van_kheo", {"models": (0, 1)}),
        ("ho_ngheo_ho_tro", {"households": (1, 4), "value": (3_000_000, 15_000_000)}),
    ),
    "cuu_chien_binh": (
        ("hoa_giai", {"cases": (1, 2)}),
        ("tuyen_truyen", {"sessions": (1, 1), "participants": (15, 40)}),
    ),
}


async def seed_demo_activities(
    session: AsyncSession, today: date, now: datetime, seed: int = 2026
) -> int:
    """A year of entries across the demo tree (deterministic), so totals look like real reports."""
    rng = random.Random(seed)
    units = [u for u in await units_q.list_units(session) if u.parent_id is not None]
    members: dict[int, int] = {}
    for unit in units:
        for person, _role in await people_q.members_of(session, unit.id):
            members.setdefault(unit.id, person.id)
    planned: list[tuple[Activity, dict[str, int]]] = []
    for unit in units:
        profile = (
            "mttq_commune"
            if unit.org == "mttq" and unit.kind == "commune"
            else "mttq_area"
            if unit.org == "mttq"
            else unit.org
        )
        catalog = DEMO_ACTIVITY.get(profile)
        if not catalog:
            continue
        for days_ago in range(365, 0, -1):
            if rng.random() > 0.06:  # about two entries a month per unit
                continue
            type_key, ranges = rng.choice(catalog)
            # Money is reported in round figures (to 100.000 đồng), as people write it.
            values = {
                key: round(rng.randint(low, high), -5)
                if high >= 1_000_000
                else rng.randint(low, high)
                for key, (low, high) in ranges.items()
            }
            if not any(values.values()):
                values[next(iter(ranges))] = 1
            activity = Activity(
                unit_id=unit.id,
                person_id=members.get(unit.id),
                type_key=type_key,
                occurred_on=today - timedelta(days=days_ago),
                source="demo",
                created_at=now,
                updated_at=now,
                version=1,
            )
            planned.append((activity, values))
    session.add_all([a for a, _ in planned])
    await session.flush()  # one batched INSERT ... RETURNING for the ids
    session.add_all(
        ActivityValue(activity_id=a.id, measure_key=k, value_milli=v * 1000)
        for a, values in planned
        for k, v in values.items()
    )
    count = len(planned)
    await rollup_q.rebuild(session)
    await session.flush()
    return count


async def seed_demo_round(
    session: AsyncSession, demo: Demo, now: datetime, tz: ZoneInfo
) -> ReportRound | None:
    """An open quarterly round of the residential areas' report (their Ban Công tác Mặt trận) for
    the first commune's residential areas, due in two weeks and not before the quarter's cut-off."""
    templates = [t for t in await reports.latest_templates(session) if t.key == "residential_front"]
    leader = next(p for p in demo.people if p.telegram_id == 1002)
    commune = await units_q.by_code(session, leader.unit_code or "")
    if not templates or commune is None:
        return None
    today = now.astimezone(tz).date()
    period = period_containing(today, "quarter")
    due = max(today + timedelta(days=14), period.end + timedelta(days=3))
    deadline = datetime.combine(due, time(23, 59), tzinfo=tz)
    return await reports.open_round(
        session,
        None,
        template_row=templates[0],
        period=period,
        root=commune,
        deadline=deadline,
        now=now,
        kind="residential_area",
        org="mttq",
    )


async def seed_demo_meetings(session: AsyncSession, demo: Demo, now: datetime, tz: ZoneInfo) -> int:
    """A quarter's meetings across the demo tree: a past briefing with minutes, and upcoming ones."""
    leader = next(p for p in demo.people if p.telegram_id == 1002)
    person = await people_q.by_telegram_id(session, leader.telegram_id)
    commune = await units_q.by_code(session, leader.unit_code or "")
    if person is None or commune is None:
        return 0
    actor = await load_actor(session, person)
    areas = [u for u in await units_q.children(session, commune.id) if u.kind == "residential_area"]
    today = now.astimezone(tz).date()
    plans = [
        (
            -20,
            8,
            "giao_ban",
            "Giao ban công tác Mặt trận tháng 10",
            "Hội trường UBND xã",
            [commune],
        ),
        (3, 8, "giao_ban", "Giao ban quý IV với UBND xã", "Hội trường UBND xã", [commune, *areas]),
        (
            10,
            14,
            "tiep_xuc_cu_tri",
            "Tiếp xúc cử tri trước kỳ họp HĐND",
            "Nhà văn hóa thôn Cầu Bâm",
            areas[:1],
        ),
        (
            30,
            8,
            "tong_ket",
            "Tổng kết công tác Mặt trận năm 2026",
            "Hội trường UBND xã",
            [commune, *areas],
        ),
    ]
    count = 0
    for days, hour, kind, title, place, invited in plans:
        starts = datetime.combine(today + timedelta(days=days), time(hour), tzinfo=tz)
        created_at = min(now, starts - timedelta(days=7))
        plan = MeetingPlan(
            kind=kind,
            title=title,
            starts_at=starts,
            duration_minutes=120,
            place=place,
            agenda="1. Đánh giá kết quả phối hợp\n2. Thống nhất nhiệm vụ thời gian tới",
        )
        meeting = await create_meeting(
            session, actor, unit=commune, plan=plan, invited=invited, now=created_at
        )
        if days < 0:
            await record_conclusions(
                session,
                actor,
                meeting.id,
                "Thống nhất tăng cường vận động Quỹ Vì người nghèo dịp cuối năm.",
                now,
            )
        count += 1
    return count
