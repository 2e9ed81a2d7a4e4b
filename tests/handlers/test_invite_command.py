"""/invite: unit leaders make links for their subtree, by buttons; nobody crosses the line."""

from __future__ import annotations

import re

import pytest

from tests.harness import Harness, text_of

LINK = re.compile(r"https://t\.me/phoihop_bot\?start=([A-Za-z0-9_-]{1,64})")


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def _link(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def test_commune_leader_invites_a_cadre_to_a_residential_area(h: Harness) -> None:
    lan = h.user(1002, "Lan")  # leader of Ủy ban MTTQ xã Yên Nguyên
    picker = (await lan.send("/invite"))[0]
    assert picker.text == "Mời vào đơn vị nào? Đang ở: Ủy ban MTTQ xã Yên Nguyên"
    labels = [b["text"] for row in picker.inline_buttons for b in row]
    assert labels[0] == "✓ Ủy ban MTTQ xã Yên Nguyên"
    assert "Ban Công tác Mặt trận thôn Cầu Bâm ›" in labels
    assert "Hội Liên hiệp Phụ nữ xã Yên Nguyên" in labels
    assert not any("Kim Bình" in label for label in labels)

    inside = (await lan.press("Ban Công tác Mặt trận thôn Cầu Bâm ›"))[-1]
    assert inside.edited and "Đang ở: Ban Công tác Mặt trận thôn Cầu Bâm" in text_of(inside)
    role = (await lan.press("✓ Ban Công tác Mặt trận thôn Cầu Bâm"))[-1]
    assert role.text == "Mời vào Ban Công tác Mặt trận thôn Cầu Bâm với vai trò:"
    uses = (await lan.press("Cán bộ"))[-1]
    assert text_of(uses).startswith("Bao nhiêu người được dùng đường dẫn này?")

    assert text_of((await lan.send("abc"))[0]).startswith("“abc” không phải một số từ 1 đến 500.")
    assert text_of((await lan.send("0"))[0]).startswith("“0” không phải một số từ 1 đến 500.")
    assert text_of((await lan.send("9" * 4000))[0]).startswith("“" + "9" * 39 + "…” không phải")
    done = text_of((await lan.send("2"))[0])
    assert "Đường dẫn mời làm cán bộ của Ban Công tác Mặt trận thôn Cầu Bâm:" in done
    assert "Có hiệu lực đến 23/11/2026 08:30, cho 2 người." in done
    code = _link(done)

    newcomer = h.user(2101, "Sơn")
    assert "Bạn đã được thêm vào Ban Công tác Mặt trận thôn Cầu Bâm với vai trò cán bộ" in text_of(
        (await newcomer.send(f"/start {code}"))[0]
    )


async def test_leader_picks_uses_by_button_in_english(h: Harness) -> None:
    anna = h.user(1008, "Thu", language_code="en")  # leader of Ủy ban MTTQ xã Kim Bình
    await anna.send("/invite")
    await anna.press("✓ Ủy ban MTTQ xã Kim Bình")
    await anna.press("Unit leader")
    done = text_of((await anna.press("5"))[-1])
    assert "Invite link for unit leader of Ủy ban MTTQ xã Kim Bình:" in done
    assert "for 5 people." in done


async def test_member_org_leader_sees_only_their_organisation(h: Harness) -> None:
    mai = h.user(1003, "Mai")  # leader of Hội Liên hiệp Phụ nữ xã Yên Nguyên
    picker = (await mai.send("/invite"))[0]
    labels = [b["text"] for row in picker.inline_buttons for b in row]
    assert "✓ Ủy ban MTTQ xã Yên Nguyên" not in labels  # the Front committee is not hers
    assert "Hội Liên hiệp Phụ nữ xã Yên Nguyên" in labels
    assert "Đoàn Thanh niên xã Yên Nguyên" not in labels
    inside = (await mai.press("Ban Công tác Mặt trận thôn Cầu Bâm ›"))[-1]
    inner = [b["text"] for row in inside.inline_buttons for b in row]
    assert "Chi hội Phụ nữ thôn Cầu Bâm" in inner
    assert not any(label.startswith("✓") for label in inner)


async def test_cadre_is_refused_politely(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    assert text_of((await nam.send("/invite"))[0]).startswith(
        "Chỉ lãnh đạo đơn vị mới tạo được đường dẫn mời."
    )
    anna = h.user(1011, "Anna", language_code="en")
    assert text_of((await anna.send("/invite"))[0]).startswith(
        "Only a unit's leaders can make invite links."
    )


async def test_forged_button_for_another_subtree_is_refused(h: Harness) -> None:
    lan = h.user(1002, "Lan")  # leads Yên Nguyên, not Kim Bình
    picker = (await lan.send("/invite"))[0]
    async with h.db.session() as session:
        from storage.queries import units as units_q

        kim_binh = await units_q.by_code(session, "02350")
        assert kim_binh is not None
    forged = await lan.press_data(f"inv:unit:u:{kim_binh.id}", message=picker)
    assert (
        h.emu.callback_answers[-1]["text"]
        == "Bạn chỉ mời được người vào các đơn vị do bạn phụ trách."
    )
    assert not forged or "Kim Bình" not in (forged[-1].text or "")
    await lan.press_data(f"inv:unit:o:{kim_binh.id}:0", message=picker)
    assert (
        h.emu.callback_answers[-1]["text"]
        == "Bạn chỉ mời được người vào các đơn vị do bạn phụ trách."
    )
    # A cadre pressing an admin's button (copied data) gets nothing either.
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    await nam.press_data("inv:role:r:admin", message=None)
    assert (
        h.emu.callback_answers[-1]["text"]
        == "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /invite."
    )


async def test_flow_survives_a_restart(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Lãnh đạo đơn vị")
    await h.restart()
    done = text_of((await lan.send("3"))[0])
    assert "Đường dẫn mời làm lãnh đạo đơn vị của Ủy ban MTTQ xã Yên Nguyên:" in done


async def test_invite_made_by_a_leader_who_lost_the_role(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Cán bộ")
    code = _link(text_of((await lan.send("1"))[0]))
    async with h.db.session() as session:
        from sqlalchemy import delete, select

        from storage.models import Membership, Person

        person_id = await session.scalar(select(Person.id).where(Person.telegram_id == 1002))
        await session.execute(delete(Membership).where(Membership.person_id == person_id))
    refused = text_of((await h.user(2102, "Tâm").send(f"/start {code}"))[0])
    assert refused.startswith(
        "Lời mời này không còn hiệu lực: người tạo không còn là lãnh đạo đơn vị đó."
    )


async def test_invite_in_a_group_is_redirected(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    group = h.emu.group(-1001234, "MTTQ xã Yên Nguyên")
    await group.add_bot(lan)
    replies = await lan.send("/invite@phoihop_bot", chat=group)
    assert (
        replies[0].text
        == "Hãy tạo đường dẫn mời trong cuộc trò chuyện riêng với tôi, không phải trong nhóm."
    )


async def test_uses_are_ascii_digits_only(h: Harness) -> None:
    """Issue 15 §5: "²" passed str.isdigit() and crashed int(); "٣" (Arabic-Indic three) was read
    as 3. Both are refused like any text that is not a number."""
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Cán bộ")
    for typed in ("²", "1²", "٣", "+2", "2"):
        [answer] = await lan.send(typed)
        if typed == "2":
            assert "Đường dẫn mời làm cán bộ của Ủy ban MTTQ xã Yên Nguyên:" in text_of(answer)
            break
        assert text_of(answer).startswith(f"“{typed}” không phải một số từ 1 đến 500."), typed
