"""/members: a leader lists, removes, re-roles and withdraws within their subtree, and the moment a
membership ends every right it gave ends (entries, flows, drafts, notices). Issue 15 §1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import reports
from bot.emulator.client import UserClient
from bot.meetings import MeetingPlan, create_meeting
from bot.periods import period_containing
from storage.models import Activity, ChatState, LogDraft, MembershipEvent, OutboxMessage, Person
from storage.queries import people as people_q
from tests.harness import YES_NO_ONLY, Harness, actor_of, text_of, unit_of

CAU_BAM = "Ban Công tác Mặt trận thôn Cầu Bâm"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def _person_id(h: Harness, telegram_id: int) -> int:
    async with h.db.session() as session:
        found = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
    assert found is not None
    return int(found)


async def _events(h: Harness) -> list[tuple[str, str | None, str | None, str]]:
    async with h.db.session() as session:
        rows = (await session.scalars(select(MembershipEvent).order_by(MembershipEvent.id))).all()
    return [(e.action, e.role_before, e.role_after, e.source) for e in rows]


async def _open_cau_bam(lan: UserClient) -> str:
    """Lan (leader of Ủy ban MTTQ xã Yên Nguyên) opens the list of Thôn Cầu Bâm's members."""
    picker = (await lan.send("/members"))[0]
    assert text_of(picker) == "Xem thành viên của đơn vị nào? Đang ở: Ủy ban MTTQ xã Yên Nguyên"
    await lan.press(f"{CAU_BAM} ›")
    return text_of((await lan.press(f"✓ {CAU_BAM}"))[-1])


async def _notices_to(h: Harness, chat_id: int) -> dict[str, str]:
    """kind → status of every outbox row to this chat."""
    async with h.db.session() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id))
        ).all()
    return {r.kind: r.status for r in rows}


async def test_leader_lists_members_and_withdraws_a_leaked_link(h: Harness) -> None:
    leaked = await h.invite("02365-t1", role="admin", uses=500, days=90)
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    listing = await _open_cau_bam(lan)
    assert listing.startswith(f"{CAU_BAM}: 1 thành viên\n• Lê Văn Nam — cán bộ")
    assert "Đường dẫn mời còn hiệu lực:\n• #1 lãnh đạo đơn vị: đã dùng 0/500" in listing

    shown = text_of((await lan.press("✕ Đường dẫn #1"))[-1])
    assert "Thu hồi đường dẫn này?" in shown
    assert "Đường dẫn mời còn hiệu lực" in text_of((await lan.send("không"))[-1])  # back, kept
    await lan.press("✕ Đường dẫn #1")
    replies = await lan.send("có")  # typed, as the question's "Thu hồi đường dẫn"
    assert text_of(replies[0]) == "Đã thu hồi đường dẫn mời #1."
    assert "Không có đường dẫn mời nào còn hiệu lực." in text_of(replies[-1])

    stranger = h.user(2201, "Khách")
    answer = text_of((await stranger.send(f"/start {leaked}"))[0])
    assert answer.startswith("Lời mời này đã bị thu hồi.")
    assert await _events(h) == [("revoke", "admin", None, "bot")]


