"""The demo province of ``phoihop console --demo``: real names (via vietnam-provinces when installed,
a built-in copy of the same names otherwise), residential areas, member organisations and a dozen
people in several roles. Later features add their demo data here.

Front units are named after the body that acts, as documents name them: "Ủy ban MTTQ xã Yên
Nguyên" (the commune's Front committee), "Ban Công tác Mặt trận thôn Cầu Bâm" (a residential
area's); the area's own name stays in the official code. Each commune has its own villages (thôn),
a ward (phường) its tổ dân phố."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import reports
from bot.access import load_actor
from bot.activities import snapshot_of
from bot.holidays import next_working_day
from bot.meetings import MeetingPlan, create_meeting, record_conclusions
from bot.periods import period_containing
from bot.units import (
    ImportFailed,
    front_name,
    province_code,
    provinces_data,
    ward_code,
)
from bot.units import (
    short_name as _short,
)
from storage.models import Activity, ActivityHistory, ActivityValue, ReportRound, Unit
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
#: Each commune's residential areas, as the commune names them: thôn in a xã, tổ dân phố in a phường.
RESIDENTIAL = {
    "Xã Yên Nguyên": ("Thôn Cầu Bâm", "Thôn Đồng Mán", "Thôn Phú Lâm"),
    "Xã Kim Bình": ("Thôn Nà Ngà", "Thôn Khuôn Hẻ", "Thôn Bản Khiển"),
    "Phường Minh Xuân": ("Tổ dân phố 3", "Tổ dân phố 7", "Tổ dân phố 11"),
}
MEMBER_ORGS = (
    ("phu_nu", "Hội Liên hiệp Phụ nữ"),
    ("thanh_nien", "Đoàn Thanh niên"),
    ("nong_dan", "Hội Nông dân"),
    ("cuu_chien_binh", "Hội Cựu chiến binh"),
)


#: Beside the Front and its member organisations, each commune's People's Committee (the Front's
#: partner in the coordination rules the seeds report on) and its grassroots trade union.
PARTNERS = (
    ("ubnd", "UBND"),
    ("cong_doan", "Công đoàn cơ sở"),
)


def _residential(commune_name: str) -> tuple[str, ...]:
    """A commune's residential areas; one the table does not know gets numbered ones."""
    known = RESIDENTIAL.get(commune_name)
    if known:
        return known
    head = "Tổ dân phố" if commune_name.lower().startswith("phường") else "Thôn"
    return tuple(f"{head} {n}" for n in (1, 2, 3))


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


def _place(unit_name: str) -> str:
    """ "Ban Công tác Mặt trận thôn Cầu Bâm" -> "thôn Cầu Bâm"."""
    return unit_name.removeprefix("Ban Công tác Mặt trận ").removeprefix("Ủy ban MTTQ ")


