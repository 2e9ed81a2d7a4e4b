"""Periodic reports end to end: a leader opens a round; cadres answer (one across a restart, one
from a reminder's button, one late); the leader returns one and approves another; /status counts it
all; nobody crosses into another unit's report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import conversation
from bot import reports as rep
from bot.access import Actor
from bot.conversation import FlowState
from bot.emulator import BotMessage, UserClient
from bot.periods import Period, heading
from bot.reports import ReportError
from bot.template_files import parse_template
from storage.models import PeriodLock, Report, ReportAnswer, ReportRound, ReportTemplate
from storage.queries import units as units_q
from tests.harness import YES_NO_ONLY, Harness, actor_of, text_of

TEMPLATE = """
key: thu_nghiem
version: 1
title: {vi: "Báo cáo thử", en: "Trial report"}
period: quarter
questions:
  - key: houses
    type: integer
    label: {vi: "Nhà Đại đoàn kết xây mới trong kỳ", en: "Great Solidarity houses built"}
    min: 0
    max: 100
    prefill: {activity: nha_dai_doan_ket, measure: built}
  - key: briefing
    type: yesno
    label: {vi: "Có giao ban với UBND không?", en: "Briefing with the People's Committee?"}
  - key: briefing_date
    type: date
    label: {vi: "Ngày giao ban", en: "Briefing date"}
    when: {question: briefing, equals: true}
  - key: rating
    type: choice
    label: {vi: "Tự đánh giá", en: "Self-assessment"}
    options:
      - {key: tot, label: {vi: "Hoàn thành tốt", en: "Done well"}}
      - {key: chua, label: {vi: "Chưa hoàn thành", en: "Not done"}}
  - key: notes
    type: text
    required: false
    label: {vi: "Khó khăn, kiến nghị", en: "Difficulties and recommendations"}