async def test_a_removed_cadre_loses_every_right_at_once(h: Harness) -> None:
    nam = h.user(1004, "Nam", last_name="Lê Văn")  # cadre of Thôn Cầu Bâm
    await nam.send("/log hoa_giai 2")
    # Half-way through a guided entry when he is removed.
    await nam.send("/log")
    assert "Số vụ hòa giải" in text_of((await nam.press_data("log:type:t:hoa_giai"))[-1])
    now = h.clock.now()
    assert h.services is not None
    async with h.db.session() as session:
        commune, cau_bam = await unit_of(session, "02365"), await unit_of(session, "02365-t1")
        template = next(
            t for t in await reports.latest_templates(session) if t.key == "residential_front"
        )
        await reports.open_round(
            session,
            None,
            template_row=template,
            period=period_containing(now.date(), "quarter"),
            root=commune,
            deadline=now + timedelta(days=14),
            now=now,
            kind="residential_area",
            org="mttq",
            early=True,  # due in two weeks, whatever the period's cut-off
        )
        plan = MeetingPlan(
            kind="giao_ban",
            title="Giao ban thôn",
            starts_at=now + timedelta(days=3),
            duration_minutes=60,
            place="Nhà văn hoá",
            agenda="",
        )
        await create_meeting(
            session, await actor_of(session, 1002), unit=cau_bam, plan=plan, invited=[], now=now
        )
    # The round and the meeting are announced to him, not sent yet.
    assert await _notices_to(h, 1004) == {"round_opened": "pending", "meeting_invite": "pending"}

    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    await _open_cau_bam(lan)
    assert text_of((await lan.press("Lê Văn Nam · cán bộ"))[-1]) == (
        f"Lê Văn Nam là cán bộ của {CAU_BAM}."
    )
    confirm = text_of((await lan.press("Xóa khỏi đơn vị"))[-1])
    assert confirm.startswith(f"Xóa Lê Văn Nam khỏi {CAU_BAM}?")
    # Typed (issue 16 §4): other words keep the question, "không" is No, "có" is "Yes, remove".
    assert (await lan.send("để xem đã"))[0].text == YES_NO_ONLY
    assert (await lan.send("không"))[0].text == f"Lê Văn Nam là cán bộ của {CAU_BAM}."
    await lan.press("Xóa khỏi đơn vị")
    done = await lan.send("có")
    assert text_of(done[0]) == f"Đã xóa Lê Văn Nam khỏi {CAU_BAM}."
    assert text_of(done[-1]).startswith(f"{CAU_BAM}: 0 thành viên")

    # His flow and draft for the unit are closed, the notices about it dropped; he is told once.
    nam_id = await _person_id(h, 1004)
    async with h.db.session() as session:
        assert await session.scalar(select(ChatState).where(ChatState.user_id == 1004)) is None
        assert await session.get(LogDraft, nam_id) is None
    assert await _notices_to(h, 1004) == {
        "round_opened": "skipped",
        "meeting_invite": "skipped",
        "membership_changed": "pending",
    }
    await h.dispatch()
    told = text_of(nam.last)
    assert told.startswith(
        f"Bạn không còn là thành viên của {CAU_BAM} (trước đây là cán bộ). "
        "Các mục bạn đã ghi vẫn thuộc đơn vị."
    )
    assert told.endswith("đã được đóng lại: việc ghi hoạt động.")
    # Reminders are no longer planned for him: a day before the meeting, only others get one.
    h.clock.advance(timedelta(days=2, hours=1))
    await h.plan_reminders()
    assert "meeting_reminder" not in await _notices_to(h, 1004)

    # His entry is the unit's now: not his to see or change, still its leader's.
    refused = text_of((await nam.send("/mine"))[0])
    assert refused.startswith("Bạn chưa thuộc đơn vị nào.")
    await nam.press_data("mine:e:1")
    assert nam.last_answer is not None and nam.last_answer["text"].startswith("Bạn chưa thuộc")
    assert (await lan.press_data("mine:e:1"))[-1].text == "Bạn muốn sửa gì trong mục #1?"
    assert await _events(h) == [("remove", "cadre", None, "bot")]