async def seed_demo(session: AsyncSession, now: datetime) -> Demo:
    (pcode, pname), communes = _names()
    add = units_q.add
    province = await add(
        session,
        code=pcode,
        name=front_name(pname),
        kind="province",
        org="mttq",
        parent=None,
        now=now,
        official_code=pcode,
    )
    await add(
        session,
        code=f"{pcode}-phu_nu",
        name=f"Hội Liên hiệp Phụ nữ {_short(pname)}",
        kind="province",
        org="phu_nu",
        parent=province,
        now=now,
    )
    for ccode, cname in communes:
        commune = await add(
            session,
            code=ccode,
            name=front_name(cname),
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
        for index, rname in enumerate(_residential(cname), start=1):
            area = await add(
                session,
                code=f"{ccode}-t{index}",
                name=front_name(rname),
                kind="residential_area",
                org="mttq",
                parent=commune,
                now=now,
            )
            await add(
                session,
                code=f"{ccode}-t{index}-phu_nu",
                name=f"Chi hội Phụ nữ {_short(rname)}",
                kind="residential_area",
                org="phu_nu",
                parent=area,
                now=now,
            )
    # The commune's People's Committee and its trade union, after the Front's tree so that the
    # units above keep their ids and order.
    for ccode, cname in communes:
        front = await units_q.by_code(session, ccode)
        for org, org_name in PARTNERS:
            await add(
                session,
                code=f"{ccode}-{org}",
                name=f"{org_name} {_short(cname)}",
                kind="commune",
                org=org,
                parent=front,
                now=now,
            )
    c1, c2, c3 = communes[0][0], communes[1][0], communes[2][0]
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
        DemoPerson(1011, "Anna", "Nguyen", "en", f"{c2}-t1", "cadre"),
        DemoPerson(1012, "Sơn", "Nông Văn", "vi", None, None),
        DemoPerson(1013, "Quang", "Ma Văn", "vi", f"{c1}-ubnd", "admin"),
        DemoPerson(1014, "Thắm", "Hà Thị", "vi", f"{c2}-ubnd", "cadre"),
        DemoPerson(1015, "Long", "Triệu Đức", "vi", f"{c3}-ubnd", "cadre"),
        DemoPerson(1016, "Hiền", "Lý Thị", "vi", f"{c1}-cong_doan", "cadre"),
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
        (
            "nong_thon_moi",
            {"work_days": (20, 300), "land_m2": (0, 400), "amount": (5_000_000, 60_000_000)},
        ),
        ("cuoc_van_dong_van_hoa", {"families": (20, 120), "areas": (0, 1)}),
    ),
    "mttq_commune": (
        ("tiep_xuc_cu_tri", {"meetings": (1, 2), "participants": (80, 250), "petitions": (5, 25)}),
        ("giam_sat", {"sessions": (1, 2)}),
        ("phan_bien", {"meetings": (0, 1)}),
        ("doi_thoai", {"meetings": (0, 1)}),
        ("chuong_trinh_phoi_hop", {"documents": (0, 1)}),
        ("xoa_nha_tam", {"houses": (0, 2)}),
        ("nha_chuong_trinh", {"built_30a": (0, 2), "built_167": (0, 2)}),
    ),
    "phu_nu": (
        ("ho_ngheo_ho_tro", {"households": (1, 5), "value": (2_000_000, 20_000_000)}),
        ("tuyen_truyen", {"sessions": (1, 2), "participants": (20, 60)}),
        ("ket_nap", {"persons": (1, 6)}),
        ("tin_dung_uu_dai", {"households": (2, 12), "amount": (50_000_000, 600_000_000)}),
    ),
    "thanh_nien": (
        ("tuyen_truyen", {"sessions": (1, 3), "participants": (20, 80)}),
        ("ket_nap", {"persons": (1, 8)}),
    ),
    "nong_dan": (
        ("dan_van_kheo", {"models": (0, 1)}),
        ("ho_ngheo_ho_tro", {"households": (1, 4), "value": (3_000_000, 15_000_000)}),
        ("tin_dung_uu_dai", {"households": (2, 10), "amount": (50_000_000, 500_000_000)}),
    ),
    "cuu_chien_binh": (
        ("hoa_giai", {"cases": (1, 2)}),
        ("tuyen_truyen", {"sessions": (1, 1), "participants": (15, 40)}),
    ),
    "ubnd": (
        ("doi_thoai", {"meetings": (1, 1)}),
        ("chuong_trinh_phoi_hop", {"documents": (0, 1)}),
        ("don_thu", {"received": (1, 4), "forwarded": (0, 2), "resolved": (0, 3)}),
    ),
    "cong_doan": (
        ("quy_vi_nguoi_ngheo", {"amount": (2_000_000, 15_000_000)}),
        ("tuyen_truyen", {"sessions": (1, 1), "participants": (15, 40)}),
    ),
}

#: A measure that cannot exceed another of the same entry (the templates' ``at_most`` rules: no
#: more letters forwarded or resolved than received), so the demo's figures pass them.
DEMO_AT_MOST = {"forwarded": "received", "resolved": "received"}

