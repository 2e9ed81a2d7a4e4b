"""Proposal cards (issue 18), through the emulator as a cadre sees them: a cadre types what they
did in their own words, the bot proposes the entry, one tap saves it exactly as the guided /log
would (same checks, lock, rollup, history); Sửa opens the guided review filled in, Không phải
sets it aside. Chat, groups and people who log for no unit get no proposal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from bot.emulator import BotMessage, UserClient
from storage.models import (
    Activity,
    ActivityHistory,
    ActivityRollup,
    ActivityValue,
    Membership,
    Person,
)
from storage.models import Proposal as ProposalRow
from storage.queries import units as units_q
from tests.harness import Harness, lock_period, text_of, transaction_counter

NOT_UNDERSTOOD = "Tôi chưa hiểu ý bạn."


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def entries(h: Harness) -> list[tuple[Activity, dict[str, int]]]:
    async with h.db.session() as session:
        rows = (await session.scalars(select(Activity).order_by(Activity.id))).all()
        values = (await session.scalars(select(ActivityValue))).all()
    by_id: dict[int, dict[str, int]] = {a.id: {} for a in rows}
    for v in values:
        by_id[v.activity_id][v.measure_key] = v.value_milli // 1000
    return [(a, by_id[a.id]) for a in rows]


async def count(h: Harness, model: type) -> int:
    async with h.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def card_of(replies: list[BotMessage]) -> BotMessage:
    """The one proposal card among the replies."""
    [card] = [m for m in replies if m.inline_buttons]
    return card


def labels(message: BotMessage) -> list[str]:
    return [b["text"] for row in message.inline_buttons for b in row]


async def propose(user: UserClient, text: str) -> BotMessage:
    return card_of(await user.send(text))


# --- saving with one tap ------------------------------------------------------------------------


async def test_five_sentences_each_saved_with_one_tap(h: Harness) -> None:
    nam = h.user(1004, "Nam")  # cán bộ of thôn Cầu Bâm: one unit
    card = await propose(nam, "thăm 5 hộ nghèo, tặng quà 2 triệu")
    assert card.text == (
        "Lưu hoạt động này?\n\n"
        "Hỗ trợ hộ nghèo, cận nghèo — Ban Công tác Mặt trận thôn Cầu Bâm\n"
        "Số hộ: 5 hộ\nGiá trị hỗ trợ: 2 triệu đồng\n"
        "Ngày: 16/11/2026\nGhi chú: thăm 5 hộ nghèo, tặng quà 2 triệu"
    )
    assert labels(card) == ["Lưu", "Sửa", "Không phải"]
    done = (await nam.press("Lưu", message=card))[-1]
    assert done.edited and text_of(done).startswith("Đã lưu thành mục #1.\n\nHỗ trợ hộ nghèo")
    assert labels(done) == ["Sửa", "Xóa"]  # the saved entry's own buttons, as after /log

    sentences = {
        "hoa giai thanh 2 vu tranh chap dat o thon 3": ("hoa_giai", {"cases": 2}, 16),
        "vận động QVNN được 15tr": (
            "quy_vi_nguoi_ngheo",
            {"amount": 15_000_000},
            16,
        ),
        "kết nạp 12 đoàn viên mới": ("ket_nap", {"persons": 12}, 16),
        "hôm qua giám sát 1 cuộc về vệ sinh môi trường": ("giam_sat", {"sessions": 1}, 15),
    }
    for number, sentence in enumerate(sentences, 2):
        card = await propose(nam, sentence)
        assert text_of(card).endswith(f"Ghi chú: {sentence}")
        done = (await nam.press("Lưu", message=card))[-1]
        assert text_of(done).startswith(f"Đã lưu thành mục #{number}.")
    assert "Ngày: 15/11/2026" in text_of(done)  # "hôm qua"

    saved = await entries(h)
    assert [(a.type_key, v, a.occurred_on.day) for a, v in saved[1:]] == list(sentences.values())
    first, values = saved[0]
    assert (first.type_key, values) == ("ho_ngheo_ho_tro", {"households": 5, "value": 2_000_000})
    assert all(a.source == "free_text" and a.note for a, _ in saved)
    # Saved as a guided entry is: its history, its share of the totals.
    assert await count(h, ActivityHistory) == 5
    totals = (await nam.send("/totals hòa giải tháng này"))[0]
    assert "2 vụ" in text_of(totals)
    async with h.db.session() as session:
        rows = await session.scalars(
            select(ActivityRollup).where(ActivityRollup.type_key == "ket_nap")
        )
        assert {r.value_milli for r in rows} == {12_000}


async def test_edit_a_proposal_before_saving(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "tuyên truyền 3 buổi cho 120 người về phòng chống ma túy")
    assert "Số buổi: 3 buổi\nSố lượt người tham dự: 120" in text_of(card)
    review = (await nam.press("Sửa", message=card))[-1]
    # The guided /log's review, filled in, on its "what to change" menu.
    assert text_of(review).startswith("Kiểm tra rồi lưu:\n\nTuyên truyền, vận động")
    assert "Ghi chú: tuyên truyền 3 buổi cho 120 người" in text_of(review)
    assert labels(review) == [
        "Số buổi",
        "Số lượt người tham dự",
        "Ngày",
        "Ghi chú",
        "Ảnh",
        "Loại hoạt động",
        "‹ Quay lại",
    ]
    asked = (await nam.press("Số lượt người tham dự"))[-1]
    assert "Số lượt người tham dự" in text_of(asked) and "Gõ một số" in text_of(asked)
    again = (await nam.send("150"))[0]
    assert "Số lượt người tham dự: 150" in text_of(again)
    done = (await nam.press("Lưu"))[-1]
    assert text_of(done).startswith("Đã lưu thành mục #1.")
    [(entry, values)] = await entries(h)
    assert values == {"sessions": 3, "participants": 150} and entry.source == "free_text"
    # The card's own Save, pressed after: saved already, never twice.
    await nam.press("Lưu", message=card)
    assert nam.last_answer is not None
    assert nam.last_answer["text"] == "Mục này đã được lưu rồi, thành mục #1; không lưu hai lần."
    assert len(await entries(h)) == 1


async def test_a_measure_not_found_is_asked_before_saving(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "xây 2 căn nhà đại đoàn kết trị giá 120 triệu")
    assert (
        "Xây mới: 2 căn\nSửa chữa: chưa thấy — sẽ hỏi trước khi lưu\nGiá trị: 120 triệu đồng"
        in text_of(card)
    )
    asked = (await nam.press("Lưu", message=card))[-1]
    assert text_of(asked).startswith("Nhà Đại đoàn kết\nSửa chữa (căn)? Gõ một số")
    assert await entries(h) == []  # not guessed, not saved yet
    review = (await nam.send("1"))[0]
    assert "Xây mới: 2 căn\nSửa chữa: 1 căn\nGiá trị: 120 triệu đồng" in text_of(review)
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")
    [(_, values)] = await entries(h)
    assert values == {"built": 2, "repaired": 1, "value": 120_000_000}


async def test_a_value_above_its_ceiling_asks_are_you_sure(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "vận động quỹ vì người nghèo được 6 tỷ")
    asked = (await nam.press("Lưu", message=card))[-1]
    assert "6 tỷ đồng" in text_of(asked) and "lớn bất thường. Có đúng không?" in text_of(asked)
    review = (await nam.press("Đúng rồi"))[-1]
    assert "Số tiền vận động: 6 tỷ đồng" in text_of(review)
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")


async def test_pressing_save_twice_saves_once(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "hòa giải thành 2 vụ")
    data = card.inline_buttons[0][0]["callback_data"]
    await nam.press_data(data, message=card)
    await nam.press_data(data, message=card)  # the same button again (a slow network's retry)
    assert nam.last_answer is not None
    assert nam.last_answer["text"] == "Mục này đã được lưu rồi, thành mục #1; không lưu hai lần."
    assert len(await entries(h)) == 1
    # Forged or foreign buttons: refused, nothing saved.
    anna = h.user(1011, "Anna", language_code="en")
    await anna.send("/help")
    await anna.press_data(data)  # Nam's proposal
    assert anna.last_answer is not None
    assert anna.last_answer["text"] == (
        "This proposal is no longer available. Type the activity again, or use /log."
    )
    for forged in ("prp:s:abc", "prp:q:1", "prp:s", "prp:u:1", "prp:s:999"):
        nam.last_answer = None
        await nam.press_data(forged, message=card)
        assert nam.last_answer is not None and nam.last_answer.get("show_alert"), forged
    assert len(await entries(h)) == 1


async def test_a_card_works_after_a_restart_and_an_old_one_says_it_is_gone(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "hòa giải thành 2 vụ")
    await h.restart()
    done = (await nam.press("Lưu", message=card))[-1]
    assert text_of(done).startswith("Đã lưu thành mục #1.")
    old = await propose(nam, "kết nạp 3 hội viên")
    h.clock.advance(timedelta(days=31))
    await propose(nam, "kết nạp 4 hội viên")  # a month later: older proposals are dropped
    await nam.press("Lưu", message=old)
    assert nam.last_answer is not None
    assert nam.last_answer["text"] == (
        "Đề xuất này không còn nữa. Hãy gõ lại hoạt động, hoặc dùng /log."
    )
    assert len(await entries(h)) == 1


async def test_a_guided_copy_is_saved_even_when_its_proposal_is_gone(h: Harness) -> None:
    """A proposal is kept a month; an edit begun from it and finished later saves as any guided
    entry does (the card itself then says the proposal is gone)."""
    nam = h.user(1004, "Nam")
    card = await propose(nam, "hòa giải thành 2 vụ")
    await nam.press("Sửa", message=card)
    await nam.press("Ghi chú")
    review = (await nam.send("vụ tranh chấp đất thôn 3"))[0]
    assert "Ghi chú: vụ tranh chấp đất thôn 3" in text_of(review)
    async with h.db.session() as session:
        await session.execute(delete(ProposalRow))
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")
    [(entry, values)] = await entries(h)
    assert values == {"cases": 2} and entry.note == "vụ tranh chấp đất thôn 3"


async def test_a_locked_period_is_refused_with_its_reason(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await lock_period(h, "02365", date(2026, 10, 15), date(2026, 11, 14))
    card = await propose(nam, "ngày 10/11 hòa giải 2 vụ")
    assert "Ngày: 10/11/2026" in text_of(card)
    refused, asked = await nam.press("Lưu", message=card)
    assert text_of(refused) == (
        "Hiện không thể ghi hoạt động ngày 10/11/2026 cho đơn vị này.\n"
        "Kỳ này đã bị khóa: nhật ký hoạt động của Ủy ban MTTQ xã Yên Nguyên và các đơn vị Mặt trận Tổ quốc"
        " trực thuộc, từ ngày 15/10/2026 đến ngày 14/11/2026.\n"
        "Hãy gõ ngày khác, hoặc /cancel (phần đã nhập vẫn được giữ)."
    )
    assert "Ngày diễn ra?" in text_of(asked)
    assert await entries(h) == []
    review = text_of((await nam.send("15/11/2026"))[0])
    assert "Số vụ hòa giải: 2 vụ" in review and "Ngày: 15/11/2026" in review
    assert text_of((await nam.press("Lưu"))[-1]).startswith("Đã lưu thành mục #1.")


async def test_two_activities_in_one_message_are_two_cards(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    replies = await nam.send("thăm 5 hộ nghèo tặng quà 2 triệu, hòa giải 1 vụ")
    first, second = replies
    assert text_of(first).startswith("Hoạt động 1/2 trong tin nhắn của bạn. Lưu lại?")
    assert "Hỗ trợ hộ nghèo, cận nghèo" in text_of(first)
    assert text_of(second).startswith("Hoạt động 2/2 trong tin nhắn của bạn. Lưu lại?")
    assert "Số vụ hòa giải: 1 vụ" in text_of(second)
    assert text_of((await nam.press("Lưu", message=second))[-1]).startswith("Đã lưu thành mục #1.")
    assert text_of((await nam.press("Lưu", message=first))[-1]).startswith("Đã lưu thành mục #2.")
    assert [a.type_key for a, _ in await entries(h)] == ["hoa_giai", "ho_ngheo_ho_tro"]
    # Setting one of two aside: the other stays; the message is answered as chat only when
    # every card of it is set aside.
    first, second = await nam.send("kết nạp 3 hội viên, giám sát 1 cuộc")
    replies = await nam.press("Không phải", message=first)
    assert [text_of(m) for m in replies if not m.edited] == []
    replies = await nam.press("Không phải", message=second)
    assert text_of(replies[-1]).startswith(NOT_UNDERSTOOD)


async def test_one_transaction_per_update(h: Harness, request: pytest.FixtureRequest) -> None:
    """The text read and its cards stored in the update's one transaction (the flow kernel's,
    which found no step waiting); the press that saves, one too (as test_activity_log counts)."""
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    transactions = transaction_counter(h, request)

    assert await transactions(nam.send("thăm 5 hộ nghèo tặng quà 2 triệu, hòa giải 1 vụ")) == 1
    assert await transactions(nam.press("Lưu")) == 1
    assert await transactions(nam.send("cảm ơn")) == 1
    assert len(await entries(h)) == 1


async def test_a_member_left_with_only_a_peoples_committee_role_cannot_save(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "hòa giải thành 2 vụ")
    await h.grant(1004, "02365-ubnd", "cadre")
    async with h.db.session() as session:
        unit = await units_q.by_code(session, "02365-t1")
        assert unit is not None
        await session.execute(
            delete(Membership).where(
                Membership.unit_id == unit.id,
                Membership.person_id
                == select(Person.id).where(Person.telegram_id == 1004).scalar_subquery(),
            )
        )
    await nam.press("Lưu", message=card)
    assert nam.last_answer is not None
    assert nam.last_answer["text"] == "Bạn chỉ ghi được cho đơn vị của mình."
    assert await entries(h) == []


# --- what gets no proposal ----------------------------------------------------------------------


async def test_not_this_and_chat_get_todays_answer(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    card = await propose(nam, "thăm 5 hộ nghèo, tặng quà 2 triệu")
    edited, answered = await nam.press("Không phải", message=card)
    assert edited.edited and text_of(edited).endswith(
        "Không lưu: bạn cho biết đây không phải là hoạt động."
    )
    assert edited.inline_buttons == []
    assert text_of(answered).startswith(NOT_UNDERSTOOD) and answered.keyboard
    for chat in ("cảm ơn", "ok", "mai em gửi báo cáo", "họp lúc mấy giờ?"):
        [reply] = await nam.send(chat)
        assert text_of(reply).startswith(NOT_UNDERSTOOD), chat
        assert not reply.inline_buttons
    assert await entries(h) == []
    async with h.db.session() as session:
        statuses = list(await session.scalars(select(ProposalRow.status)))
    assert statuses == ["dismissed"]


async def test_a_pending_question_keeps_priority(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Tiếp »")
    await nam.press("Hòa giải ở cơ sở")
    # An answer the guided /log is waiting for is never read as an activity.
    [refused] = await nam.send("hòa giải 2 vụ")
    assert text_of(refused) == "“hòa giải 2 vụ” không phải là số. Hãy gõ ví dụ 2."
    assert not refused.inline_buttons
    assert await count(h, ProposalRow) == 0


async def test_an_unfinished_guided_entry_is_never_replaced(h: Harness) -> None:
    """The guided /log holds one draft: a proposal that needs it (Edit, or Save with a measure
    not found) waits until the entry begun there is saved or discarded; a complete one saves."""
    nam = h.user(1004, "Nam")
    await nam.send("/log")
    await nam.press("Tiếp »")
    await nam.press("Hòa giải ở cơ sở")
    await nam.send("3")
    await nam.send("/cancel")
    card = await propose(nam, "xây 2 căn nhà đại đoàn kết trị giá 120 triệu")
    unfinished = (
        "Bạn còn một mục khác trong /log chưa lưu. Hãy lưu hoặc bỏ mục đó trước (/log), "
        "rồi bấm lại nút này."
    )
    for button in ("Sửa", "Lưu"):
        nam.last_answer = None
        await nam.press(button, message=card)
        assert nam.last_answer is not None and nam.last_answer["text"] == unfinished
    offer = (await nam.send("/log"))[0]
    assert text_of(offer).startswith("Bạn có một mục chưa lưu: Hòa giải ở cơ sở.")
    complete = await propose(nam, "kết nạp 3 hội viên")
    assert text_of((await nam.press("Lưu", message=complete))[-1]).startswith(
        "Đã lưu thành mục #1."
    )
    await nam.press("Bỏ, ghi mục mới", message=offer)
    await nam.send("/cancel")
    asked = (await nam.press("Lưu", message=card))[-1]
    assert "Sửa chữa (căn)?" in text_of(asked)


async def test_groups_are_never_read(h: Harness) -> None:
    nam, lan = h.user(1004, "Nam"), h.user(1002, "Lan")
    group = h.emu.group(-100555, "Ban Công tác Mặt trận thôn Cầu Bâm")
    await group.add_bot(lan)
    for text in ("thăm 5 hộ nghèo, tặng quà 2 triệu", "hòa giải thành 2 vụ"):
        assert await nam.send(text, chat=group) == []
    assert await count(h, ProposalRow) == 0


async def test_no_unit_and_peoples_committee_get_no_proposal(h: Harness) -> None:
    for telegram_id in (1012, 1014):  # no unit yet; an officer of a People's Committee only
        person = h.user(telegram_id, "Người dùng")
        [reply] = await person.send("hòa giải thành 2 vụ")
        assert text_of(reply).startswith(NOT_UNDERSTOOD)
        assert "Cứ gõ như bình thường" not in text_of((await person.send("/help"))[0])
    assert await count(h, ProposalRow) == 0
    hint = text_of((await h.user(1004, "Nam").send("/help"))[0])
    assert "Cứ gõ như bình thường: “thăm 5 hộ nghèo, tặng quà 2 triệu”." in hint


async def test_several_units_ask_which_on_the_card(h: Harness) -> None:
    await h.grant(1004, "02365-nong_dan", "cadre")
    nam = h.user(1004, "Nam")
    card = await propose(nam, "hòa giải thành 2 vụ")
    assert text_of(card).startswith("Lưu hoạt động này?\n\nHòa giải ở cơ sở\n")  # no unit yet
    asked = (await nam.press("Lưu", message=card))[-1]
    assert asked.edited and text_of(asked).endswith(
        "Hoạt động này của đơn vị nào? Chọn xong là lưu ngay."
    )
    assert labels(asked) == ["Hội Nông dân xã Yên Nguyên", "Ban Công tác Mặt trận thôn Cầu Bâm"]
    done = (await nam.press("Hội Nông dân xã Yên Nguyên", message=asked))[-1]
    assert text_of(done).startswith("Đã lưu thành mục #1.")
    [(entry, _)] = await entries(h)
    async with h.db.session() as session:
        unit = await units_q.by_code(session, "02365-nong_dan")
    assert unit is not None and entry.unit_id == unit.id


# --- in English ---------------------------------------------------------------------------------


async def test_an_english_speaker_gets_english_cards(h: Harness) -> None:
    anna = h.user(1011, "Anna", language_code="en")
    card = await propose(anna, "hòa giải thành 2 vụ ở thôn 3")
    assert text_of(card).startswith("Save this as an activity?\n\nGrassroots mediation — ")
    assert "Number of cases: 2 cases\nDate: 16/11/2026\nNote: hòa giải thành 2 vụ ở thôn 3" in (
        text_of(card)
    )
    assert labels(card) == ["Save", "Edit", "Not this"]
    assert text_of((await anna.press("Save", message=card))[-1]).startswith("Saved as entry #1.")
    card = await propose(anna, "xây 2 căn nhà đại đoàn kết trị giá 120 triệu")
    assert "Repaired: not found — asked before saving" in text_of(card)
    review = (await anna.press("Edit", message=card))[-1]
    assert "Repaired" in text_of(review)  # the missing measure is asked first
    await anna.send("0")
    assert anna.last is not None and "Built: 2" in text_of(anna.last)
    assert text_of((await anna.press("Save"))[-1]).startswith("Saved as entry #2.")
    card = await propose(anna, "kết nạp 3 hội viên")
    edited, answered = await anna.press("Not this", message=card)
    assert text_of(edited).endswith("Not saved: you said this is not an activity.")
    assert text_of(answered).startswith("I did not understand that.")
    [reply] = await anna.send("ok")
    assert text_of(reply).startswith("I did not understand that.")
    assert "Or just type as you normally would" in text_of((await anna.send("/help"))[0])
