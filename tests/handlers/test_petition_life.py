"""The whole life of one recommendation through the Bot API emulator, as issue 17 asks for it:
a thôn cadre (Nam, 1004) records it with /petition and gives the citizen the follow link; the
commune Front's leader (Lan, 1002) forwards it to the commune's People's Committee (Quang, 1013),
who acknowledges it; it runs overdue and Quang is reminded; he answers; Lan rates the answer not
satisfactory; he answers again; Lan closes it; the citizen hears the answer through the link and
Nam confirms the citizens were told. Once in Vietnamese and once in English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.emulator import BotMessage, UserClient
from tests.handlers.test_meetings import dispatch_all
from tests.harness import Harness, text_of

CODE = "KN-2026-0001"

#: The words each step presses or reads, per language.
WORDS = {
    "vi": {
        "other": "Khác",
        "source": "Trực tiếp tại khu dân cư",
        "today": "Hôm nay",
        "no_files": "Không có tệp",
        "no": "Không",
        "save": "Lưu",
        "link": "Link cho người dân",
        "forward": "Chuyển UBND",
        "confirm": "Xác nhận",
        "open": "Mở kiến nghị",
        "ack": "Đã tiếp nhận",
        "answer": "Trả lời",
        "no_doc": "Gửi không kèm văn bản",
        "not_ok": "Chưa thỏa đáng",
        "ok": "Thỏa đáng",
        "told": "Đã thông tin lại cho người dân",
        "overdue": "Quá hạn: kiến nghị KN-2026-0001",
        "to_rate": "UBND đã trả lời",
        "back": "chưa thỏa đáng",
        "closed": "đã được trả lời và kết thúc",
        "citizen": "Kiến nghị KN-2026-0001 đã có trả lời: Sẽ sửa xong trước 31/12/2026.",
        "noted": "Đã ghi nhận: người dân đã được thông tin lại.",
    },
    "en": {
        "other": "Other",
        "source": "Directly in the residential area",
        "today": "Today",
        "no_files": "No files",
        "no": "No",
        "save": "Save",
        "link": "Link for the citizen",
        "forward": "Forward to the People's Committee",
        "confirm": "Confirm",
        "open": "Open the recommendation",
        "ack": "Acknowledge receipt",
        "answer": "Answer",
        "no_doc": "Send without a document",
        "not_ok": "Not satisfactory",
        "ok": "Satisfactory",
        "told": "Citizens have been told",
        "overdue": "Overdue: recommendation KN-2026-0001",
        "to_rate": "answered",
        "back": "not satisfactory",
        "closed": "answered and closed",
        "citizen": "Recommendation KN-2026-0001 has been answered: Sẽ sửa xong trước 31/12/2026.",
        "noted": "Noted: the citizens were told.",
    },
}


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def latest(user: UserClient, words: str) -> BotMessage:
    return next(m for m in reversed(user.history()) if words in (m.text or ""))


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_record_forward_remind_answer_reject_answer_close_tell(h: Harness, lang: str) -> None:
    w = WORDS[lang]
    nam = h.user(1004, "Nam", last_name="Lê Văn", language_code=lang)
    lan = h.user(1002, "Lan", last_name="Nguyễn Thị", language_code=lang)
    quang = h.user(1013, "Quang", last_name="Ma Văn", language_code=lang)
    citizen = h.user(5001, "Páo", language_code=lang)
    for user in (nam, lan, quang):
        await user.send("/start")

    # Nam records it: a few taps, no personal data of the citizen (no consent).
    await nam.send("/petition")
    await nam.send("Đề nghị sửa đoạn đường liên thôn bị sạt lở sau mưa lũ")
    await nam.press(w["other"])
    await nam.press(w["source"])
    await nam.send("/skip")
    await nam.press(w["today"])
    await nam.press(w["no_files"])
    await nam.press(w["no"])
    saved = (await nam.press(w["save"]))[-1]
    assert CODE in text_of(saved)
    link = text_of((await nam.press(w["link"], message=saved))[-1])
    await citizen.send("/start " + link.split("?start=", 1)[1].split()[0])
    assert CODE in text_of(citizen.last)

    # Lan hears of it and forwards it; Quang acknowledges.
    await dispatch_all(h)
    card = (await lan.send(f"/petition {CODE}"))[-1]
    await lan.press(w["forward"], message=card)
    await lan.press(w["confirm"], message=card)
    await dispatch_all(h)
    opened = (await quang.press(w["open"], message=latest(quang, CODE)))[-1]
    await quang.press(w["ack"], message=opened)

    # Forwarded on 16/11 with 30 days: on 17/12 it is overdue and Quang is reminded.
    h.clock.set(datetime(2026, 12, 17, 1, 0, tzinfo=UTC))  # 08:00 in Hà Nội
    assert await h.plan_reminders() == 1
    await dispatch_all(h)
    reminder = latest(quang, w["overdue"])

    # He answers; Lan finds it not satisfactory; he answers again; she closes it.
    opened = (await quang.press(w["open"], message=reminder))[-1]
    await quang.press(w["answer"], message=opened)
    await quang.send("Đang khảo sát.")
    await quang.press(w["no_doc"])
    await dispatch_all(h)
    assert not [m for m in citizen.history() if "Đang khảo sát" in (m.text or "")]
    opened = (await lan.press(w["open"], message=latest(lan, w["to_rate"])))[-1]
    await lan.press(w["not_ok"], message=opened)
    await lan.send("Chưa nêu ngày hoàn thành.")
    await dispatch_all(h)
    opened = (await quang.press(w["open"], message=latest(quang, w["back"])))[-1]
    await quang.press(w["answer"], message=opened)
    await quang.send("Sẽ sửa xong trước 31/12/2026.")
    await quang.press(w["no_doc"])
    await dispatch_all(h)
    opened = (await lan.press(w["open"], message=latest(lan, "31/12/2026")))[-1]
    await lan.press(w["ok"], message=opened)
    await dispatch_all(h)

    # The citizen is told through the link; Nam is told and confirms he told the citizens.
    assert citizen.last is not None and citizen.last.text == w["citizen"]
    told = latest(nam, w["closed"])
    await nam.press(w["told"], message=told)
    assert nam.last_answer is not None and nam.last_answer["text"].startswith(w["noted"])