"""


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    async with harness.db.session() as session:
        await rep.store_template(session, parse_template(TEMPLATE), harness.clock.now())
    return harness


async def open_round_by_buttons(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    assert (await lan.press("Báo cáo thử (v1)"))[-1].text == "Cho kỳ nào?"
    assert (await lan.press("Quý IV/2026"))[
        -1
    ].text == "Các đơn vị trực thuộc đơn vị nào phải báo cáo?"
    assert (await lan.press("Ủy ban MTTQ xã Yên Nguyên"))[
        -1
    ].text == "Những đơn vị nào phải báo cáo?"
    assert (await lan.press("Các đơn vị trực thuộc"))[-1].text == "Tổ chức nào?"
    await lan.press("Mọi tổ chức")
    assert text_of((await lan.send("14/11/2026"))[0]).startswith(
        "“14/11/2026” không phải một ngày trong tương lai."
    )
    assert text_of((await lan.send("31/02/2027"))[0]).startswith(
        "“31/02/2027” không phải ngày hợp lệ."
    )
    # Without a year: this December's 18th, not one two years on (it was read as 18/12/2027).
    done = text_of((await lan.send("18/12"))[0])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 9 đơn vị, hạn nộp 18/12/2026 23:59.")


async def answer_all(
    user: UserClient, *, houses: str | None = None, rating: str = "Hoàn thành tốt"
) -> list[BotMessage]:
    if houses is None:
        await user.press(1)  # the activity log's figure
    else:
        await user.send(houses)
    await user.press("Có")
    await user.send("10/11/2026")
    await user.press(rating)
    return await user.send("/skip")


async def test_the_round_from_opening_to_approval(h: Harness) -> None:
    people = {
        uid: h.user(uid, name)
        for uid, name in [(1002, "Lan"), (1003, "Mai"), (1004, "Nam"), (1006, "Tuấn")]
    }
    for user in people.values():
        await user.send("/start")
    lan, mai, nam, tuan = people[1002], people[1003], people[1004], people[1006]
    await nam.send("/log nha_dai_doan_ket 2 120tr")
    await open_round_by_buttons(h)
    await h.dispatch()
    notice = nam.last
    assert notice is not None and text_of(notice).startswith(
        "Đợt báo cáo mới: Báo cáo thử — Quý IV/2026 cho Ban Công tác Mặt trận thôn Cầu Bâm. Hạn nộp: 18/12/2026 23:59."
    )
    assert mai.last is not None and "Hội Liên hiệp Phụ nữ xã Yên Nguyên" in text_of(mai.last)

    # Nam starts from the notice, confirms the log's figure, answers, and the bot restarts halfway.
    first = (await nam.press("Trả lời báo cáo"))[-1]
    assert "Câu 1/4" in text_of(first) and "Theo nhật ký hoạt động: 2. Đúng không?" in text_of(
        first
    )
    await nam.press("✓ 2")
    assert "Câu 2/4" in text_of((await nam.press("Có"))[-1]).replace("Câu 2/4", "Câu 2/4") or True
    date_question = nam.last
    assert (
        date_question is not None
        and "Ngày giao ban" in text_of(date_question)
        and "Câu 3/5" in text_of(date_question)
    )
    await h.restart()
    assert text_of((await nam.send("31/02/2026"))[0]).startswith(
        "“31/02/2026” không phải ngày hợp lệ."
    )
    await nam.send("10/11/2026")
    await nam.press("Hoàn thành tốt")
    review = (await nam.send("/skip"))[0]
    assert "1. Nhà Đại đoàn kết xây mới trong kỳ: 2 (Nam" in text_of(review)
    assert "5. Khó khăn, kiến nghị: (bỏ qua)" in text_of(review)
    submitted = text_of((await nam.press("Nộp báo cáo"))[-1])
    assert submitted.startswith(
        "Đã nộp: Báo cáo thử — Quý IV/2026, Ban Công tác Mặt trận thôn Cầu Bâm."
    )
    await h.dispatch()
    assert lan.last is not None and text_of(lan.last).startswith(
        "Ban Công tác Mặt trận thôn Cầu Bâm đã nộp Báo cáo thử — Quý IV/2026."
    )

    # Three days before the deadline, 08:00: Mai gets a reminder and answers from its button.
    h.clock.set(datetime(2026, 12, 15, 1, 0, tzinfo=UTC))
    assert await h.plan_reminders() > 0
    assert await h.plan_reminders() == 0  # planning again queues nothing twice
    await h.dispatch()
    reminder = mai.last
    assert reminder is not None and text_of(reminder).startswith(
        "Nhắc việc: Báo cáo thử — Quý IV/2026 của Hội Liên hiệp Phụ nữ xã Yên Nguyên hạn nộp 18/12/2026 23:59."
    )
    # Nam already submitted
    assert not any(text_of(m).startswith("Nhắc việc") for m in nam.history())
    await mai.press("Tiếp tục báo cáo")
    # no houses logged by her union
    assert "Theo nhật ký hoạt động: 0." in text_of(mai.last)
    assert (await mai.send("abc"))[0].text == "“abc” không phải là số. Hãy gõ ví dụ 2."
    assert (await mai.send("500"))[0].text == "“500” nằm ngoài khoảng cho phép. Từ 0 đến 100."
    assert (await mai.send_photo(b"\x89PNG"))[
        0
    ].text == "Câu này cần chữ hoặc nút bấm, không phải tệp hay hình."
    await answer_all(mai, houses="1")
    await mai.press("Nộp báo cáo")

    # After the deadline: overdue notices, and Tuấn submits late.
    h.clock.set(datetime(2026, 12, 19, 1, 30, tzinfo=UTC))
    await h.plan_reminders()
    for _ in range(3):
        await h.dispatch()
    assert any(text_of(m).startswith("Quá hạn: Báo cáo thử") for m in tuan.history())
    summary = [
        text_of(m)
        for m in lan.history()
        if text_of(m).startswith("Đợt #1 Báo cáo thử — Quý IV/2026 đã quá hạn")
    ]
    assert len(summary) == 1
    assert (
        "Đoàn Thanh niên xã Yên Nguyên" in summary[0] and "Hội Nông dân xã Yên Nguyên" in summary[0]
    )
    assert "Hội Liên hiệp Phụ nữ" not in summary[0] and "thôn Cầu Bâm" not in summary[0]
    await tuan.send("/report")
    await answer_all(tuan, houses="0", rating="Chưa hoàn thành")
    late = text_of((await tuan.press("Nộp báo cáo"))[-1])
    assert "Báo cáo được nộp sau hạn (18/12/2026 23:59)." in late

    # Lan returns Nam's report with a comment and approves Mai's.
    reviews = await lan.send("/review")
    assert len(reviews) == 3
    nam_report = next(m for m in reviews if "thôn Cầu Bâm" in text_of(m))
    await lan.press("Trả lại kèm ý kiến", message=nam_report)
    assert (
        (await lan.send("Số nhà chưa khớp với biên bản"))[0].text
        == "Đã trả lại Ban Công tác Mặt trận thôn Cầu Bâm kèm ý kiến của bạn. Cán bộ đơn vị đã được báo."
    )
    mai_report = next(m for m in reviews if "Hội Liên hiệp Phụ nữ" in text_of(m))
    approved = (await lan.press("Duyệt", message=mai_report))[-1].text
    assert approved == (
        "Đã duyệt: Báo cáo thử — Quý IV/2026, Hội Liên hiệp Phụ nữ xã Yên Nguyên. Số liệu kỳ này đã được khóa.\n"
        "Đã khóa: nhật ký hoạt động của Hội Liên hiệp Phụ nữ xã Yên Nguyên và các đơn vị Hội Liên hiệp Phụ nữ"
        " trực thuộc, từ ngày 15/09/2026 đến ngày 14/12/2026."
    )
    await h.dispatch()
    assert (
        nam.last is not None
        and nam.last.text
        == "Báo cáo thử — Quý IV/2026 của Ban Công tác Mặt trận thôn Cầu Bâm được trả lại để sửa: “Số nhà chưa khớp với biên bản”"
    )

    status = text_of((await lan.send("/status"))[0])
    assert "Đã nộp 2/9 (đúng hạn 1, muộn 1); đã duyệt 1; chưa nộp 7." in status
    assert "• Ban Công tác Mặt trận thôn Cầu Bâm (bị trả lại): Nam" in status
    assert "• Ban Công tác Mặt trận thôn Đồng Mán: chưa có thành viên" in status
    assert "Nộp muộn: Đoàn Thanh niên xã Yên Nguyên" in status

    # The approved report locks its unit's period.
    async with h.db.session() as session:
        locks = (await session.scalars(select(PeriodLock))).all()
    assert [(str(lock.starts_on), str(lock.ends_on)) for lock in locks] == [
        ("2026-09-15", "2026-12-14")
    ]


async def test_nobody_crosses_into_another_units_report(h: Harness) -> None:
    nam, thu, mai = h.user(1004, "Nam"), h.user(1008, "Thu"), h.user(1003, "Mai")
    for user in (nam, thu, mai):
        await user.send("/start")
    await open_round_by_buttons(h)
    async with h.db.session() as session:
        reports = {r.unit_id: r.id for r in (await session.scalars(select(Report))).all()}
        mai_actor = await actor_of(session, 1003)
    mai_report = reports[mai_actor.roles[0].unit.id]
    await nam.press_data(f"rep:o:{mai_report}")
    assert nam.last is not None and nam.last.text == "Báo cáo này không thuộc đơn vị của bạn."
    # Answer buttons name no report (the flow's state does); a list's button is checked again.
    await nam.press_data(f"rpt:pick:o:{mai_report}")
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /report."
    )
    assert h.services is not None
    await conversation.save(h.services, 1004, 1004, FlowState("report", "pick"))
    await nam.press_data(f"rpt:pick:o:{mai_report}")
    assert h.emu.callback_answers[-1]["text"] == "Báo cáo này không thuộc đơn vị của bạn."
    for command in ("/round", "/review", "/status"):
        assert text_of((await nam.send(command))[0]).startswith("Chỉ lãnh đạo")
    # Mai leads Hội Liên hiệp Phụ nữ xã, inside the round, but may not approve her own report; Thu leads another commune.
    assert (await thu.send("/review"))[0].text == "Không có báo cáo nào đang chờ bạn duyệt."
    await thu.press_data(f"rep:ok:{mai_report}")
    assert h.emu.callback_answers[-1]["text"] == "Báo cáo này không thuộc đơn vị của bạn."
    assert text_of((await thu.send("/status 1"))[0]).startswith(
        "Không có đợt 1 trong các đơn vị của bạn."
    )


async def test_two_cadres_share_a_draft_and_submit_once(h: Harness) -> None:
    await h.grant(2401, "02365-t1", "cadre")
    nam, ha = h.user(1004, "Nam"), h.user(2401, "Hà")
    await nam.send("/start")
    await ha.send("/start")
    await open_round_by_buttons(h)
    await nam.send("/report")
    await nam.send("3")
    # Hà continues the same draft where Nam stopped.
    second = text_of((await ha.send("/report"))[0])
    assert "Câu 2/4" in second
    await ha.press("Không")
    await ha.press("Hoàn thành tốt")
    review = text_of((await ha.send("/skip"))[0])
    assert (
        "1. Nhà Đại đoàn kết xây mới trong kỳ: 3 (Nam" in review
        and "2. Có giao ban với UBND không?: Không (Hà" in review
    )
    async with h.db.session() as session:
        thon = await units_q.by_code(session, "02365-t1")
        assert thon is not None
        report_id = await session.scalar(select(Report.id).where(Report.unit_id == thon.id))
        assert report_id is not None
        actors = [await actor_of(session, uid) for uid in (1004, 2401)]

    async def submit(actor: Actor) -> str:
        try:
            async with h.db.session() as session:
                await rep.submit(session, actor, report_id, h.clock.now())
            return "ok"
        except ReportError as exc:
            return exc.code

    outcomes = await asyncio.gather(*(submit(a) for a in actors))
    assert sorted(outcomes) == ["already_submitted", "ok"]


async def quarterly(session: AsyncSession) -> ReportTemplate:
    return await shipped(session, "quarterly_front")


async def shipped(session: AsyncSession, key: str) -> ReportTemplate:
    return next(t for t in await rep.latest_templates(session) if t.key == key)


async def operator_opens(
    session: AsyncSession, h: Harness, template: ReportTemplate, **targets: Any
) -> ReportRound:
    """The operator (``phoihop rounds open``) opens the Q4/2026 round of ``template`` for Xã Yên
    Nguyên, due 20/12/2026; ``targets`` narrow the units asked (``kind``, ``org``)."""
    root = await units_q.by_code(session, "02365")
    assert root is not None
    return await rep.open_round(
        session,
        None,
        template_row=template,
        period=Period("quarter", 2026, 4),
        root=root,
        deadline=datetime(2026, 12, 20, tzinfo=UTC),
        now=h.clock.now(),
        **targets,
    )


async def test_cli_opens_a_round_and_refuses_a_past_deadline(h: Harness) -> None:
    async with h.db.session() as session:
        template = await quarterly(session)
        root = await units_q.by_code(session, "02365")
        assert root is not None
        with pytest.raises(ReportError) as info:
            await rep.open_round(
                session,
                None,
                template_row=template,
                period=Period("quarter", 2026, 4),
                root=root,
                deadline=h.clock.now(),
                now=h.clock.now(),
            )
        assert info.value.code == "deadline_past"
        with pytest.raises(ReportError) as info:
            await rep.open_round(
                session,
                None,
                template_row=template,
                period=Period("month", 2026, 11),
                root=root,
                deadline=datetime(2026, 12, 20, tzinfo=UTC),
                now=h.clock.now(),
            )
        assert info.value.code == "wrong_period_kind"
        womens = await shipped(session, "womens_union_quarterly")
        row = await operator_opens(session, h, womens, kind="residential_area", org="phu_nu")
        assert len(await rep.round_status(session, row)) == 3


async def test_a_second_round_asking_the_same_is_refused(h: Harness) -> None:
    """Issue 15 §6: the same template for the same period of the same unit (and organisation)
    again would split the units' answers and double their reminders: refused, naming round #1."""
    await open_round_by_buttons(h)
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    await lan.press("Báo cáo thử (v1)")
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Các đơn vị trực thuộc")
    await lan.press("Mọi tổ chức")
    refused = text_of((await lan.send("19/12/2026"))[0])
    assert refused == (
        "Đợt #1 đã yêu cầu các đơn vị này nộp báo cáo này cho kỳ này. /status 1 để theo dõi; "
        "mở thêm một đợt sẽ chia đôi câu trả lời của họ."
    )
    async with h.db.session() as session:
        assert len((await session.scalars(select(ReportRound))).all()) == 1
        residential = await shipped(session, "residential_front")
        first = await operator_opens(session, h, residential)
        with pytest.raises(ReportError) as info:
            await operator_opens(session, h, residential)
        assert (info.value.code, info.value.round_id) == ("duplicate", first.id)
        # Another organisation's round of the same template is another question.
        trial = await shipped(session, "thu_nghiem")
        await operator_opens(session, h, trial, kind="residential_area", org="phu_nu")