async def test_a_cadre_who_moved_keeps_only_the_new_units_entries(h: Harness) -> None:
    """The issue's case: a cadre of commune B moves to Thôn A1 and B's leader removes her."""
    anna = h.user(
        1011, "Anna", last_name="Nguyen", language_code="en"
    )  # cadre of Ban Công tác Mặt trận thôn Nà Ngà
    await anna.send("/log hoa_giai 2")  # entry #1, for Kim Bình
    await h.grant(1011, "02365-t1", "cadre")  # joins Ban Công tác Mặt trận thôn Cầu Bâm
    yen_nguyen, kim_binh = await _unit_id(h, "02365-t1"), await _unit_id(h, "02350-t1")
    await anna.send("/log")  # entry #2, for Yên Nguyên
    await anna.press_data(f"log:unit:u:{yen_nguyen}")
    await anna.press_data("log:type:t:hoa_giai")
    await anna.send("3")
    for data in ("log:date:d:0", "log:note:n", "log:photo:p", "log:review:s"):
        await anna.press_data(data)
    await anna.send("/log")
    await anna.press_data(f"log:unit:u:{kim_binh}")  # a draft for Kim Bình
    async with h.db.session() as session:
        second = await session.get(Activity, 2)
        kept = await session.scalar(select(ChatState).where(ChatState.user_id == 1011))
    assert second is not None and second.unit_id == yen_nguyen
    assert kept is not None and kept.unit_id == kim_binh and not kept.leads

    thu = h.user(1008, "Thu")  # leader of Ủy ban MTTQ xã Kim Bình
    await thu.send("/members")
    await thu.press("Ban Công tác Mặt trận thôn Nà Ngà ›")
    listing = text_of((await thu.press("✓ Ban Công tác Mặt trận thôn Nà Ngà"))[-1])
    assert "• Anna Nguyen — cán bộ" in listing
    await thu.press("Anna Nguyen · cán bộ")
    await thu.press("Xóa khỏi đơn vị")
    await thu.press("Có, xóa")

    # Still a member elsewhere: only the Kim Bình draft closes, her Yên Nguyên entry stays hers.
    async with h.db.session() as session:
        assert await session.scalar(select(ChatState).where(ChatState.user_id == 1011)) is None
    mine = text_of((await anna.send("/mine"))[0])
    assert mine.startswith("Your recent entries (1–1 / 1)") and "#2 " in mine
    for data in ("mine:e:1", "mine:d:1", "mine:dy:1", "mine:h:1"):
        await anna.press_data(data)
        assert anna.last_answer is not None
        assert anna.last_answer["text"] == "You can only change entries of your own units."
    assert (await anna.press_data("mine:e:2"))[-1].text == "What do you want to change in entry #2?"
    # The unit's leader still can: the entry is Kim Bình's.
    assert text_of((await thu.press_data("mine:e:1"))[-1]) == "Bạn muốn sửa gì trong mục #1?"
    async with h.db.session() as session:
        first = await session.get(Activity, 1)
    assert first is not None and first.deleted_at is None


async def _unit_id(h: Harness, code: str) -> int:
    async with h.db.session() as session:
        return (await unit_of(session, code)).id


async def test_a_role_goes_up_and_down_and_a_lowered_leaders_flows_close(h: Harness) -> None:
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    nam = h.user(1004, "Nam", last_name="Lê Văn")
    await nam.send("/start")
    await _open_cau_bam(lan)
    await lan.press("Lê Văn Nam · cán bộ")
    labels = [b["text"] for row in lan.last.inline_buttons for b in row]  # type: ignore[union-attr]
    assert labels == ["Đặt làm lãnh đạo đơn vị", "Xóa khỏi đơn vị", "‹ Quay lại"]
    raised = await lan.press("Đặt làm lãnh đạo đơn vị")
    assert text_of(raised[0]) == f"Lê Văn Nam giờ là lãnh đạo đơn vị của {CAU_BAM}."
    assert "• Lê Văn Nam — lãnh đạo đơn vị" in text_of(raised[-1])

    # Now a leader, Nam starts an invite link for his unit, and is lowered half-way.
    await nam.send("/invite")
    role_step = (await nam.press(f"✓ {CAU_BAM}"))[-1]
    await lan.press("Lê Văn Nam · lãnh đạo đơn vị")
    lowered = await lan.press("Đặt làm cán bộ")
    assert text_of(lowered[0]) == f"Lê Văn Nam giờ là cán bộ của {CAU_BAM}."
    await h.dispatch()  # told he was raised, then (a chat rests a second) lowered
    assert text_of(nam.last) == f"Vai trò của bạn ở {CAU_BAM} giờ là lãnh đạo đơn vị."
    h.clock.advance(timedelta(seconds=2))
    await h.dispatch()
    assert text_of(nam.last).endswith("đã được đóng lại: việc tạo đường dẫn mời.")
    await nam.press("Cán bộ", message=role_step)
    assert nam.last_answer is not None and "không còn hiệu lực" in nam.last_answer["text"]
    assert text_of((await nam.send("/invite"))[0]).startswith("Chỉ lãnh đạo đơn vị")

    # Nobody is raised above the presser's own role, even by forged data.
    await lan.press("Lê Văn Nam · cán bộ")
    await lan.press_data("mem:member:r:owner")
    nam_id, cau_bam_id = await _person_id(h, 1004), await _unit_id(h, "02365-t1")
    async with h.db.session() as session:
        held = await people_q.role_in(session, nam_id, cau_bam_id)
    assert held == "cadre"
    assert await _events(h) == [
        ("role", "cadre", "admin", "bot"),
        ("role", "admin", "cadre", "bot"),
    ]