#: Every residential area holds the Ngày hội Đại đoàn kết toàn dân tộc around 18 November.
SOLIDARITY_DAY = ("ngay_hoi_dai_doan_ket", {"areas": (1, 1), "participants": (80, 300)})


async def seed_demo_activities(
    session: AsyncSession, today: date, now: datetime, seed: int = 2026
) -> int:
    """A year of entries across the demo tree (deterministic), so totals look like real reports."""
    rng = random.Random(seed)
    every = await units_q.list_units(session)
    units = [u for u in every if u.parent_id is not None]
    recorders = await _recorders(session, every)
    planned: list[tuple[Activity, dict[str, int]]] = []

    def plan(unit: Unit, type_key: str, day: date, values: dict[str, int]) -> None:
        activity = Activity(
            unit_id=unit.id,
            person_id=recorders.get(unit.id),
            type_key=type_key,
            occurred_on=day,
            source="demo",
            created_at=now,
            updated_at=now,
            version=1,
        )
        planned.append((activity, values))

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
            for key, bound in DEMO_AT_MOST.items():
                if key in values and bound in values:
                    values[key] = min(values[key], values[bound])
            if not any(values.values()):
                values[next(iter(ranges))] = 1
            plan(unit, type_key, today - timedelta(days=days_ago), values)
        if unit.org == "mttq" and unit.kind == "residential_area":
            solidarity_day = date(today.year, 11, 18)
            if solidarity_day >= today:
                solidarity_day = solidarity_day.replace(year=today.year - 1)
            type_key, ranges = SOLIDARITY_DAY
            plan(unit, type_key, solidarity_day, {k: rng.randint(*r) for k, r in ranges.items()})
    session.add_all([a for a, _ in planned])
    await session.flush()  # one batched INSERT ... RETURNING for the ids
    session.add_all(
        ActivityValue(activity_id=a.id, measure_key=k, value_milli=v * 1000)
        for a, values in planned
        for k, v in values.items()
    )
    # Its history's first line, as a saved entry has it: /mine's "History" names the recorder.
    session.add_all(
        ActivityHistory(
            activity_id=a.id,
            person_id=a.person_id,
            at=a.created_at,
            action="create",
            before=None,
            after=snapshot_of(a, {k: v * 1000 for k, v in values.items()}),
        )
        for a, values in planned
    )
    count = len(planned)
    await rollup_q.rebuild(session)
    await session.flush()
    return count


async def _recorders(session: AsyncSession, units: Sequence[Unit]) -> dict[int, int]:
    """Who records each unit's entries: one of its members, else the nearest unit above's (a
    commune's leader records for a unit with nobody on the bot yet). The operators' team is
    nobody's recorder while a person is at hand."""
    own: dict[int, int] = {}
    for unit in units:
        people = await people_q.members_of(session, unit.id)
        chosen = [p for p, role in people if role != "owner"] or [p for p, _ in people]
        if chosen:
            own[unit.id] = chosen[0].id
    by_id = {u.id: u for u in units}
    result: dict[int, int] = {}
    for unit in units:
        current: Unit | None = unit
        while current is not None and current.id not in own:
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        if current is not None:
            result[unit.id] = own[current.id]
    return result


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
    below = await units_q.children(session, commune.id)
    areas = [u for u in below if u.kind == "residential_area"]
    partners = [u for u in below if u.org == "ubnd"]
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
        (
            3,
            8,
            "giao_ban",
            "Giao ban quý IV với UBND xã",
            "Hội trường UBND xã",
            [commune, *areas, *partners],
        ),
        (
            10,
            14,
            "tiep_xuc_cu_tri",
            "Tiếp xúc cử tri trước kỳ họp HĐND",
            f"Nhà văn hóa {_place(areas[0].name) if areas else ''}".strip(),
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
        # Nobody meets on a weekend or a public holiday: the day moves to the next working day.
        day = next_working_day(today + timedelta(days=days))
        starts = datetime.combine(day, time(hour), tzinfo=tz)
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