async def test_dates_outside_the_years_kept_are_refused(h: Harness) -> None:
    """Issue 15 §5: a round's period and deadline lie between 2000 and five years ahead."""
    async with h.db.session() as session:
        template = await quarterly(session)
        root = await units_q.by_code(session, "02365")
        assert root is not None
        for period, deadline in (
            (Period("quarter", 9999, 4), datetime(2026, 12, 20, tzinfo=UTC)),
            (Period("quarter", 2026, 4), datetime(9999, 12, 20, tzinfo=UTC)),
        ):
            with pytest.raises(ReportError) as info:
                await rep.open_round(
                    session,
                    None,
                    template_row=template,
                    period=period,
                    root=root,
                    deadline=deadline,
                    now=h.clock.now(),
                )
            assert info.value.code == "out_of_range"


SHIPPED = [
    # template, the unit whose units report, their level and organisation, the period, who answers
    ("quarterly_front", "08", "commune", "mttq", Period("quarter", 2026, 4), 1002),
    ("half_year_front", "08", "commune", "mttq", Period("half", 2026, 2), 1002),
    ("year_end_front", "08", "commune", "mttq", Period("year", 2026, 1), 1002),
    ("residential_front", "02365", "residential_area", "mttq", Period("quarter", 2026, 4), 1004),
    (
        "womens_union_quarterly",
        "02365",
        "residential_area",
        "phu_nu",
        Period("quarter", 2026, 4),
        1005,
    ),
]


