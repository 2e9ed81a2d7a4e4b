"""/help and what a role can do agree (issue 16 §4): for every role (no unit, cadre, unit leader,
operator) in a private chat and in a group, the commands /help lists, read from the emulator in
Vietnamese, are exactly the registered commands whose access rule (handlers/access_rules.py)
lets that role use them in that kind of chat."""

from __future__ import annotations

import re

import pytest
from telegram.ext import CommandHandler

from handlers.access_rules import RANKS, all_handlers, rule_of
from tests.harness import Harness, text_of

#: Demo people (bot/demo.py) by role, and the rank the access rules give each role.
ROLES = {"none": (1012, 0), "cadre": (1004, 1), "admin": (1002, 2), "owner": (1000, 3)}


@pytest.fixture
async def h(harness: Harness) -> Harness:
    await harness.seed_demo()
    return harness


def allowed_by_rules(h: Harness, rank: int, chat: str) -> set[str]:
    """Computed from the rules alone, not from what /help uses."""
    assert h.app is not None
    allowed = set()
    for _, handler in all_handlers(h.app):
        declared = rule_of(handler)
        if not isinstance(handler, CommandHandler) or declared is None:
            continue
        if chat in declared.chats and rank >= RANKS[declared.who]:
            allowed |= set(handler.commands)
    return allowed


def listed(text: str) -> set[str]:
    return set(re.findall(r"^/(\w+) — ", text, re.M))


@pytest.mark.parametrize("role", list(ROLES))
async def test_help_lists_exactly_what_the_rules_allow(h: Harness, role: str) -> None:
    telegram_id, rank = ROLES[role]
    user = h.user(telegram_id, "Người dùng", language_code="vi")
    group = h.emu.group(-100777, "Nhóm thử")
    await group.add_bot(user)
    h.emu.set_member_status(group.id, user.id, "member")

    private_help = text_of((await user.send("/help"))[0])
    group_help = text_of((await user.send("/help", chat=group))[0])
    assert private_help.startswith("Bạn có thể:") and group_help.startswith("Bạn có thể:")
    assert listed(private_help) == allowed_by_rules(h, rank, "private")
    assert listed(group_help) == allowed_by_rules(h, rank, "group")
    # In a group, the private chat is named as the place for the rest.
    assert "Nhắn riêng cho tôi" in group_help


async def test_each_role_sees_its_own_commands(h: Harness) -> None:
    """What the parametrised walk means for people: spot checks in Vietnamese."""
    cadre = text_of((await h.user(1004, "Nam").send("/help"))[0])
    leader = text_of((await h.user(1002, "Lan").send("/help"))[0])
    stranger = text_of((await h.user(1012, "Khách").send("/help"))[0])
    assert "/log — Ghi một hoạt động" in cadre and "/export" not in cadre
    assert "/export" in leader and "/invite" in leader
    # /link works only in a group: not offered in a private chat, even to a leader.
    assert "/link" not in leader
    assert "/log" not in stranger and "/back" in stranger
    # An officer of a People's Committee only opens a recommendation by its code: the Front
    # records them (/petition says so to him).
    quang = h.user(1013, "Quang")
    officer = text_of((await quang.send("/help"))[0])
    assert "/petition — Mở một kiến nghị của người dân theo mã" in officer
    assert text_of((await quang.send("/petition"))[0]).startswith(
        "Kiến nghị do cán bộ Mặt trận và các tổ chức thành viên ghi nhận."
    )
    assert "/petition — Ghi kiến nghị của người dân, hoặc mở một kiến nghị theo mã" in cadre
    assert "hãy mở đường dẫn mời" in stranger
    group = h.emu.group(-100778, "Ban Công tác Mặt trận")
    lan = h.user(1002, "Lan")
    await group.add_bot(lan)
    h.emu.set_member_status(group.id, lan.id, "administrator")
    in_group = text_of((await lan.send("/help", chat=group))[0])
    assert "/link" in in_group and "/digest" in in_group
    # Logging is private: not offered in a group.
    assert "/log " not in in_group and "/export" not in in_group
