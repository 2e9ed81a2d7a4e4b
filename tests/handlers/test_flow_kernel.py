"""The flow kernel as a leader meets it, on /invite: /back, /skip, /cancel and continue, start
over, a button from an earlier step, a restart, and the stack (a flow started in the middle of
another one suspends it; when it ends, the user is offered to go back)."""

from __future__ import annotations

import pytest

from handlers.flow import Call, Screen, Step, flow_named
from tests.harness import Harness, text_of

PICKER = "Mời vào đơn vị nào? Đang ở: Ủy ban MTTQ xã Yên Nguyên"
ROLE = "Mời vào Ủy ban MTTQ xã Yên Nguyên với vai trò:"
USES = "Bao nhiêu người được dùng đường dẫn này?"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


async def test_back_and_skip_in_a_kernel_flow(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    assert (await lan.send("/back"))[0].text == "Không có bước nào để quay lại."
    assert (await lan.send("/invite"))[0].text == PICKER
    assert (await lan.send("/back"))[0].text == "Không có bước nào để quay lại."
    assert (await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên"))[-1].text == ROLE
    assert (await lan.send("/skip"))[0].text == "Câu hỏi này không bỏ qua được."
    assert (await lan.send("/back"))[0].text == PICKER
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    assert text_of((await lan.press("Cán bộ"))[-1]).startswith(USES)
    back = (await lan.send("/back"))[0]
    assert back.text == ROLE
    assert text_of((await lan.press("Lãnh đạo đơn vị", message=back))[-1]).startswith(USES)
    done = text_of((await lan.send("4"))[0])
    assert "Đường dẫn mời làm lãnh đạo đơn vị của Ủy ban MTTQ xã Yên Nguyên:" in done
    assert "cho 4 người" in done


async def test_typed_text_at_a_button_step_keeps_the_step(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    assert (await lan.send("Ủy ban MTTQ xã Yên Nguyên"))[0].text == (
        "Hãy bấm một trong các nút phía trên, hoặc /cancel để dừng."
    )
    assert (await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên"))[-1].text == ROLE


async def test_cancel_keeps_the_answers_and_the_command_offers_them(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Cán bộ")
    cancelled = (await lan.send("/cancel"))[0].text
    assert cancelled == "Đã hủy. Các câu trả lời vẫn được giữ: gõ /invite để làm tiếp."
    # Typed text is no longer read by the flow.
    assert text_of((await lan.send("3"))[0]).startswith("Tôi chưa hiểu")
    offer = (await lan.send("/invite"))[0]
    assert text_of(offer).startswith("Bạn còn phần trả lời dở dang.")
    shown = await lan.press("Tiếp tục")
    assert text_of(shown[-1]).startswith(USES)
    assert "cho 3 người" in text_of((await lan.send("3"))[0])
    # The kept copy is gone once used: /invite starts afresh.
    assert (await lan.send("/invite"))[0].text == PICKER


async def test_start_over_forgets_the_kept_answers(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.send("/cancel")
    await lan.send("/invite")
    shown = await lan.press("Làm lại từ đầu")
    assert shown[-1].text == PICKER
    # The offer's message no longer carries buttons that would act again.
    assert any(m.text == "Bắt đầu lại từ đầu." for m in lan.history())


async def test_a_button_from_an_earlier_step_is_refused_and_the_step_shown(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    picker = (await lan.send("/invite"))[0]
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")  # edits the picker into the role question
    await lan.press("Cán bộ")
    # The same unit button again, as a slow double tap on an old message would send it.
    unit_id = picker.inline_buttons[0][0]["callback_data"].split(":")[-1]
    replies = await lan.press_data(f"inv:unit:u:{unit_id}", message=picker)
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này thuộc một bước trước. Bước hiện tại ở ngay dưới đây."
    )
    assert text_of(replies[-1]).startswith(USES)
    # Mangled data is refused without a crash.
    await lan.press_data("inv:uses:n:abc", message=replies[-1])
    assert h.emu.callback_answers[-1]["text"] == (
        "Nút này không còn hiệu lực. Hãy bắt đầu lại bằng /invite."
    )


async def test_a_restart_keeps_the_step_and_back_still_works(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await h.restart()
    assert (await lan.send("/back"))[0].text == PICKER


async def test_a_flow_started_in_the_middle_of_another_suspends_it(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    # In the middle of a guided entry (a flow not yet on the kernel)...
    await lan.send("/log")
    assert lan.history()[-1].inline_buttons
    # ...an invite link is made...
    assert (await lan.send("/invite"))[0].text == PICKER
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.press("Cán bộ")
    replies = await lan.send("1")
    assert "Đường dẫn mời làm cán bộ của Ủy ban MTTQ xã Yên Nguyên:" in text_of(replies[0])
    # ...and then the entry is offered back.
    assert replies[-1].text == "Bạn đang làm dở việc ghi hoạt động. Quay lại không?"
    back = await lan.press("Quay lại")
    assert any(m.text == "Quay lại việc ghi hoạt động." for m in back)
    assert back[-1].inline_buttons, "the entry's current step is shown again"


async def test_not_now_parks_the_suspended_flow(h: Harness) -> None:
    lan = h.user(1002, "Lan")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.send("/log")  # suspends the invite
    cancelled = await lan.send("/cancel")
    assert cancelled[-1].text == "Bạn đang làm dở việc tạo đường dẫn mời. Quay lại không?"
    kept = await lan.press("Để sau")
    assert kept[-1].text == "Đã giữ lại: việc tạo đường dẫn mời vẫn chờ bạn."
    offer = (await lan.send("/invite"))[0]
    assert text_of(offer).startswith("Bạn còn phần trả lời dở dang.")
    assert (await lan.press("Tiếp tục"))[-1].text == ROLE
    # The old "go back" button no longer acts.
    await lan.press_data("flow:back:invite")
    assert h.emu.callback_answers[-1]["text"] == "Nút này không còn hiệu lực."


async def test_a_cadre_cannot_start_a_leaders_flow_through_its_buttons(h: Harness) -> None:
    nam = h.user(1004, "Nam")
    await nam.send("/start")
    await nam.press_data("inv:~:new")
    assert h.emu.callback_answers[-1]["text"] is not None
    assert not any("Mời vào đơn vị nào" in (m.text or "") for m in nam.history())


async def test_starting_a_suspended_flow_again_keeps_the_one_in_between(h: Harness) -> None:
    """/log, then /invite (suspends the entry), then /log again: the invite is kept too."""
    lan = h.user(1002, "Lan")
    await lan.send("/log")
    await lan.send("/invite")
    await lan.press("✓ Ủy ban MTTQ xã Yên Nguyên")
    await lan.send("/log")  # suspends the invite, not a detour back to the entry
    cancelled = await lan.send("/cancel")
    assert cancelled[-1].text == "Bạn đang làm dở việc tạo đường dẫn mời. Quay lại không?"
    assert (await lan.press("Quay lại"))[-1].text == ROLE


def test_every_yes_no_question_of_a_flow_takes_a_typed_answer() -> None:
    """Issue 16 §4: each step that asks a yes/no question with Yes / No buttons says so
    (``Step.yes_no``), so "có" / "không" typed there is its buttons' press; a step that cannot
    take a press cannot be one."""
    import bot.runtime.app  # noqa: F401  (every flow registered)
    from handlers.log_questions import CONFIRM

    asked = {
        ("members", "remove"),
        ("meeting", "items"),
        ("mtg_time", "confirm"),
        ("edit", "confirm"),
        ("petition", "consent"),
        ("round", "early"),
    }
    for name, step_name in asked:
        kernel = flow_named(name)
        assert kernel is not None, name
        step = kernel.step(step_name)
        assert step is not None and step.yes_no == ("y", "n"), (name, step_name)
    members = flow_named("members")
    withdraw = members.step("invite") if members is not None else None
    assert withdraw is not None and withdraw.yes_no == ("w", "b")  # "Withdraw it?" / Back
    assert CONFIRM.yes_no == ("y", "n")  # /log's "are you sure?" (a step of its expanded list)

    async def show(call: Call, state: object) -> Screen:
        return Screen("?")

    with pytest.raises(ValueError, match="needs its buttons"):
        Step("q", show, yes_no=("y", "n"))