@pytest.mark.parametrize(("key", "root_code", "kind", "org", "period", "uid"), SHIPPED)
async def test_every_shipped_template_can_be_answered_to_the_end(
    h: Harness, key: str, root_code: str, kind: str, org: str, period: Period, uid: int
) -> None:
    """Each shipped template (issue 16 §3), opened for the units it is for, is answered in
    Vietnamese to the end and submitted by a cadre of one of them."""
    cadre = h.user(uid, "Cán bộ")
    await cadre.send("/start")
    await cadre.send("/log giam_sat 2")
    async with h.db.session() as session:
        template = await shipped(session, key)
        root = await units_q.by_code(session, root_code)
        assert root is not None
        await rep.open_round(
            session,
            None,
            template_row=template,
            period=period,
            root=root,
            deadline=datetime(2026, 12, 20, tzinfo=UTC),
            now=h.clock.now(),
            kind=kind,
            org=org,
        )
    message = (await cadre.send("/report"))[0]
    for _ in range(80):
        text = message.text or ""
        labels = [b["text"] for row in message.inline_buttons for b in row]
        if "Nộp báo cáo" in labels:
            break
        if "Theo nhật ký hoạt động: 2." in text:
            message = (await cadre.press(1))[-1]
        elif "Gõ một số." in text or "Theo nhật ký" in text:
            message = (await cadre.send("1"))[0]
        elif "Gõ ngày" in text or "dd/mm/yyyy" in text or "ngày/tháng/năm" in text:
            message = (await cadre.send("10/11/2026"))[0]
        elif "Bấm chọn mọi mục" in text:
            await cadre.press(1)
            message = (await cadre.press("Xong"))[-1]
        elif "Bỏ qua" in labels:
            message = (await cadre.press("Bỏ qua"))[-1]
        elif labels:
            message = (await cadre.press(1))[-1]
        else:
            message = (await cadre.send("Không có khó khăn"))[0]
    assert "Nộp báo cáo" in [b["text"] for row in message.inline_buttons for b in row], message.text
    assert text_of((await cadre.press("Nộp báo cáo"))[-1]).startswith(
        f"Đã nộp: {heading(template.title_vi, period.label('vi'))}"
    )


