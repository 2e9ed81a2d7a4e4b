"""Recording citizens' recommendations end to end (issue 17, part 1), read like the chat:
Hoa (cadre of Chi hội Phụ nữ thôn Cầu Bâm) records what twelve voters asked at a voter-contact
meeting through every step, with bad answers refused and nothing lost, /back, /skip and /cancel;
the Front leader of the thôn is told (without the citizen's name or phone); the recorder makes
the citizen's follow link and a citizen follows it; a forged code is refused like a wrong invite.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.petition_follow import notify_followers
from storage.models import (
    OutboxMessage,
    Person,
    Petition,
    PetitionEvent,
    PetitionFile,
    PetitionFollower,
)
from storage.queries import units as units_q
from tests.harness import YES_NO_ONLY, Harness, text_of

NOT_MEMBER = "Bạn chưa thuộc đơn vị nào. Hãy xin lãnh đạo đơn vị đường dẫn mời rồi mở nó."
PRESS_A_BUTTON = "Hãy bấm một trong các nút phía trên, hoặc /cancel để dừng."
FOLLOW = "https://t.me/phoihop_bot?start=f_"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    # The thôn's Front committee gets a leader (the demo has none at that level).
    await harness.grant(2001, "02365-t1", "admin")
    return harness


async def only_petition(h: Harness) -> Petition:
    async with h.db.session() as session:
        [petition] = (await session.scalars(select(Petition))).all()
    return petition


async def test_a_cadre_records_a_recommendation_step_by_step(h: Harness) -> None:
    hoa = h.user(1005, "Hoa")
    leader = h.user(2001, "Trưởng ban")
    await leader.send("/start")
    await hoa.send("/start")

    first = (await hoa.send("Kiến nghị"))[0]
    assert text_of(first) == (
        "Ghi kiến nghị mới. Người dân kiến nghị điều gì? "
        "Hãy ghi theo lời người dân (từ 10 đến 2.000 ký tự)."
    )
    assert (await hoa.send("đường"))[0].text == (
        "Nội dung quá ngắn, người trả lời khó hiểu được: hãy viết ít nhất 10 ký tự."
    )
    assert (await hoa.send("x" * 2001))[0].text == (
        "Tối đa 2.000 ký tự: hãy rút gọn, hoặc đính kèm toàn văn đơn ở bước gửi tệp."
    )
    category = (await hoa.send("Đề nghị sửa đoạn đường liên thôn bị sạt lở sau mưa lũ"))[0]
    assert text_of(category) == "Thuộc lĩnh vực nào?"
    assert [row[0]["text"] for row in category.inline_buttons] == [
        "Đất đai",
        "Môi trường",
        "Hạ tầng – giao thông",
        "An sinh – chính sách",
        "An ninh – trật tự",
        "Y tế – giáo dục",
        "Khác",
    ]
    assert (await hoa.send("Hạ tầng"))[0].text == PRESS_A_BUTTON
    # One place only (her branch): the place is not asked.
    source = (await hoa.press("Hạ tầng – giao thông"))[-1]
    assert text_of(source) == "Tiếp nhận qua đâu?"
    # /back goes to the category, which is still answered.
    assert text_of((await hoa.send("/back"))[-1]) == "Thuộc lĩnh vực nào?"
    await hoa.press("Hạ tầng – giao thông")
    people = (await hoa.press("Tiếp xúc cử tri"))[-1]
    assert text_of(people).startswith("Bao nhiêu cử tri cùng kiến nghị?")
    for bad, why in (
        ("mười hai", "Hãy gõ số cử tri bằng chữ số, ví dụ 12, hoặc /skip nếu chỉ một người."),
        ("1²", "Hãy gõ số cử tri bằng chữ số, ví dụ 12, hoặc /skip nếu chỉ một người."),
        ("0", "Số cử tri phải từ 1 đến 100.000."),
    ):
        assert (await hoa.send(bad))[0].text == why, bad
    received = (await hoa.send("12"))[0]
    assert (
        text_of(received) == "Tiếp nhận ngày nào? Hãy gõ ngày, ví dụ 16/11/2026, hoặc bấm Hôm nay."
    )
    assert (await hoa.send("20/11/2026"))[0].text == (
        "Ngày tiếp nhận không thể ở tương lai. Hãy nhập lại ngày."
    )
    assert (await hoa.send("31/02"))[0].text == (
        "“31/02” không phải ngày hợp lệ. Hãy gõ theo dạng dd/mm/yyyy, ví dụ 16/11/2026, hoặc bấm một nút."
    )
    asked_files = (await hoa.send("14/11"))[0]
    assert text_of(asked_files).startswith("Có ảnh hoặc tài liệu kèm theo không")
    assert (await hoa.send("ảnh đây"))[0].text == "Hãy gửi ảnh hoặc tài liệu, hoặc bấm Xong."
    assert text_of((await hoa.send_photo())[-1]) == "Đã nhận 1 tệp. Gửi thêm, hoặc bấm Xong."
    two = await hoa.send_document(b"%PDF-1.4 don", "don-kien-nghi.pdf")
    assert text_of(two[-1]) == "Đã nhận 2 tệp. Gửi thêm, hoặc bấm Xong."

    # /cancel keeps the draft; /petition offers to continue where it stopped.
    await hoa.send("/cancel")
    offer = (await hoa.send("/petition"))[-1]
    assert text_of(offer) == (
        "Bạn còn phần trả lời dở dang. Tiếp tục từ chỗ đã dừng, hay làm lại từ đầu?"
    )
    consent = (await hoa.press("Tiếp tục"))[-1]
    assert text_of(consent) == "Đã nhận 2 tệp. Gửi thêm, hoặc bấm Xong."
    consent = (await hoa.press("Xong"))[-1]
    assert text_of(consent) == "Người dân đồng ý để lại họ tên và số điện thoại?"
    assert (await hoa.send("chắc vậy"))[0].text == YES_NO_ONLY
    name = (await hoa.send("có"))[0]
    assert text_of(name) == "Họ tên người dân, họ trước tên sau (ví dụ Nguyễn Văn An):"
    assert (await hoa.send("Nguyễn 2"))[0].text == (
        "Họ tên chỉ gồm chữ cái và dấu cách, họ trước tên sau, ví dụ Nguyễn Văn An."
    )
    assert text_of((await hoa.send("Hoàng Văn Páo"))[0]) == (
        "Số điện thoại của người dân (hoặc /skip):"
    )
    assert (await hoa.send("12345"))[0].text == (
        "Đây không phải số điện thoại Việt Nam. Hãy gõ dạng 0912 345 678 hoặc +84 912 345 678, hoặc /skip."
    )
    review = text_of((await hoa.send("+84 912 345 678"))[0])
    assert review.splitlines() == [
        "Kiểm tra kiến nghị rồi bấm Lưu (/back để sửa câu trả lời):",
        "",
        "“Đề nghị sửa đoạn đường liên thôn bị sạt lở sau mưa lũ”",
        "Lĩnh vực: Hạ tầng – giao thông",
        "Địa điểm: Chi hội Phụ nữ thôn Cầu Bâm",
        "12 cử tri cùng kiến nghị",
        "Tiếp nhận: 14/11/2026 (Tiếp xúc cử tri)",
        "2 tệp",
        "Người dân (đã đồng ý): Hoàng Văn Páo, 0912 345 678",
    ]
    saved = (await hoa.press("Lưu"))[-1]
    # The full card, the one /petition KN-2026-0001 shows, with the recorder's buttons.
    assert text_of(saved).splitlines() == [
        "Đã ghi kiến nghị KN-2026-0001",
        "",
        "KN-2026-0001 · Mới",
        "Lĩnh vực: Hạ tầng – giao thông · Nguồn: Tiếp xúc cử tri",
        "Địa điểm: Chi hội Phụ nữ thôn Cầu Bâm",
        "12 cử tri cùng kiến nghị",
        "Ngày tiếp nhận: 14/11/2026",
        "Đơn vị theo dõi: Ban Công tác Mặt trận thôn Cầu Bâm",
        "“Đề nghị sửa đoạn đường liên thôn bị sạt lở sau mưa lũ”",
        "Người dân: Hoàng Văn Páo, 0912345678",
        "",
        "Lịch sử:",
        "16/11/2026 08:30 — Hoa ghi nhận",
    ]
    assert [b["text"] for row in saved.inline_buttons for b in row] == [
        "Toàn bộ lịch sử",
        "Link cho người dân",
    ]
    card = text_of((await hoa.send("/petition KN-2026-0001"))[-1])
    assert text_of(saved).split("\n\n", 1)[1] == card

    petition = await only_petition(h)
    assert (petition.code, petition.status, petition.people_count) == (
        "KN-2026-0001",
        "recorded",
        12,
    )
    assert (petition.citizen_name, petition.citizen_phone) == ("Hoàng Văn Páo", "0912345678")
    async with h.db.session() as session:
        front = await units_q.get(session, petition.front_unit_id)
        events = (await session.scalars(select(PetitionEvent))).all()
        files = (await session.scalars(select(PetitionFile))).all()
        recorder = await session.scalar(select(Person).where(Person.telegram_id == 1005))
    # Her branch works in the thôn: the thôn's Front committee supervises the item.
    assert front is not None and front.code == "02365-t1" and recorder is not None
    assert [(e.action, e.by_id, e.status_after) for e in events] == [
        ("recorded", recorder.id, "recorded")
    ]
    assert sorted((f.kind, f.stage) for f in files) == [("document", "record"), ("photo", "record")]

    # The thôn's Front leader — and nobody else — is told, without the citizen's name or phone.
    async with h.db.session() as session:
        chats = (await session.scalars(select(OutboxMessage.chat_id))).all()
    assert chats == [2001]
    await h.dispatch()
    notice = text_of(leader.history()[-1])
    assert notice.splitlines() == [
        "Kiến nghị mới KN-2026-0001 tại Chi hội Phụ nữ thôn Cầu Bâm",
        "Hạ tầng – giao thông · 12 cử tri cùng kiến nghị",
        "“Đề nghị sửa đoạn đường liên thôn bị sạt lở sau mưa lũ”",
        "Xem: /petition KN-2026-0001",
    ]
    assert "Páo" not in notice and "0912" not in notice
    # The leader opens it by its code.
    card = text_of((await leader.send("/petition KN-2026-0001"))[0])
    assert card.startswith(
        "KN-2026-0001 · Mới\nLĩnh vực: Hạ tầng – giao thông · Nguồn: Tiếp xúc cử tri"
    )


async def record_quickly(h: Harness, tid: int, name: str, *, consent: str = "Không") -> None:
    """The shortest way through /petition: skips, no files, consent as given."""
    user = h.user(tid, name)
    await user.send("/petition")
    await user.send("Xin hỗ trợ sửa mái nhà văn hóa thôn bị dột")
    await user.press("Khác")
    await user.press("Trực tiếp tại khu dân cư")
    await user.send("/skip")
    await user.press("Hôm nay")
    await user.press("Không có tệp")
    await user.press(consent)


async def test_without_consent_no_name_nor_phone_is_asked_or_kept(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await record_quickly(h, 1004, "Nam")
    review = text_of(nam.history()[-1])
    assert review.splitlines()[-1] == "Không lưu họ tên và số điện thoại người dân (không đồng ý)."
    assert "1 cử tri cùng kiến nghị" in review
    assert "Tiếp nhận: 16/11/2026 (Trực tiếp tại khu dân cư)" in review
    # /back from the review goes to the consent, not to a name.
    assert text_of((await nam.send("/back"))[-1]) == (
        "Người dân đồng ý để lại họ tên và số điện thoại?"
    )
    await nam.send("không")
    await nam.press("Lưu")
    petition = await only_petition(h)
    assert (petition.consent, petition.citizen_name, petition.citizen_phone) == (False, None, None)
    assert petition.received_on.isoformat() == "2026-11-16"
    assert petition.people_count == 1


async def test_a_leader_chooses_the_place_and_english_reads_the_same(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/petition")
    await lan.send("Đề nghị lắp đèn chiếu sáng đường trục xã")
    place = (await lan.press("Hạ tầng – giao thông"))[-1]
    assert text_of(place) == "Ở đâu? Nơi kiến nghị đề cập:"
    labels = [row[0]["text"] for row in place.inline_buttons]
    assert labels[0] == "Ủy ban MTTQ xã Yên Nguyên" and "UBND xã Yên Nguyên" not in labels
    await lan.press(labels[0])
    await lan.press("Hội nghị")
    await lan.send("/skip")
    await lan.send("/skip")
    await lan.send("/skip")
    await lan.press("Không")
    saved = (await lan.press("Lưu"))[-1]
    # A leader's card: she can forward it at once (after its confirmation).
    buttons = [b["text"] for row in saved.inline_buttons for b in row]
    assert buttons[:2] == ["Chuyển UBND", "Gửi lên Mặt trận cấp trên"]
    await lan.press("Chuyển UBND", message=saved)
    assert text_of(lan.last).startswith("Chuyển KN-2026-0001 đến UBND xã Yên Nguyên?")
    await lan.press("‹ Quay lại", message=saved)
    petition = await only_petition(h)
    assert petition.status == "recorded"
    async with h.db.session() as session:
        commune = await units_q.by_code(session, "02365")
    # Recorded for the commune itself: the commune's Front committee supervises it, and Lan (its
    # leader, who recorded it) is not told of her own item.
    assert commune is not None and petition.front_unit_id == petition.unit_id == commune.id
    async with h.db.session() as session:
        assert not (await session.scalars(select(OutboxMessage))).all()

    anna = h.user(1011, "Anna", language_code="en")
    await anna.send("/start")
    assert text_of((await anna.send("/petition"))[0]) == (
        "New recommendation. What do the citizens ask for? Write it in their words (10 to 2,000 characters)."
    )
    assert text_of((await anna.send("Please repair the bridge over the stream"))[0]) == (
        "Which category?"
    )
    await anna.press("Infrastructure and transport")
    await anna.press("Dialogue")
    assert (await anna.send("3²"))[0].text == (
        "Type the number of citizens in digits, for example 12, or /skip for one."
    )
    await anna.send("3")
    assert (await anna.send("tomorrow"))[0].text == (
        "“tomorrow” is not a date. Type it as dd/mm/yyyy, for example 16/11/2026, or press a button."
    )
    await anna.press("Today")
    await anna.press("No files")
    await anna.press("No")
    done = text_of((await anna.press("Save"))[-1])
    assert done.startswith("Recommendation recorded: KN-2026-0002\n\nKN-2026-0002 · New")
    assert "3 citizens raised it together" in done


async def test_ubnd_officers_and_groups_are_refused(h: Harness) -> None:
    quang = h.user(1013, "Quang")  # leader of UBND xã Yên Nguyên only
    assert (await quang.send("/petition"))[0].text == (
        "Kiến nghị do cán bộ Mặt trận và các tổ chức thành viên ghi nhận. "
        "UBND tiếp nhận kiến nghị khi Mặt trận chuyển đến."
    )
    lan = h.user(1002, "Lan")
    group = h.emu.group(-1000777, "Nhóm xã", supergroup=True)
    await group.add_bot(lan, as_admin=True)
    assert (await lan.send("/petition", chat=group))[0].text == (
        "Hãy ghi kiến nghị trong cuộc trò chuyện riêng với tôi, không phải trong nhóm."
    )
    son = h.user(1012, "Sơn")  # no unit
    assert (await son.send("/petition"))[0].text == (NOT_MEMBER)
    async with h.db.session() as session:
        assert not (await session.scalars(select(Petition))).all()


async def test_the_citizens_follow_link(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await record_quickly(h, 1004, "Nam")
    saved = (await nam.press("Lưu"))[-1]
    link_reply = text_of((await nam.press("Link cho người dân", message=saved))[-1])
    assert link_reply.startswith("Gửi link này cho người dân để theo dõi kiến nghị KN-2026-0001:")
    link = next(line for line in link_reply.splitlines() if line.startswith(FOLLOW))
    petition = await only_petition(h)
    assert (
        petition.follow_hash is not None and link.removeprefix(FOLLOW) not in petition.follow_hash
    )

    citizen = h.user(5001, "Páo", language_code="vi")
    view = text_of(
        (await citizen.send(f"/start {link.removeprefix('https://t.me/phoihop_bot?start=')}"))[0]
    )
    assert view.splitlines() == [
        "Kiến nghị KN-2026-0001",
        "Trạng thái: Mới",
        "Lĩnh vực: Khác",
        "Ngày tiếp nhận: 16/11/2026",
        "",
        "Bạn sẽ nhận được tin nhắn tại đây khi kiến nghị có trả lời.",
    ]
    assert "Nam" not in view and "Nà Lẹng" not in view
    # A follower is no member: anything else gets the ordinary answer to non-members.
    assert (await citizen.send("/petition"))[0].text == (NOT_MEMBER)
    # The authority's answer reaches the follower (P2's answer path calls notify_followers).
    async with h.db.session() as session:
        stored = await session.get(Petition, petition.id)
        assert stored is not None
        stored.answer, stored.status = "UBND xã đã bố trí kinh phí sửa trong tháng 12.", "answered"
        stored.answered_at = h.clock.now()
        assert await notify_followers(session, stored, h.clock.now()) == 1
        assert await notify_followers(session, stored, h.clock.now()) == 0
    await h.dispatch()
    assert citizen.history()[-1].text == (
        "Kiến nghị KN-2026-0001 đã có trả lời: UBND xã đã bố trí kinh phí sửa trong tháng 12."
    )
    again = text_of((await citizen.send(f"/start f_{link.split('f_', 1)[1]}"))[0])
    assert "Trả lời: UBND xã đã bố trí kinh phí sửa trong tháng 12." in again

    # /forgetme: the follower's rows go; the item Nam recorded stays, without its recorder.
    await citizen.send("/forgetme")
    await citizen.press("Xóa dữ liệu của tôi")
    await nam.send("/forgetme")
    await nam.press("Xóa dữ liệu của tôi")
    async with h.db.session() as session:
        assert not (await session.scalars(select(PetitionFollower))).all()
        kept = await session.get(Petition, petition.id)
        assert kept is not None and kept.recorded_by is None


async def test_a_forged_follow_code_is_a_wrong_invite(h: Harness) -> None:
    guesser = h.user(5002, "Đoán")
    wrong = (
        "Tôi không tìm thấy lời mời này. Hãy kiểm tra bạn đã mở đủ cả đường dẫn, "
        "hoặc xin lãnh đạo đơn vị một đường dẫn mới."
    )
    for attempt in range(5):
        assert (await guesser.send(f"/start f_khongcoma{attempt}"))[0].text == wrong
    locked = text_of((await guesser.send("/start f_khongcoma9"))[0])
    assert locked.startswith("Bạn đã nhập sai mã mời quá nhiều lần.")
    h.clock.advance(timedelta(minutes=11))
    assert (await guesser.send("/start f_"))[0].text == (
        "Đường dẫn này không phải lời mời hợp lệ. Hãy mở nguyên vẹn đường dẫn bạn nhận được, "
        "hoặc xin lãnh đạo đơn vị một đường dẫn mới."
    )