async def test_nobody_acts_above_or_outside_their_subtree_or_leaves_a_unit_leaderless(
    h: Harness,
) -> None:
    hung = h.user(1001, "Hùng", last_name="Trần Văn")  # the province's only leader
    await hung.send("/members")
    listing = text_of((await hung.press("✓ Ủy ban MTTQ tỉnh Tuyên Quang"))[-1])
    assert "• Trần Văn Hùng — lãnh đạo đơn vị" in listing
    await hung.press("Trần Văn Hùng · lãnh đạo đơn vị")
    await hung.press("Đặt làm cán bộ")
    assert hung.last_answer is not None
    assert hung.last_answer["text"].startswith("Bạn là lãnh đạo duy nhất của đơn vị này")
    await hung.press("Xóa khỏi đơn vị")
    await hung.press("Có, xóa")
    assert hung.last_answer["text"].startswith("Bạn là lãnh đạo duy nhất của đơn vị này")
    # Lan may step down: the province's leader still leads her commune.
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    await lan.send("/members")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Nguyễn Thị Lan · lãnh đạo đơn vị")
    stepped_down = await lan.press("Đặt làm cán bộ")
    assert [text_of(m) for m in stepped_down] == [
        "Nguyễn Thị Lan giờ là cán bộ của Ủy ban MTTQ xã Yên Nguyên."
    ]
    async with h.db.session() as session:  # her /members for the commune closed with the role
        assert await session.scalar(select(ChatState).where(ChatState.user_id == 1002)) is None

    # A leader of another commune, and a member organisation's leader, reach nothing of hers.
    thu = h.user(1008, "Thu")  # Ủy ban MTTQ xã Kim Bình
    await thu.send("/members")
    await thu.press_data(f"mem:unit:u:{await _unit_id(h, '02365-t1')}")
    assert thu.last_answer is not None
    assert (
        thu.last_answer["text"] == "Bạn chỉ quản lý được thành viên của các đơn vị mình lãnh đạo."
    )
    await thu.press("✓ Ủy ban MTTQ xã Kim Bình")
    await thu.press_data(f"mem:list:p:{await _person_id(h, 1004)}")  # Nam is not Kim Bình's
    assert thu.last_answer["text"] == "Người này không còn là thành viên của đơn vị."
    mai = h.user(1003, "Mai")  # Hội Liên hiệp Phụ nữ xã Yên Nguyên
    await mai.send("/members")
    await mai.press_data(f"mem:unit:u:{await _unit_id(h, '02365')}")
    assert mai.last_answer is not None
    assert (
        mai.last_answer["text"] == "Bạn chỉ quản lý được thành viên của các đơn vị mình lãnh đạo."
    )

    nam = h.user(1004, "Nam", last_name="Lê Văn")
    assert text_of((await nam.send("/members"))[0]) == (
        "Chỉ lãnh đạo đơn vị mới quản lý được thành viên của đơn vị."
    )
    hung_id = await _person_id(h, 1001)
    async with h.db.session() as session:
        roles = await people_q.memberships(session, hung_id)
    assert [(m.role, u.code) for m, u in roles] == [("admin", "08")]
    assert await _events(h) == [("role", "admin", "cadre", "bot")]


async def test_exports_are_the_leaders_and_help_says_so(h: Harness) -> None:
    nam = h.user(1004, "Nam", last_name="Lê Văn")
    assert text_of((await nam.send("/export"))[0]) == (
        "Bảng tính dành cho lãnh đạo đơn vị. Hãy dùng /totals để xem số liệu của đơn vị bạn."
    )
    help_text = text_of((await nam.send("/help"))[0])
    assert "/export" not in help_text and "/members" not in help_text and "/totals" in help_text
    lan_help = text_of((await h.user(1002, "Lan", last_name="Nguyễn Thị").send("/help"))[0])
    assert "/export" in lan_help and "/members — Thành viên và đường dẫn mời" in lan_help