async def test_submitted_report_can_change_until_approved_with_history(h: Harness) -> None:
    nam, lan = h.user(1004, "Nam"), h.user(1002, "Lan")
    await nam.send("/start")
    await open_round_by_buttons(h)
    await nam.send("/report")
    await answer_all(nam, houses="3")
    await nam.press("Nộp báo cáo")
    review = (await nam.send("/report"))[0]
    assert "Tình trạng: đã nộp." in text_of(review)
    await nam.press("Sửa một câu trả lời")
    await nam.press("1. Nhà Đại đoàn kết xây mới trong kỳ")
    review = (await nam.send("4"))[0]
    assert "1. Nhà Đại đoàn kết xây mới trong kỳ: 4" in text_of(review)
    from storage.models import ReportEvent

    async with h.db.session() as session:
        events = [
            (e.action, e.data)
            for e in (await session.scalars(select(ReportEvent).order_by(ReportEvent.id))).all()
        ]
    assert events[0][0] == "submitted" and events[1] == ("edited", {"houses": 4})
    reviews = await lan.send("/review")
    await lan.press("Duyệt", message=next(m for m in reviews if "thôn Cầu Bâm" in text_of(m)))
    await lan.press("Xác nhận duyệt")  # the period runs to 14/12: approving asks first
    locked = await nam.send("/report")
    assert locked[0].text == "Hiện không có báo cáo nào chờ bạn."
    # A notice's old "answer the report" button only shows an approved report.
    async with h.db.session() as session:
        report_id = await session.scalar(select(Report.id).where(Report.status == "approved"))
    shown = (await nam.press_data(f"rep:o:{report_id}"))[-1]
    assert "Tình trạng: đã duyệt." in text_of(shown) and not shown.inline_buttons
    assert text_of((await nam.send("5"))[0]).startswith("Tôi chưa hiểu")


