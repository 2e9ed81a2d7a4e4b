"""Approval must not lock people out (issue 16 §1), end to end in Vietnamese.

On 16/11/2026 (the harness's day) Quý IV under Decree 09 runs from 15/09 to 14/12. A lock covers
exactly the approved report's unit and its own organisation's units below it; approving before
the period's end asks first and says what it locks; the approver (or a higher leader) can reopen
with a reason; /log refuses a locked day at the date, saying which report locked it; locked
entries keep only their History button; an incomplete report can never be approved; templates
declare consistency rules (forwarded, resolved ≤ received; a date inside the period).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import reports as rep
from bot.emulator import BotMessage, UserClient
from bot.periods import Period
from bot.template_files import parse_template
from storage.models import PeriodLock, Report, ReportEvent, ReportTemplate
from storage.queries import reports as reports_q
from storage.queries import units as units_q
from tests.harness import PRESS_THE_BUTTON, Harness, actor_of, text_of

TEMPLATE = """
key: duyet_thu
version: 1
title: {vi: "Báo cáo thử", en: "Trial report"}
period: quarter
questions:
  - key: briefing
    type: yesno
    label: {vi: "Có giao ban với UBND không?", en: "Briefing with the People's Committee?"}
  - key: briefing_date
    type: date
    label: {vi: "Ngày giao ban", en: "Briefing date"}
    when: {question: briefing, equals: true}
    within_period: true
  - key: received
    type: integer
    label: {vi: "Số đơn thư đã tiếp nhận", en: "Letters received"}
    min: 0
  - key: forwarded
    type: integer
    label: {vi: "Số đơn đã chuyển cơ quan có thẩm quyền", en: "Letters forwarded"}
    min: 0
    at_most: received
  - key: resolved
    type: integer
    label: {vi: "Số đơn đã được giải quyết", en: "Letters resolved"}
    min: 0
    at_most: received
"""

#: A complete set of answers (no briefing, so no date).
COMPLETE = {"briefing": False, "received": 3, "forwarded": 2, "resolved": 1}


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    async with harness.db.session() as session:
        await rep.store_template(session, parse_template(TEMPLATE), harness.clock.now())
    return harness


async def submitted_round(h: Harness, root_code: str, org: str, answered_by: int) -> int:
    """The operator opens Quý IV of the trial template for the units of ``org`` directly under
    ``root_code``; the one of them ``answered_by`` belongs to answers it completely and submits
    it. That report's id."""
    async with h.db.session() as session:
        template = await session.scalar(
            select(ReportTemplate).where(ReportTemplate.key == "duyet_thu")
        )
        root = await units_q.by_code(session, root_code)
        assert template is not None and root is not None
        row = await rep.open_round(
            session,
            None,
            template_row=template,
            period=Period("quarter", 2026, 4),
            root=root,
            deadline=datetime(2026, 12, 20, tzinfo=UTC),
            now=h.clock.now(),
            org=org,
        )
        actor = await actor_of(session, answered_by)
        mine = {r.unit.id for r in actor.roles}
        [report] = [
            r for r in await reports_q.reports_of_round(session, row.id) if r.unit_id in mine
        ]
        for key, value in COMPLETE.items():
            await rep.set_answer(session, report, key, value, actor.person.id, h.clock.now())
        await rep.submit(session, actor, report.id, h.clock.now())
        return report.id


async def approve(leader: UserClient, report_id: int) -> BotMessage:
    """The leader presses "Duyệt" on the report's /review card and confirms."""
    cards = await leader.send("/review")
    card = next(m for m in cards if f"rep:ok:{report_id}" in str(m.inline_buttons))
    question = (await leader.press("Duyệt", message=card))[-1]
    assert "Kỳ báo cáo còn đến hết ngày 14/12/2026." in text_of(question)
    return (await leader.press("Xác nhận duyệt", message=question))[-1]


async def dispatch_all(h: Harness) -> None:
    """Send every queued notice (one per chat per pass)."""
    for _ in range(5):
        await h.dispatch()


def notices(user: UserClient) -> list[str]:
    return [text_of(m) for m in user.history() if "mở lại sau khi duyệt" in text_of(m)]


def buttons(message: BotMessage | None) -> list[str]:
    assert message is not None
    return [b["text"] for row in message.inline_buttons for b in row]


_LOGGED = itertools.count(1)