async def test_a_join_by_invite_link_is_audited_and_forgetme_anonymises_it(h: Harness) -> None:
    """Issue 15 §1: removals, role changes and withdrawn links were audited, but a membership
    begun by an invite link left no trace of who came in by which link. /forgetme keeps the
    unit's audit and takes the person's name out of it, as for the other changes."""
    from bot.privacy import TOMBSTONE_TELEGRAM_ID

    code = await h.invite("02365-t1", role="cadre", uses=5)
    stranger = h.user(2201, "Khách", last_name="Trần Văn")
    assert "cán bộ" in text_of((await stranger.send(f"/start {code}"))[0])
    assert await stranger.send(f"/start {code}")  # already a member: no second event
    joined = await _person_id(h, 2201)
    async with h.db.session() as session:
        [event] = (await session.scalars(select(MembershipEvent))).all()
    assert (event.action, event.role_before, event.role_after, event.source) == (
        "join",
        None,
        "cadre",
        "invite",
    )
    assert (event.person_id, event.by_id, event.invite_id) == (joined, None, 1)

    await stranger.send("/forgetme")
    await stranger.press("Xóa dữ liệu của tôi")
    async with h.db.session() as session:
        [event] = (await session.scalars(select(MembershipEvent))).all()
        kept = await session.get(Person, event.person_id)
    assert kept is not None and kept.telegram_id == TOMBSTONE_TELEGRAM_ID
    assert event.action == "join" and event.invite_id == 1


async def _change_history(lan: UserClient) -> list[str]:
    """Lan presses "Lịch sử thay đổi" under Thôn Cầu Bâm's members: the screen's lines."""
    return text_of((await lan.press("Lịch sử thay đổi"))[-1]).split("\n")