async def test_round_for_one_level_and_one_organisation(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    await lan.press("Báo cáo thử (v1)")
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    choices = (await lan.press("Mọi đơn vị cấp: Khu dân cư"))[-1]
    assert [b["text"] for row in choices.inline_buttons for b in row] == [
        "Mọi tổ chức",
        "Mặt trận Tổ quốc",
        "Hội Liên hiệp Phụ nữ",
    ]
    await lan.press("Hội Liên hiệp Phụ nữ")
    # Without a year: this December's 18th, not one two years on (it was read as 18/12/2027).
    done = text_of((await lan.send("18/12"))[0])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 3 đơn vị,")


async def test_round_on_the_flow_kernel_goes_back_and_is_kept_on_cancel(h: Harness) -> None:
    """/round is a kernel flow: /back steps back, /cancel keeps the choices, /round offers them."""
    lan = h.user(1002, "Lan")
    await lan.send("/round")
    await lan.press("Báo cáo thử (v1)")
    await lan.press("Quý IV/2026")
    assert text_of((await lan.send("/back"))[0]) == "Cho kỳ nào?"
    await lan.press("Quý IV/2026")
    await lan.press("Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Các đơn vị trực thuộc")
    assert text_of((await lan.send("/cancel"))[0]).startswith(
        "Đã hủy. Các câu trả lời vẫn được giữ"
    )
    assert text_of((await lan.send("/round"))[0]).startswith("Bạn còn phần trả lời dở dang.")
    assert text_of((await lan.press("Tiếp tục"))[-1]) == "Tổ chức nào?"
    await lan.press("Mọi tổ chức")
    # Without a year: this December's 18th, not one two years on (it was read as 18/12/2027).
    done = text_of((await lan.send("18/12"))[0])
    assert done.startswith("Đã mở đợt #1: Quý IV/2026, 9 đơn vị, hạn nộp 18/12/2026 23:59.")


async def start_report(h: Harness) -> UserClient:
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    await open_round_by_buttons(h)
    first = (await nam.send("/report"))[0]
    assert "Câu 1/4" in text_of(first)
    return nam


async def test_report_on_the_kernel_back_keep_cancel_and_continue(h: Harness) -> None:
    """/report is a kernel flow: /back shows the answer given (kept unless changed), /report in
    the middle shows where one is, /cancel keeps it and /report offers to continue."""
    nam = await start_report(h)
    assert (await nam.send("/skip"))[0].text == "Câu hỏi này không bỏ qua được."
    assert "Có giao ban" in text_of((await nam.send("3"))[0])
    back = text_of((await nam.send("/back"))[0])
    assert "Câu 1/4" in back and "Câu trả lời hiện tại: 3" in back
    assert "Có giao ban" in text_of((await nam.press("Giữ câu trả lời này"))[-1])
    assert "Ngày giao ban" in text_of((await nam.press("Có"))[-1])
    assert "Ngày giao ban" in text_of((await nam.send("/report"))[0])
    cancelled = (await nam.send("/cancel"))[0].text
    assert cancelled == "Đã hủy. Các câu trả lời vẫn được giữ: gõ /report để làm tiếp."
    assert text_of((await nam.send("10/11/2026"))[0]).startswith("Tôi chưa hiểu")
    assert text_of((await nam.send("/report"))[0]).startswith("Bạn còn phần trả lời dở dang.")
    assert "Ngày giao ban" in text_of((await nam.press("Tiếp tục"))[-1])
    await nam.send("/cancel")
    await nam.send("/report")
    # Starting over keeps the unit's answers: the report opens at its first unanswered question.
    again = text_of((await nam.press("Làm lại từ đầu"))[-1])
    assert "Câu 3/5" in again and "Ngày giao ban" in again
    await nam.send("10/11/2026")
    await nam.press("Hoàn thành tốt")
    review = text_of((await nam.send("/skip"))[0])
    assert "1. Nhà Đại đoàn kết xây mới trong kỳ: 3 (Nam" in review
    last = text_of((await nam.send("/back"))[0])
    assert "Khó khăn, kiến nghị" in last and "Câu trả lời hiện tại: (bỏ qua)" in last
    assert "Thiếu kinh phí" in text_of((await nam.send("Thiếu kinh phí"))[0])
    assert text_of((await nam.press("Nộp báo cáo"))[-1]).startswith("Đã nộp: Báo cáo thử")


async def test_a_button_of_an_earlier_question_is_refused_and_the_question_shown(
    h: Harness,
) -> None:
    nam = await start_report(h)
    first = nam.last
    assert first is not None
    await nam.send("3")  # a typed answer: the next question comes as a new message
    replies = await nam.press("✓ 0", message=first)
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này thuộc một bước trước. Bước hiện tại ở ngay dưới đây."
    )
    assert "Có giao ban" in text_of(replies[-1])
    await nam.press_data("rpt:q.briefing:y:7")
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /report."
    )
    async with h.db.session() as session:
        answers = (await session.scalars(select(ReportAnswer))).all()
    assert {a.question_key: a.value for a in answers} == {"houses": {"v": 3}}


async def test_another_command_in_the_middle_of_a_report_offers_it_back(h: Harness) -> None:
    nam = await start_report(h)
    await nam.send("3")
    await nam.send("/log")  # suspends the report
    cancelled = await nam.send("/cancel")
    assert cancelled[-1].text == "Bạn đang làm dở báo cáo. Quay lại không?"
    back = await nam.press("Quay lại")
    assert any(m.text == "Quay lại báo cáo." for m in back)
    assert "Có giao ban" in text_of(back[-1])
    # The other way round: a report begun in the middle of an entry, which is offered back.
    await nam.send("/log")
    await nam.send("/report")
    await nam.press("Tiếp tục")
    await nam.press("Không")
    await nam.press("Hoàn thành tốt")
    await nam.send("/skip")
    done = await nam.press("Nộp báo cáo")
    assert done[-1].text == "Bạn đang làm dở việc ghi hoạt động. Quay lại không?"