async def logs(user: UserClient) -> str:
    """A one-line entry for today: what the bot answers first. Each says something else (the
    same shortcut again within minutes would ask "save another?", issue 15)."""
    return text_of((await user.send(f"/log hoa_giai {next(_LOGGED)}"))[0])


async def test_a_lock_covers_the_reports_unit_and_its_own_organisation_only(h: Harness) -> None:
    """The commune Women's Union's report locks it and its residential branches, never the
    Front nor a sibling organisation; the commune Front's report locks the Front units of the
    commune, never the Women's Union, the Farmers' Union, nor another commune."""
    lan, hung = h.user(1002, "Lan"), h.user(1001, "Hùng")
    nam, hoa, mai = h.user(1004, "Nam"), h.user(1005, "Hoa"), h.user(1003, "Mai")
    tuan, binh, duc = h.user(1006, "Tuấn"), h.user(1007, "Bình"), h.user(1009, "Đức")
    women = await submitted_round(h, "02365", "phu_nu", 1003)
    approved = await approve(lan, women)
    assert text_of(approved).endswith(
        "Đã khóa: nhật ký hoạt động của Hội Liên hiệp Phụ nữ xã Yên Nguyên và các đơn vị Hội Liên hiệp"
        " Phụ nữ trực thuộc, từ ngày 15/09/2026 đến ngày 14/12/2026."
    )
    # Inside the line: the union itself and its branch in Thôn Cầu Bâm.
    assert (await logs(mai)).startswith("Hiện không thể ghi hoạt động ngày 16/11/2026")
    refused = await logs(hoa)
    assert "“Báo cáo thử — Quý IV/2026” của Hội Liên hiệp Phụ nữ xã Yên Nguyên đã được" in refused
    assert "Lan" in refused and "duyệt ngày 16/11/2026" in refused
    # Outside: the Front of the same commune and thôn, a sibling organisation.
    for user in (nam, tuan, binh, duc):
        assert (await logs(user)).startswith("Đã lưu thành mục"), user

    front = await submitted_round(h, "08", "mttq", 1002)
    hung_card = await approve(hung, front)
    assert "Đã duyệt: Báo cáo thử — Quý IV/2026, Ủy ban MTTQ xã Yên Nguyên." in text_of(hung_card)
    # Inside: the commune's residential Front committee. Outside: its member organisations'
    # units (the Farmers' Union, the Women's Union branch is locked only by its own union's
    # report, which the next check undoes) and another commune.
    assert (await logs(nam)).startswith("Hiện không thể ghi hoạt động")
    assert (await logs(binh)).startswith("Đã lưu thành mục")
    assert (await logs(duc)).startswith("Đã lưu thành mục")
    async with h.db.session() as session:
        locks = (await session.scalars(select(PeriodLock).order_by(PeriodLock.id))).all()
        commune = await units_q.by_code(session, "02365")
        union = await units_q.by_code(session, "02365-phu_nu")
        assert commune is not None and union is not None
    assert [(lock.report_id, lock.prefix, lock.org) for lock in locks] == [
        (women, commune.path, "phu_nu"),
        (front, commune.path, "mttq"),
    ]