async def test_a_leader_reads_the_units_change_history(h: Harness) -> None:
    """Issue 15 §1: every change of a membership was audited, but only `phoihop admin list`
    showed the audit. A unit's leader reads its last changes under /members: who joined by whose
    link, who was removed, whose role changed, which link was withdrawn, by whom and when."""
    from bot import members as mem
    from bot.onboarding import create_invite

    async with h.db.session() as session:
        lan_actor, cau_bam = await actor_of(session, 1002), await unit_of(session, "02365-t1")
        code = await create_invite(
            session,
            unit=cau_bam,
            role="cadre",
            now=h.clock.now(),
            valid_for=timedelta(days=7),
            by=lan_actor,
        )
    khach = h.user(2201, "Khách", last_name="Trần Văn")
    await khach.send(f"/start {code}")  # 08:30: joins by Lan's link #1
    h.clock.advance(timedelta(minutes=5))
    await h.invite("02365-t1", role="admin", uses=500, days=90)  # link #2, an operator's

    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    await _open_cau_bam(lan)
    assert await _change_history(lan) == [
        f"1 thay đổi gần nhất về thành viên của {CAU_BAM}:",
        "• 16/11/2026 08:30 · Trần Văn Khách tham gia với vai trò cán bộ qua đường dẫn mời #1 "
        "do Nguyễn Thị Lan tạo",
    ]
    assert text_of((await lan.press("‹ Quay lại"))[-1]).startswith(f"{CAU_BAM}: 2 thành viên")
    await lan.press("✕ Đường dẫn #2")
    await lan.press("Thu hồi đường dẫn")  # 08:35
    h.clock.advance(timedelta(minutes=5))
    await lan.press("Lê Văn Nam · cán bộ")
    await lan.press("Đặt làm lãnh đạo đơn vị")  # 08:40
    h.clock.advance(timedelta(minutes=5))
    await lan.press("Trần Văn Khách · cán bộ")
    await lan.press("Xóa khỏi đơn vị")
    await lan.press("Có, xóa")  # 08:45
    h.clock.advance(timedelta(minutes=5))
    async with h.db.session() as session:  # 08:50: an operator's `phoihop admin grant`
        khach_row = await people_q.by_telegram_id(session, 2201)
        assert khach_row is not None
        await mem.grant(
            session, None, await unit_of(session, "02365-t1"), khach_row, "cadre", h.clock.now()
        )

    history = await _change_history(lan)
    assert history == [
        f"5 thay đổi gần nhất về thành viên của {CAU_BAM}:",
        "• 16/11/2026 08:30 · Trần Văn Khách tham gia với vai trò cán bộ qua đường dẫn mời #1 "
        "do Nguyễn Thị Lan tạo",
        "• 16/11/2026 08:35 · Nguyễn Thị Lan thu hồi đường dẫn mời #2 (lãnh đạo đơn vị)",
        "• 16/11/2026 08:40 · Nguyễn Thị Lan đổi vai trò của Lê Văn Nam: cán bộ → lãnh đạo đơn vị",
        "• 16/11/2026 08:45 · Nguyễn Thị Lan xóa Trần Văn Khách khỏi đơn vị (trước đây là cán bộ)",
        "• 16/11/2026 08:50 · người vận hành giao vai trò cán bộ cho Trần Văn Khách",
    ]
    labels = [b["text"] for row in lan.last.inline_buttons for b in row]  # type: ignore[union-attr]
    assert labels == ["‹ Quay lại"]
    back = text_of((await lan.press("‹ Quay lại"))[-1])
    assert back.startswith(f"{CAU_BAM}: 2 thành viên\n• Lê Văn Nam — lãnh đạo đơn vị")

    # Someone who leads the unit and speaks English reads it in English (unaudited seeding).
    await h.grant(2301, "02365-t1", "admin")
    john = h.user(2301, "John", last_name="Smith", language_code="en")
    await john.send("/members")
    await john.press(f"✓ {CAU_BAM}")
    english = text_of((await john.press("Change history"))[-1]).split("\n")
    assert english[0] == f"The last 5 changes to the members of {CAU_BAM}:"
    assert english[3] == (
        "• 16/11/2026 08:40 · Nguyễn Thị Lan changed the role of Lê Văn Nam: cadre → unit leader"
    )
    assert english[5] == "• 16/11/2026 08:50 · an operator gave Trần Văn Khách the role cadre"

    # A cadre has no /members, hence no history; Nam, raised to leader at 08:40, has both.
    khach.last_answer = None
    assert text_of((await khach.send("/members"))[0]).startswith("Chỉ lãnh đạo đơn vị")
    await khach.press_data("mem:list:h")
    assert khach.last_answer is not None
    assert khach.last_answer["text"] == "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /members."


async def test_the_change_history_shows_the_last_twenty(h: Harness) -> None:
    """A unit with years of changes: the screen shows its last 20 (as `admin list` does), chosen
    in the query; a unit with none says so."""
    from bot import members as mem

    nam_id = await _person_id(h, 1004)
    async with h.db.session() as session:
        lan_actor, cau_bam = await actor_of(session, 1002), await unit_of(session, "02365-t1")
        for n in range(23):
            h.clock.advance(timedelta(minutes=1))
            role = "admin" if n % 2 == 0 else "cadre"
            await mem.set_role(session, lan_actor, cau_bam, nam_id, role, h.clock.now())
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị")
    await _open_cau_bam(lan)
    history = await _change_history(lan)
    assert history[0] == f"20 thay đổi gần nhất về thành viên của {CAU_BAM}:"
    assert len(history) == 21
    assert history[1].startswith("• 16/11/2026 08:34 · Nguyễn Thị Lan đổi vai trò của Lê Văn Nam")
    assert history[-1] == (
        "• 16/11/2026 08:53 · Nguyễn Thị Lan đổi vai trò của Lê Văn Nam: cán bộ → lãnh đạo đơn vị"
    )

    await lan.press("‹ Quay lại")
    await lan.press("‹ Đơn vị khác")
    await lan.press("‹ Lên")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    assert await _change_history(lan) == [
        "Chưa có thay đổi nào về thành viên của Ủy ban MTTQ xã Yên Nguyên."
    ]