async def test_the_return_comment_is_a_prompt_kept_on_cancel_and_reopened(h: Harness) -> None:
    """The comment is a one-shot prompt: /cancel keeps it and the card's button continues it;
    another command in the middle suspends it and offers it back; what it interrupted comes
    straight back once it is sent."""
    nam = await start_report(h)
    lan = h.user(1002, "Lan")
    await answer_all(nam, houses="3")
    await nam.press("Nộp báo cáo")
    cards = await lan.send("/review")
    card = next(m for m in cards if "thôn Cầu Bâm" in text_of(m))
    prompt = text_of((await lan.press("Trả lại kèm ý kiến", message=card))[-1])
    assert "thôn Cầu Bâm" in prompt and "Gõ ý kiến gửi đơn vị: cần sửa những gì?" in prompt
    cancelled = (await lan.send("/cancel"))[0].text
    assert cancelled == (
        "Đã hủy. Báo cáo vẫn chờ bạn quyết định; bấm lại “Trả lại kèm ý kiến” dưới báo cáo để viết ý kiến."
    )
    assert text_of((await lan.send("Thiếu số liệu"))[0]).startswith("Tôi chưa hiểu")
    again = (await lan.press("Trả lại kèm ý kiến", message=card))[-1]
    assert "Gõ ý kiến gửi đơn vị" in text_of(again)
    # Another command in the middle suspends it; when that one ends, it is offered back.
    await lan.send("/round")
    cancelled_round = await lan.send("/cancel")
    assert cancelled_round[-1].text == "Bạn đang làm dở nhận xét về báo cáo. Quay lại không?"
    assert "Gõ ý kiến gửi đơn vị" in text_of((await lan.press("Quay lại"))[-1])
    # Opened in the middle of a round, the round comes straight back once the comment is sent.
    await lan.send("/round")
    await lan.press("Làm lại từ đầu")
    await lan.press("Báo cáo thử (v1)")
    await lan.press("Trả lại kèm ý kiến", message=card)
    replies = await lan.send("Thiếu số liệu")
    assert replies[0].text == (
        "Đã trả lại Ban Công tác Mặt trận thôn Cầu Bâm kèm ý kiến của bạn. Cán bộ đơn vị đã được báo."
    )
    assert replies[-1].text == "Cho kỳ nào?"
    # The unit's cadre finds it at its review, with the comment, and submits again.
    review = text_of((await nam.send("/report"))[0])
    assert "Tình trạng: bị trả lại." in review
    assert "Báo cáo được trả lại để sửa: “Thiếu số liệu”" in review
    assert text_of((await nam.press("Nộp báo cáo"))[-1]).startswith("Đã nộp:")


async def test_approving_ends_a_comment_begun_for_the_report(h: Harness) -> None:
    nam = await start_report(h)
    lan = h.user(1002, "Lan")
    await answer_all(nam, houses="3")
    await nam.press("Nộp báo cáo")
    card = next(m for m in await lan.send("/review") if "thôn Cầu Bâm" in text_of(m))
    await lan.press("Trả lại kèm ý kiến", message=card)
    await lan.press("Duyệt", message=card)
    approved = await lan.press("Xác nhận duyệt")
    assert text_of(approved[-1]).startswith(
        "Đã duyệt: Báo cáo thử — Quý IV/2026, Ban Công tác Mặt trận thôn Cầu Bâm"
    )
    assert text_of((await lan.send("Thiếu số liệu"))[0]).startswith("Tôi chưa hiểu")


PHOTO_TEMPLATE = """
key: anh_thu
version: 1
title: {vi: "Báo cáo ảnh", en: "Photo report"}
period: quarter
questions:
  - key: topics
    type: multi
    label: {vi: "Nội dung đã làm", en: "Topics"}
    options:
      - {key: a, label: {vi: "Tuyên truyền", en: "Outreach"}}
      - {key: b, label: {vi: "Giám sát", en: "Supervision"}}
  - key: photo
    type: photo
    label: {vi: "Ảnh hoạt động", en: "Activity photo"}
"""


def labels(message: BotMessage) -> list[str]:
    return [b["text"] for row in message.inline_buttons for b in row]


