"""The handling of a recommendation end to end through the Bot API emulator, in Vietnamese: the
Front's leader (Lan, 1002) forwards it, the commune's People's Committee (Quang 1013, Hiền 1017)
acknowledges, answers, is rated not satisfactory with a comment, answers again, is rated
satisfactory, and the recording cadre (Nam, 1004) is told and confirms the citizens were told.
Beside it: merge, decline, send up, an extension asked and granted, /petitions' filters, the
buttons refused to a People's Committee officer of another commune (Thắm, 1014) and to a cadre
outside the chain (Đức, 1009), and one run in English.

Items are stored directly (tests/petition_items.py): recording is another flow's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.emulator import BotMessage, UserClient
from storage.models import Petition
from tests.handlers.test_meetings import dispatch_all
from tests.harness import Harness, text_of
from tests.petition_items import record

CODE = "KN-2026-0001"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    await harness.grant(1017, "02365-ubnd", "cadre")
    return harness


async def people(h: Harness, *who: tuple[int, str, str]) -> dict[int, UserClient]:
    users = {tid: h.user(tid, given, last_name=family) for tid, given, family in who}
    for user in users.values():
        await user.send("/start")
    return users


async def item(h: Harness, **kw: object) -> Petition:
    async with h.db.session() as session:
        return await record(session, h.clock.now(), **kw)  # type: ignore[arg-type]


def labels(message: BotMessage | None) -> list[str]:
    assert message is not None
    return [b["text"] for row in message.inline_buttons for b in row]


def notice(user: UserClient, words: str) -> BotMessage:
    return next(m for m in reversed(user.history()) if words in (m.text or ""))


async def status_of(h: Harness, code: str = CODE) -> str:
    async with h.db.session() as session:
        found = await session.scalar(select(Petition.status).where(Petition.code == code))
    assert found is not None
    return found


LAN = (1002, "Lan", "Nguyễn Thị")
NAM = (1004, "Nam", "Lê Văn")
QUANG = (1013, "Quang", "Ma Văn")
HIEN = (1017, "Hiền", "Đặng Thu")
THAM = (1014, "Thắm", "Hà Thị")
DUC = (1009, "Đức", "Ngô Văn")


async def test_the_life_of_an_item_in_vietnamese(h: Harness) -> None:
    u = await people(h, LAN, NAM, QUANG, HIEN, THAM, DUC)
    lan, nam, quang, hien, tham, duc = (u[t[0]] for t in (LAN, NAM, QUANG, HIEN, THAM, DUC))
    await item(h, recorder=1004, people=12, citizen=("Trần Văn Bảy", "0912345678"))

    card = (await lan.send(f"/petition {CODE.lower()}"))[-1]
    text = text_of(card)
    assert text.startswith(f"{CODE} · Mới\nLĩnh vực: Hạ tầng – giao thông · Nguồn: Tiếp xúc cử tri")
    assert "12 cử tri cùng kiến nghị" in text and "Người dân: Trần Văn Bảy, 0912345678" in text
    assert "— Lê Văn Nam ghi nhận" in text
    assert labels(card)[:2] == ["Chuyển UBND", "Gửi lên Mặt trận cấp trên"]

    # A cadre outside the chain, and another commune's officer: as if there were no such item.
    refused = "Không có kiến nghị này, hoặc bạn không có quyền xem."
    assert text_of((await duc.send(f"/petition {CODE}"))[-1]) == refused
    for outsider in (duc, tham):
        await outsider.press_data("kn:v:1")
        assert outsider.last_answer is not None and outsider.last_answer["text"] == refused

    # Nam, who recorded it, gives the citizen a follow link from the card.
    own = (await nam.send(f"/petition {CODE}"))[-1]
    link = text_of((await nam.press("Link cho người dân", message=own))[-1])
    citizen = h.user(5001, "Bảy", language_code="vi")
    await citizen.send("/start " + link.split("?start=", 1)[1].split()[0])

    # Forwarding is hard to undo: a confirmation names the authority and the due date first.
    asked = (await lan.press("Chuyển UBND", message=card))[-1]
    assert text_of(asked).splitlines() == [
        f"Chuyển {CODE} đến UBND xã Yên Nguyên?",
        "UBND phải trả lời trước 16/12/2026 (30 ngày, lĩnh vực Hạ tầng – giao thông).",
        "Cán bộ UBND được báo ngay; kiến nghị đã chuyển thì không rút lại được.",
    ]
    assert labels(asked) == ["Xác nhận", "‹ Quay lại"]
    await lan.press("‹ Quay lại", message=card)
    assert lan.last_answer is not None and lan.last_answer["text"] == "Chưa có gì thay đổi."
    assert await status_of(h) == "recorded" and labels(lan.last)[0] == "Chuyển UBND"
    await lan.press("Chuyển UBND", message=card)
    # Someone outside the chain presses the confirmation: refused, nothing changes.
    await duc.press_data("kn:fwy:1")
    assert duc.last_answer is not None and duc.last_answer["text"] == refused
    assert await status_of(h) == "recorded"
    await lan.press("Xác nhận", message=card)
    assert lan.last_answer is not None
    assert lan.last_answer["text"] == "Đã chuyển; cán bộ UBND đã được báo."
    # The confirmation pressed again (an old message): a clear alert, nothing twice.
    await lan.press_data("kn:fwy:1")
    assert lan.last_answer is not None
    assert lan.last_answer["text"].startswith("Kiến nghị này hiện ở trạng thái “Đã chuyển”")
    assert "Đã chuyển đến: UBND xã Yên Nguyên" in text_of(lan.last)  # the card, redrawn
    assert "Hạn trả lời: 16/12/2026" in text_of(lan.last)
    assert await status_of(h) == "forwarded"
    await dispatch_all(h)
    got = notice(quang, CODE)
    assert "Mặt trận đã chuyển một kiến nghị đến UBND của bạn" in text_of(got)
    assert "Trần Văn Bảy" not in text_of(got) and "0912" not in text_of(got)
    assert notice(hien, CODE) is not None

    # Kim Bình's officer presses Yên Nguyên's buttons: refused, nothing changes.
    await tham.press_data("kn:ak:1")
    assert tham.last_answer is not None and tham.last_answer["text"] == refused
    # The cadre who recorded it is in the chain but does not act for the Front.
    await nam.press_data("kn:ok:1")
    assert nam.last_answer is not None
    assert nam.last_answer["text"].startswith("Chỉ lãnh đạo Ủy ban MTTQ")
    assert await status_of(h) == "forwarded"

    opened = (await quang.press("Mở kiến nghị", message=got))[-1]
    assert labels(opened)[:3] == ["Đã tiếp nhận", "Trả lời", "Giao cho cán bộ khác"]
    assert "Người dân: Trần Văn Bảy" in text_of(opened)  # the officers are in the chain
    await quang.press("Đã tiếp nhận", message=opened)
    assert await status_of(h) == "acknowledged"
    await quang.press("Giao cho cán bộ khác", message=quang.last)
    await quang.press("Đặng Thu Hiền")
    assert quang.last_answer is not None and quang.last_answer["text"].startswith("Đã giao cho")
    await dispatch_all(h)
    assigned = notice(hien, "đã được giao cho bạn")

    # Hiền answers with a document.
    opened = (await hien.press("Mở kiến nghị", message=assigned))[-1]
    asked = (await hien.press("Trả lời", message=opened))[-1]
    assert text_of(asked) == f"Hãy gõ câu trả lời cho {CODE}."
    assert text_of((await hien.send("Đã khảo sát, sẽ sửa trong tháng 12."))[-1]).startswith(
        "Gửi kèm văn bản trả lời"
    )
    done = await hien.send_document(b"%PDF-1.4", "tra-loi.pdf")
    assert text_of(done[-1]) == f"Đã gửi câu trả lời cho {CODE}; Mặt trận sẽ đánh giá."
    assert await status_of(h) == "answered"
    await dispatch_all(h)
    to_rate = notice(lan, "UBND đã trả lời")
    # The citizen hears nothing of an answer the Front has not accepted yet.
    assert not [m for m in citizen.history() if "đã có trả lời" in (m.text or "")]

    # Not satisfactory, with a comment; an empty comment is asked again.
    opened = (await lan.press("Mở kiến nghị", message=to_rate))[-1]
    assert labels(opened)[:2] == ["Thỏa đáng", "Chưa thỏa đáng"]
    await lan.press("Chưa thỏa đáng", message=opened)
    assert text_of(lan.last).startswith(f"Câu trả lời cho {CODE} còn thiếu điều gì?")
    said = await lan.send("Chưa nêu rõ ngày hoàn thành.")
    assert text_of(said[-1]) == f"{CODE} đã được trả lại UBND kèm ý kiến của bạn."
    assert await status_of(h) == "acknowledged"
    await dispatch_all(h)
    back = notice(hien, "chưa thỏa đáng")
    assert "Chưa nêu rõ ngày hoàn thành." in text_of(back)

    # Answered again (without a document), then rated satisfactory.
    opened = (await hien.press("Mở kiến nghị", message=back))[-1]
    await hien.press("Trả lời", message=opened)
    await hien.send("Hoàn thành sửa đường trước 20/12/2026.")
    await hien.press("Gửi không kèm văn bản")
    await dispatch_all(h)
    opened = (await lan.press("Mở kiến nghị", message=notice(lan, "20/12/2026")))[-1]
    await lan.press("Thỏa đáng", message=opened)
    assert lan.last_answer is not None
    assert lan.last_answer["text"] == "Đã kết thúc; cán bộ ghi nhận đã được báo."
    assert await status_of(h) == "closed"

    # Nam is told the answer and confirms the citizens were told.
    await dispatch_all(h)
    told = notice(nam, "đã được trả lời và kết thúc")
    assert citizen.history()[-1].text == (
        f"Kiến nghị {CODE} đã có trả lời: Hoàn thành sửa đường trước 20/12/2026."
    )
    assert "Hoàn thành sửa đường trước 20/12/2026." in text_of(told)
    assert "Trần Văn Bảy" not in text_of(told)
    await nam.press("Đã thông tin lại cho người dân", message=told)
    assert nam.last_answer is not None
    assert nam.last_answer["text"].startswith("Đã ghi nhận: người dân đã được thông tin lại.")
    assert "Đã thông tin lại cho người dân ngày 16/11/2026" in text_of(nam.last)
    await nam.press_data("kn:inf:1", message=told)
    assert nam.last_answer is not None
    assert nam.last_answer["text"] == "Đã ghi nhận trước đó: người dân đã được thông tin lại."

    history = await lan.press_data("kn:h:1")
    lines = text_of(history[-1]).splitlines()
    assert lines[0] == f"Lịch sử {CODE}:"
    assert len(lines) == 1 + 9  # recorded … informed


async def test_merge_decline_and_the_list(h: Harness) -> None:
    u = await people(h, LAN, NAM)
    lan, nam = u[1002], u[1004]
    await item(h, people=12, text="Sửa đường liên thôn Cầu Bâm")
    await item(h, people=3, text="Đường liên thôn sạt lở")
    await item(h, category="moi_truong", text="Rác thải ở suối")

    listing = (await lan.send("/petitions"))[-1]
    assert text_of(listing).splitlines()[1] == "3 kiến nghị, mới nhất trước."
    assert labels(listing)[0].startswith("KN-2026-0003 · Mới")
    await lan.press("Lọc theo lĩnh vực", message=listing)
    await lan.press("Môi trường")
    assert [b for b in labels(lan.last) if b.startswith("KN-")] == [
        "KN-2026-0003 · Mới · Rác thải ở suối"
    ]

    card = (await lan.send("/petition KN-2026-0002"))[-1]
    await lan.press("Gộp", message=card)
    bad = await lan.send("KN-2026-0099")
    assert text_of(bad[-1]).startswith("KN-2026-0099 không phải kiến nghị đang mở")
    assert text_of((await lan.send("kn 2026 1"))[-1]) == "Đã gộp KN-2026-0002."
    assert text_of((await lan.send("/petition KN-2026-0001"))[-1]).count("15 cử tri") == 1

    card = (await lan.send("/petition KN-2026-0003"))[-1]
    await lan.press("Không tiếp nhận", message=card)
    assert text_of((await lan.send("/cancel"))[-1]).startswith("Đã hủy, chưa có gì thay đổi.")
    assert await status_of(h, "KN-2026-0003") == "recorded"
    await lan.press("Không tiếp nhận", message=card)
    await lan.send("Thuộc thẩm quyền Công ty môi trường, đã hướng dẫn người dân.")
    assert await status_of(h, "KN-2026-0003") == "declined"
    await dispatch_all(h)
    assert "Thuộc thẩm quyền Công ty môi trường" in text_of(notice(nam, "không tiếp nhận"))

    # Nam, who recorded them, sees all three; the status filter keeps the category.
    listing = (await nam.send("/petitions"))[-1]
    assert text_of(listing).splitlines()[1] == "3 kiến nghị, mới nhất trước."
    await nam.press("Lọc theo trạng thái", message=listing)
    await nam.press("Mới")
    assert [b for b in labels(nam.last) if b.startswith("KN-")] == [
        "KN-2026-0001 · Mới · Sửa đường liên thôn Cầu Bâm"
    ]
    # Forged filters: an alert, nothing else.
    await nam.press_data("knl:bogus:-:0")
    assert nam.last_answer is not None and nam.last_answer["text"].startswith("Nút này không còn")


async def test_send_up_and_an_extension(h: Harness) -> None:
    u = await people(h, LAN, QUANG)
    lan, quang = u[1002], u[1013]
    await item(h, place="02365-t1")
    # The thôn's own leader cannot forward (a thôn has no People's Committee): he sends it up.
    await h.grant(1004, "02365-t1", "admin")
    nam = (await people(h, NAM))[1004]
    card = (await nam.send(f"/petition {CODE}"))[-1]
    await nam.press("Chuyển UBND", message=card)
    assert nam.last_answer is not None
    assert "chưa có UBND cùng cấp trong hệ thống" in nam.last_answer["text"]
    assert await status_of(h) == "recorded"
    asked = (await nam.press("Gửi lên Mặt trận cấp trên", message=card))[-1]
    assert text_of(asked).startswith(f"Gửi {CODE} lên Ủy ban MTTQ xã Yên Nguyên?")
    # He confirms: the Front above supervises it from now on.
    await nam.press("Xác nhận", message=card)
    card = (await lan.send(f"/petition {CODE}"))[-1]
    assert "Đơn vị theo dõi: Ủy ban MTTQ" in text_of(card)
    await dispatch_all(h)
    assert "gửi lên Ủy ban MTTQ của bạn" in text_of(notice(lan, CODE))
    await lan.press("Chuyển UBND", message=card)  # the card, redrawn in place
    await lan.press("Xác nhận", message=card)
    assert await status_of(h) == "forwarded"

    await dispatch_all(h)
    opened = (await quang.press("Mở kiến nghị", message=notice(quang, CODE)))[-1]
    await quang.press("Xin gia hạn", message=opened)
    assert (
        text_of((await quang.send("hôm qua"))[-1])
        == "Hãy gõ một ngày sau hôm nay, ví dụ 31/12/2026."
    )
    await quang.send("10/01/2027")
    done = await quang.send("Chờ kết quả khảo sát địa chất.")
    assert text_of(done[-1]) == f"Đã đề nghị gia hạn {CODE}. Mặt trận sẽ quyết định."
    await dispatch_all(h)
    asked = notice(lan, "đề nghị gia hạn")
    assert "10/01/2027" in text_of(asked) and "khảo sát địa chất" in text_of(asked)
    opened = (await lan.press("Mở kiến nghị", message=asked))[-1]
    await lan.press("Đồng ý gia hạn", message=opened)
    assert "Hạn trả lời: 10/01/2027" in text_of(lan.last)
    await dispatch_all(h)
    assert "trả lời trước 10/01/2027" in text_of(notice(quang, "đồng ý gia hạn"))
    # Late: the card says by how much.
    h.clock.advance(timedelta(days=60))
    assert "quá hạn 5 ngày" in text_of((await lan.send(f"/petition {CODE}"))[-1])


async def test_in_english(h: Harness) -> None:
    lan = h.user(1002, "Lan", language_code="en")
    await lan.send("/start")
    await lan.send("/language")
    await lan.press("English")
    await item(h)
    card = (await lan.send(f"/petition {CODE}"))[-1]
    assert text_of(card).startswith(f"{CODE} · New\nCategory: Infrastructure and transport")
    asked = (await lan.press("Forward to the People's Committee", message=card))[-1]
    assert text_of(asked).splitlines()[:2] == [
        f"Forward {CODE} to UBND xã Yên Nguyên?",
        "It will have to answer by 16/12/2026 (30 days, for Infrastructure and transport).",
    ]
    await lan.press("Confirm", message=card)
    assert "Forwarded to: UBND xã Yên Nguyên" in text_of(lan.last)
    assert "Due: 16/12/2026" in text_of(lan.last)
    listing = (await lan.send("/petitions"))[-1]
    assert text_of(listing) == "Recommendations\n1 recommendation, newest first."


async def test_the_list_pages_by_ten_and_shows_only_what_one_may_see(h: Harness) -> None:
    u = await people(h, LAN, NAM, QUANG, DUC)
    lan, nam, quang, duc = u[1002], u[1004], u[1013], u[1009]
    for n in range(12):
        await item(h, text=f"Kiến nghị số {n + 1}")
    await item(h, place="02350", recorder=1009, text="Ở Kim Bình")
    listing = (await lan.send("/petitions"))[-1]
    assert text_of(listing).splitlines()[1] == "12 kiến nghị, mới nhất trước."
    codes = [b for b in labels(listing) if b.startswith("KN-")]
    assert len(codes) == 10 and codes[0].startswith("KN-2026-0012")
    await lan.press("Tiếp »", message=listing)
    assert [b for b in labels(lan.last) if b.startswith("KN-")] == [
        "KN-2026-0002 · Mới · Kiến nghị số 2",
        "KN-2026-0001 · Mới · Kiến nghị số 1",
    ]
    assert "« Trước" in labels(lan.last)
    # Kim Bình's cadre sees their own only; Yên Nguyên's UBND nothing until one is forwarded.
    assert [b for b in labels((await duc.send("/petitions"))[-1]) if b.startswith("KN-")] == [
        "KN-2026-0013 · Mới · Ở Kim Bình"
    ]
    assert (
        text_of((await quang.send("/petitions"))[-1]).splitlines()[1] == "Không có kiến nghị nào."
    )
    await lan.send("/petition KN-2026-0005")
    await lan.press("Chuyển UBND")
    await lan.press("Xác nhận")
    assert [b for b in labels((await quang.send("/petitions"))[-1]) if b.startswith("KN-")] == [
        "KN-2026-0005 · Đã chuyển · Kiến nghị số 5"
    ]
    assert text_of((await nam.send("/petitions"))[-1]).splitlines()[1] == (
        "12 kiến nghị, mới nhất trước."
    )