async def test_approving_before_the_period_ends_asks_first(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    report_id = await submitted_round(h, "02365", "phu_nu", 1003)
    card = next(m for m in await lan.send("/review") if "Hội Liên hiệp Phụ nữ" in text_of(m))
    question = (await lan.press("Duyệt", message=card))[-1]
    assert text_of(question) == (
        "Duyệt Báo cáo thử — Quý IV/2026, Hội Liên hiệp Phụ nữ xã Yên Nguyên?\n"
        "Kỳ báo cáo còn đến hết ngày 14/12/2026. Duyệt bây giờ sẽ khóa nhật ký hoạt động của"
        " Hội Liên hiệp Phụ nữ xã Yên Nguyên và các đơn vị Hội Liên hiệp Phụ nữ trực thuộc, từ ngày"
        " 15/09/2026 đến ngày 14/12/2026: không ai thêm, sửa hay xóa được các mục đó cho đến khi"
        " báo cáo được mở lại."
    )
    assert buttons(question) == ["Xác nhận duyệt", "Hủy"]
    # A typed "có" approves nothing (a tap only): it says to press the button.
    assert text_of((await lan.send("có"))[0]) == PRESS_THE_BUTTON
    cancelled = (await lan.press("Hủy", message=question))[-1]
    assert text_of(cancelled) == (
        "Chưa duyệt: Báo cáo thử — Quý IV/2026, Hội Liên hiệp Phụ nữ xã Yên Nguyên vẫn chờ bạn quyết định"
        " trong /review."
    )
    async with h.db.session() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.status == "submitted"
        assert (await session.scalars(select(PeriodLock))).all() == []
    # Once the period is over, "Duyệt" approves at once: nothing still to come is locked.
    h.clock.set(datetime(2026, 12, 15, 2, 0, tzinfo=UTC))
    card = next(m for m in await lan.send("/review") if "Hội Liên hiệp Phụ nữ" in text_of(m))
    done = (await lan.press("Duyệt", message=card))[-1]
    assert text_of(done).startswith("Đã duyệt: Báo cáo thử — Quý IV/2026, Hội Liên hiệp Phụ nữ xã")
    assert buttons(done) == ["Mở lại"]


async def test_the_approver_or_a_higher_leader_reopens_with_a_reason(h: Harness) -> None:
    lan, hung, mai = h.user(1002, "Lan"), h.user(1001, "Hùng"), h.user(1003, "Mai")
    thu, hoa = h.user(1008, "Thu"), h.user(1005, "Hoa")
    for user in (lan, hung, mai, hoa, thu):
        await user.send("/start")
    report_id = await submitted_round(h, "02365", "phu_nu", 1003)
    approved = await approve(lan, report_id)
    assert (await logs(hoa)).startswith("Hiện không thể ghi hoạt động")
    # Nobody outside: a leader of another commune, a cadre.
    await thu.press_data(f"rep:reo:{report_id}")
    assert h.emu.callback_answers[-1]["text"] == "Báo cáo này không thuộc đơn vị của bạn."
    # The reason is a prompt: /cancel keeps the report approved; the button asks again.
    prompt = (await lan.press("Mở lại", message=approved))[-1]
    assert "Vì sao mở lại? Hãy gõ lý do" in text_of(prompt)
    assert (await lan.send("/cancel"))[0].text == (
        "Đã hủy. Báo cáo vẫn ở trạng thái đã duyệt và số liệu kỳ này vẫn khóa; bấm lại “Mở lại”"
        " để nêu lý do."
    )
    assert (await logs(hoa)).startswith("Hiện không thể ghi hoạt động")
    await lan.press("Mở lại", message=approved)
    done = (await lan.send("Chi hội Cầu Bâm còn thiếu 2 buổi hòa giải"))[0]
    assert text_of(done).startswith(
        "Đã mở lại: Báo cáo thử — Quý IV/2026, Hội Liên hiệp Phụ nữ xã Yên Nguyên. Báo cáo trở về trạng thái"
        " “đã nộp” và số liệu kỳ này đã được mở khóa"
    )
    await dispatch_all(h)
    assert notices(mai)[-1] == (
        "Báo cáo thử — Quý IV/2026 của Hội Liên hiệp Phụ nữ xã Yên Nguyên đã được mở lại sau khi duyệt:"
        " “Chi hội Cầu Bâm còn thiếu 2 buổi hòa giải”. Số liệu kỳ này đã được mở khóa; có thể sửa"
        " câu trả lời cho đến khi báo cáo được duyệt lại."
    )
    assert (await logs(hoa)).startswith("Đã lưu thành mục")
    # Pressed again, the old button says the report is no longer approved.
    await lan.press("Mở lại", message=approved)
    assert h.emu.callback_answers[-1]["text"] == (
        "Báo cáo này không ở trạng thái đã duyệt (có thể đã được mở lại)."
    )
    # Back in /review; approved again by Lan, reopened by the province's leader from /review's
    # list, and Lan, the approver, is told.
    await approve(lan, report_id)
    listed = (await hung.send("/review"))[-1]
    assert (
        text_of(listed) == "Các báo cáo đã duyệt mà bạn có thể mở lại (mở lại sẽ gỡ khóa số liệu):"
    )
    await hung.press(1, message=listed)
    await hung.send("Số đơn chưa khớp sổ theo dõi")
    await dispatch_all(h)
    assert "“Số đơn chưa khớp sổ theo dõi”" in notices(lan)[-1]
    async with h.db.session() as session:
        events = (
            await session.scalars(
                select(ReportEvent)
                .where(ReportEvent.report_id == report_id)
                .order_by(ReportEvent.id)
            )
        ).all()
        report = await session.get(Report, report_id)
        assert report is not None and report.status == "submitted"
        assert (await session.scalars(select(PeriodLock))).all() == []
    assert [(e.action, (e.data or {}).get("reason")) for e in events] == [
        ("submitted", None),
        ("approved", None),
        ("reopened", "Chi hội Cầu Bâm còn thiếu 2 buổi hòa giải"),
        ("approved", None),
        ("reopened", "Số đơn chưa khớp sổ theo dõi"),
    ]


async def test_log_refuses_a_locked_day_at_the_date_and_mine_hides_edit(h: Harness) -> None:
    lan, hoa = h.user(1002, "Lan"), h.user(1005, "Hoa")
    assert (await logs(hoa)).startswith("Đã lưu thành mục #1.")  # before the approval
    await approve(lan, await submitted_round(h, "02365", "phu_nu", 1003))
    # The guided entry: refused at the date, with the report that locked it; the draft kept.
    await hoa.send("/log")
    await hoa.press("Nhà Đại đoàn kết")
    await hoa.send("1")
    await hoa.press("0 — không có")
    assert "Ngày diễn ra?" in text_of((await hoa.send("50tr"))[0])
    refused, asked = (text_of(m) for m in (await hoa.press("Hôm nay"))[-2:])
    assert "Ngày diễn ra?" in asked
    assert refused.startswith("Hiện không thể ghi hoạt động ngày 16/11/2026 cho đơn vị này.\n")
    assert "“Báo cáo thử — Quý IV/2026” của Hội Liên hiệp Phụ nữ xã Yên Nguyên đã được" in refused
    assert refused.endswith("Hãy gõ ngày khác, hoặc /cancel (phần đã nhập vẫn được giữ).")
    assert text_of((await hoa.send("10/11/2026"))[0]).startswith("Hiện không thể ghi")
    assert "Ghi chú ngắn" in text_of((await hoa.send("14/09/2026"))[0])  # Quý III: open
    await hoa.press("Không có ghi chú")
    review = text_of((await hoa.press("Không có ảnh"))[-1])
    assert "Xây mới: 1 căn" in review and "Ngày: 14/09/2026" in review
    assert text_of((await hoa.press("Lưu"))[-1]).startswith("Đã lưu thành mục #2.")
    # /mine: the locked entry keeps History only, and says why; the open one has all three.
    page = (await hoa.send("/mine"))[0]
    assert "#1 · 16/11/2026" in text_of(page)
    assert "🔒 đã khóa: báo cáo của kỳ này đã được duyệt" in text_of(page).split("#2 ·")[0]
    assert "🔒" not in text_of(page).split("#2 ·")[1]
    assert buttons(page) == ["Lịch sử #1", "Sửa #2", "Xóa #2", "Lịch sử #2"]
    history = text_of((await hoa.press("Lịch sử #1", message=page))[-1])
    assert history.startswith("Lịch sử mục #1:")
    # An old card's Edit button is refused, with nothing changed.
    await hoa.press_data("mine:e:1")
    assert h.emu.callback_answers[-1]["text"] == (
        "Báo cáo kỳ này đã được duyệt nên các mục trong kỳ không sửa được nữa."
    )


async def test_an_edit_that_leaves_a_question_unanswered_asks_it_and_blocks_approval(
    h: Harness,
) -> None:
    lan, mai = h.user(1002, "Lan"), h.user(1003, "Mai")
    report_id = await submitted_round(h, "02365", "phu_nu", 1003)
    old_card = next(m for m in await lan.send("/review") if "Hội Liên hiệp Phụ nữ" in text_of(m))
    # After submission Mai changes "briefing held?" from No to Yes: its date is asked at once.
    assert "Tình trạng: đã nộp." in text_of((await mai.send("/report"))[0])
    await mai.press("Sửa một câu trả lời")
    await mai.press("1. Có giao ban với UBND không?")
    asked = text_of((await mai.press("Có"))[-1])
    assert "Ngày giao ban" in asked and "Câu 2/5" in asked
    await mai.send("/cancel")
    # Incomplete, it cannot be approved: the card has no "Duyệt"; an old or forged one is refused.
    card = next(m for m in await lan.send("/review") if "Hội Liên hiệp Phụ nữ" in text_of(m))
    assert buttons(card) == ["Trả lại kèm ý kiến"]
    assert "Báo cáo này chưa đủ" in text_of(card)
    incomplete = (
        "Báo cáo này chưa đủ: còn một câu bắt buộc chưa được trả lời (một câu trả lời đã được sửa"
        " sau khi nộp). Không thể duyệt; hãy trả lại kèm ý kiến."
    )
    await lan.press("Duyệt", message=old_card)
    assert h.emu.callback_answers[-1]["text"] == incomplete
    await lan.press_data(f"rep:okc:{report_id}")
    assert h.emu.callback_answers[-1]["text"] == incomplete
    async with h.db.session() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.status == "submitted"
    # /report takes Mai back to the question; once answered, the report can be approved.
    await mai.send("/report")  # kept after /cancel: continue
    assert "Ngày giao ban" in text_of((await mai.press("Tiếp tục"))[-1])
    review = text_of((await mai.send("10/11/2026"))[0])
    assert "2. Ngày giao ban: 10/11/2026" in review
    assert text_of(await approve(lan, report_id)).startswith("Đã duyệt:")


async def test_template_consistency_rules_refuse_an_answer_and_ask_again(h: Harness) -> None:
    lan, mai = h.user(1002, "Lan"), h.user(1003, "Mai")
    await lan.send("/start")
    async with h.db.session() as session:
        template = await session.scalar(
            select(ReportTemplate).where(ReportTemplate.key == "duyet_thu")
        )
        root = await units_q.by_code(session, "02365")
        assert template is not None and root is not None
        await rep.open_round(
            session,
            None,
            template_row=template,
            period=Period("quarter", 2026, 4),
            root=root,
            deadline=datetime(2026, 12, 20, tzinfo=UTC),
            now=h.clock.now(),
            org="phu_nu",
        )
    await mai.send("/report")
    await mai.press("Có")
    outside = await mai.send("01/09/2026")
    assert text_of(outside[0]) == (
        "“01/09/2026” nằm ngoài kỳ báo cáo (từ 15/09/2026 đến 14/12/2026). Hãy gõ một ngày trong kỳ."
    )
    assert "Ngày giao ban" in text_of(outside[-1])
    await mai.send("15/09/2026")
    await mai.send("10")
    above = await mai.send("12")
    assert text_of(above[0]) == (
        "“12” lớn hơn câu trả lời “Số đơn thư đã tiếp nhận” (10), điều này không thể xảy ra. Hãy gõ"
        " số không quá 10, hoặc sửa câu trả lời đó trước."
    )
    assert "Số đơn đã chuyển cơ quan có thẩm quyền" in text_of(above[-1])
    await mai.send("8")
    await mai.send("10")  # resolved = received is fine
    # Lowering "received" under what was forwarded is refused the other way round.
    await mai.press("Sửa một câu trả lời")
    await mai.press("3. Số đơn thư đã tiếp nhận")
    below = await mai.send("5")
    assert text_of(below[0]).startswith(
        "“5” nhỏ hơn câu trả lời “Số đơn đã chuyển cơ quan có thẩm quyền” (8)"
    )
    review = text_of((await mai.send("10"))[0])
    assert "3. Số đơn thư đã tiếp nhận: 10" in review and "4. Số đơn đã chuyển" in review
    assert text_of((await mai.press("Nộp báo cáo"))[-1]).startswith("Đã nộp:")


async def test_the_reopen_list_names_what_tells_the_reports_apart(h: Harness) -> None:
    """Two approved reports of the same template and quarter: /review's reopen buttons name the
    units, whole (not "… · Báo cáo thử — Quý I" cut mid-word), and the shared title and quarter
    are said once above them (issue 16 §4)."""
    lan = h.user(1002, "Lan")
    await approve(lan, await submitted_round(h, "02365", "phu_nu", 1003))
    await approve(lan, await submitted_round(h, "02365", "mttq", 1004))
    listing = (await lan.send("/review"))[-1]
    assert text_of(listing) == (
        "Các báo cáo đã duyệt mà bạn có thể mở lại (mở lại sẽ gỡ khóa số liệu):\n"
        "Báo cáo thử · Quý IV/2026"
    )
    assert sorted(buttons(listing)) == [
        "Mở lại: Ban Công tác Mặt trận thôn Cầu Bâm",
        "Mở lại: Hội Liên hiệp Phụ nữ xã Yên Nguyên",
    ]
    prompt = (await lan.press("Mở lại: Ban Công tác Mặt trận thôn Cầu Bâm"))[-1]
    assert "Ban Công tác Mặt trận thôn Cầu Bâm" in text_of(prompt)