async def test_several_reports_a_list_first_ticks_and_a_photo(h: Harness) -> None:
    """Two reports: the list is the first step (/back returns to it); a multiple choice ticks in
    place; a photo question takes a photo and nothing else; the review changes an answer."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    await open_round_by_buttons(h)
    async with h.db.session() as session:
        template, _ = await rep.store_template(
            session, parse_template(PHOTO_TEMPLATE), h.clock.now()
        )
        await operator_opens(session, h, template)
    listed = (await nam.send("/report"))[0]
    # What the reports share is said once; the buttons say what tells them apart.
    assert listed.text == "Báo cáo nào?\nBan Công tác Mặt trận thôn Cầu Bâm · Quý IV/2026"
    assert labels(listed) == [
        "Báo cáo thử (chưa nộp, 18/12)",
        "Báo cáo ảnh (chưa nộp, 20/12)",
    ]
    first = text_of((await nam.press("Báo cáo ảnh (chưa nộp, 20/12)"))[-1])
    assert "Câu 1/2" in first and "Bấm chọn mọi mục phù hợp" in first
    await nam.press("Xong")
    assert h.emu.callback_answers[-1]["text"] == "Hãy chọn ít nhất một mục."
    assert "✓ Tuyên truyền" in labels((await nam.press("Tuyên truyền"))[-1])
    await nam.press("Giám sát")
    untick = (await nam.press("✓ Tuyên truyền"))[-1]
    assert labels(untick)[:2] == ["Tuyên truyền", "✓ Giám sát"]
    assert "Gửi một ảnh." in text_of((await nam.press("Xong"))[-1])
    assert (await nam.send("ảnh đây"))[0].text == "Câu này cần một ảnh."
    assert (await nam.send_sticker())[0].text == (
        "Câu này cần chữ hoặc nút bấm, không phải tệp hay hình."
    )
    review = text_of((await nam.send_photo(b"\x89PNG"))[0])
    assert "1. Nội dung đã làm: Giám sát (Nam" in review and "2. Ảnh hoạt động: có ảnh" in review
    # "Change an answer" goes to that question, ticked as answered; "Done" comes back.
    await nam.press("Sửa một câu trả lời")
    chosen = (await nam.press("1. Nội dung đã làm"))[-1]
    assert "Câu trả lời hiện tại: Giám sát" in text_of(chosen)
    await nam.press("Tuyên truyền")
    review = text_of((await nam.press("Xong"))[-1])
    assert "1. Nội dung đã làm: Tuyên truyền, Giám sát" in review
    # /back walks the questions back to the list of reports.
    assert "Ảnh hoạt động" in text_of((await nam.send("/back"))[0])
    assert "Nội dung đã làm" in text_of((await nam.send("/back"))[0])
    assert text_of((await nam.send("/back"))[0]).startswith("Báo cáo nào?\n")
    assert "Câu 1/4" in text_of((await nam.press("Báo cáo thử"))[-1])


SCREENS_TEMPLATE = """
key: man_hinh
version: 1
title: {vi: "Báo cáo vận động", en: "Fund-raising report"}
period: quarter
questions:
  - key: funds
    type: money
    label: {vi: "Số tiền vận động", en: "Funds raised"}
  - key: held
    type: yesno
    label: {vi: "Đã tổ chức hội nghị chưa?", en: "Was the conference held?"}
  - key: level
    type: choice
    label: {vi: "Tự đánh giá", en: "Self-assessment"}
    options:
      - {key: xs, label: {vi: "Hoàn thành xuất sắc nhiệm vụ được giao trong công tác vận động quần chúng", en: "Excellent"}}
      - {key: chua, label: {vi: "Chưa hoàn thành", en: "Not done"}}
"""


async def test_yes_no_and_choices_typed_money_in_words_and_labels_cut_between_words(
    h: Harness,
) -> None:
    """A phone's screens (issue 16 §4): "co" answers a yes/no question and an option's label
    typed without diacritics picks it; a long option is cut after a whole word with "…"; money is
    in words, with the exact figure when the words round what was typed."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    async with h.db.session() as session:
        template, _ = await rep.store_template(
            session, parse_template(SCREENS_TEMPLATE), h.clock.now()
        )
        await operator_opens(session, h, template)
    assert "Số tiền vận động" in text_of((await nam.send("/report"))[0])
    held = text_of((await nam.send("1.234.567"))[0])
    assert "Đã tổ chức hội nghị chưa?" in held
    assert "Bấm một nút, hoặc gõ “có” hay “không”." in held
    assert (await nam.send("chắc thế"))[0].text == YES_NO_ONLY
    level = (await nam.send("Co"))[0]
    assert "Tự đánh giá" in text_of(level)
    long_label = labels(level)[0]
    assert long_label == "Hoàn thành xuất sắc nhiệm vụ được giao trong công tác vận…"
    full = "Hoàn thành xuất sắc nhiệm vụ được giao trong công tác vận động quần chúng"
    assert full[len(long_label) - 1] == " "  # cut between two words, never inside one
    review = text_of((await nam.send("chua hoan thanh"))[0])
    assert "1. Số tiền vận động: 1,23 triệu đồng (1.234.567 đồng) (Nam" in review
    assert "2. Đã tổ chức hội nghị chưa?: Có (Nam" in review
    assert "3. Tự đánh giá: Chưa hoàn thành (Nam" in review
    # "không" typed changes the answer; a round sum shows no exact figure.
    await nam.press("Sửa một câu trả lời")
    await nam.press("2. Đã tổ chức")
    assert "2. Đã tổ chức hội nghị chưa?: Không (Nam" in text_of((await nam.send("KHÔNG."))[0])
    await nam.press("Sửa một câu trả lời")
    await nam.press("1. Số tiền")
    assert "1. Số tiền vận động: 1,4 tỷ đồng (Nam" in text_of((await nam.send("1,4 tỷ"))[0])
