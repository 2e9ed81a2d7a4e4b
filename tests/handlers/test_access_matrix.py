"""The access matrix (issue 7, Security): every command and every callback handler registered in the
built Application × every role (no unit, cadre, unit leader, operator) × inside / outside the
actor's subtree × private / group chat, through the emulator.

Each handler declares its rule (handlers/access_rules.py); the expected outcome of every cell is
computed from that rule, and the observed one from what the bot answers: a refusal is one of the
rule's refusal messages (and the database is unchanged), anything else is "allowed". A handler
without a rule, or without a probe here, fails the test. Between cells the SQLite file is restored,
so every cell starts from the same state.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import activities as acts
from bot import conversation, reports
from bot import proposals as props
from bot.access import load_actor
from bot.conversation import FlowState
from bot.demo import seed_demo_meetings, seed_demo_round
from bot.i18n import Translator
from bot.meetings import MeetingPlan, create_meeting
from bot.onboarding import create_invite
from bot.periods import period_containing
from bot.petition_record import NewPetition
from bot.petition_record import record as record_petition
from bot.runtime.app import build_application
from handlers import access_rules
from handlers.access_rules import Rule, Who, all_handlers, missing_rules, rule_of
from handlers.fallback import OVERSIZED_NUMBER
from storage.db import Database
from storage.models import Base, Invite, Meeting, Report
from storage.queries import chats as chats_q
from storage.queries import people as people_q
from storage.queries import reports as reports_q
from storage.queries import units as units_q
from tests.harness import Harness, unit_of
from tests.petition_items import record as record_item

ROLES = {"none": 1012, "cadre": 1004, "admin": 1002, "owner": 1000}
RANK = {"none": 0, "cadre": 1, "admin": 2, "owner": 3}
NEED = {Who.ANYONE: 0, Who.MEMBER: 1, Who.ADMIN: 2}
FREE, IN, OUT = -1000100, -1000101, -1000102
#: Rows these tables change on any update (who talked, when; the replay guard's note that an update
#: ran a writing statement, even one that changed nothing; the long poller's inbox, which stores
#: every update before it runs): not what a refusal changes.
VOLATILE = {"people", "handled_updates", "inbox"}
COMMON_REFUSALS = (
    "You are not in any unit yet. Ask your unit's leader for an invite link and open it.",
    "This button is no longer active.",
)


@dataclass(frozen=True)
class Probe:
    """What a user sends (``/command ...``) or presses (callback data), with ``{placeholders}``.

    ``out`` is the same request naming objects outside the subtree (None: the handler names no
    object, so there is no "outside" cell); ``out_chats`` where that makes sense; ``setup`` is
    sent or pressed first (a flow to be in); ``group`` is the group chat of the "inside" cells.
    """

    text: str
    out: str | None = None
    out_chats: tuple[str, ...] = ("private", "group")
    setup: tuple[str, ...] = ()
    group: int = IN
    action: str | None = None
    bound: bool = False
    #: Where the flow the action belongs to can be started: elsewhere the button is stale.
    chats: tuple[str, ...] = ("private", "group")


COMMAND_PROBES: dict[str, Probe] = {
    "start": Probe("/start"),
    "help": Probe("/help"),
    "me": Probe("/me"),
    "language": Probe("/language"),
    "cancel": Probe("/cancel"),
    "back": Probe("/back"),
    "skip": Probe("/skip"),
    "invite": Probe("/invite"),
    "members": Probe("/members"),
    "log": Probe("/log"),
    "mine": Probe("/mine"),
    "report": Probe("/report"),
    "review": Probe("/review"),
    "status": Probe("/status {round_in}", out="/status {round_out}"),
    "round": Probe("/round"),
    "meeting": Probe("/meeting"),
    "meetings": Probe("/meetings"),
    # With a code: an item of the asker's chain, and one of another commune (without: the flow,
    # probed by its buttons below).
    # /petition alone records a new item; with an argument it opens one (its own handler).
    "petition": Probe("/petition"),
    "petition+args": Probe("/petition {petition_in_code}", out="/petition {petition_out_code}"),
    "totals": Probe("/totals 02365-t1", out="/totals 02350-t1"),
    "export": Probe("/export 02365-t1", out="/export 02350-t1"),
    "link": Probe("/link", group=FREE),
    "unlink": Probe("/unlink", out="/unlink", out_chats=("group",)),
    "settings": Probe("/settings", out="/settings", out_chats=("group",)),
    "digest": Probe("/digest", out="/digest", out_chats=("group",)),
    "forgetme": Probe("/forgetme"),
    "petitions": Probe("/petitions"),
}


async def answer_everything(
    session: Any, template_row: Any, report_id: int, person_id: int, now: datetime
) -> None:
    """Complete answers (the least of each kind): a submitted report is a complete one, and
    /report opens an incomplete one at its unanswered question (issue 16)."""
    template = reports.template_of(template_row)
    least = {"yesno": False, "text": None, "photo": None, "date": now.date().isoformat()}
    for question in template.applicable({}):
        if question.type in ("choice", "multi"):
            key = question.options[0].key
            value: Any = key if question.type == "choice" else [key]
        else:
            value = least.get(question.type, 0)
        await reports_q.upsert_answer(
            session, report_id, question.key, {"v": value}, person_id, now
        )


async def petition_items(session: Any, now: datetime) -> dict[str, Any]:
    """Items in each state the card's buttons start from, inside (Yên Nguyên, recorded by Nam)
    and outside (Kim Bình, by Anna): ``kn_<state>_in`` / ``_out`` ids, their codes, and an
    officer of each commune's UBND (the colleague an item is assigned to)."""
    found: dict[str, Any] = {}
    for side, place, recorder, officer in (
        ("in", "02365", 1004, 1013),
        ("out", "02350", 1011, 1014),
    ):
        authority = await unit_of(session, f"{place}-ubnd")
        for state in ("new", "fwd", "answered", "ext", "closed"):
            p = await record_item(session, now, place=place, recorder=recorder)
            if state != "new":
                p.status, p.authority_unit_id = "forwarded", authority.id
                p.due_on = now.date() + timedelta(days=30)
            if state == "answered":
                p.status, p.answer = "answered", "Đã xử lý."
            if state == "ext":
                p.extension_until = now.date() + timedelta(days=45)
            if state == "closed":
                p.status, p.answer, p.closed_at = "closed", "Đã xử lý.", now
            found[f"kn_{state}_{side}"] = p.id
        person = await people_q.by_telegram_id(session, officer)
        assert person is not None
        found[f"kn_officer_{side}"] = person.id
    return found


class _Keep(dict[str, str]):
    """``format_map`` that fills the keys given and leaves the other placeholders as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


#: Flows started in a private chat only (typed answers in a group are not read).
PRIVATE_FLOW = ("private",)
ROUND_TO_UNIT = ("/round", "rnd:template:t:{template}", "rnd:period:p:{period}")
MEETING_TO_DURATION = ("/meeting", "mts:kind:k:0", "> Họp thử quyền", "> {meeting_day} 8h")
MEETING_TO_AGENDA = (*MEETING_TO_DURATION, "mts:duration:d:60", "> Hội trường")
#: The seeded items forwarded to the UBND (petition_items) make a giao ban ask whether to put
#: them on the agenda (issue 17) before who is invited.
MEETING_TO_ITEMS = (*MEETING_TO_AGENDA, "mts:agenda:sk")
MEETING_TO_INVITE = (*MEETING_TO_ITEMS, "mts:items:n")
MEETING_TO_PICK = (*MEETING_TO_INVITE, "mts:invite:i:pick")
MEETING_TO_REVIEW = (*MEETING_TO_INVITE, "mts:invite:i:self")
RESCHEDULE_PAST = ("mtg:rs:{past_meeting}", "> {meeting_day} 9h")
LOG_SUSPENDED = ("/log", "/report", "/invite", "/cancel")
MINUTES_TO_FILE = ("mtg:mn:{past_meeting}", "> Thống nhất kế hoạch quý tới.")
MINUTES_TO_ATTENDANCE = (*MINUTES_TO_FILE, "mmin:file:s")
LOG_TO_DATE = ("/log", "log:type:t:hoa_giai", "> 2")
LOG_TO_REVIEW = (*LOG_TO_DATE, "log:date:d:0", "log:note:n", "log:photo:p")
EDIT_NOTE = ("mine:f:{activity_in}:note",)
MEMBERS_LIST = ("/members", "mem:unit:u:{unit_in}")
MEMBER_SHOWN = (*MEMBERS_LIST, "mem:list:p:{member_in}")
EDIT_ABOVE_CEILING = ("mine:f:{activity_in}:m:cases", "> 150")
#: Petitions (issue 17): the People's Committee's buttons are for its officers, which none of the
#: seeded roles is; each member role first joins Yên Nguyên's UBND by an invite link ("none"
#: stays without a unit), so the cell tests the rule, not that seeding.
KN_OFFICER = ("{kn_join}",)
KN_ANSWER_TYPED = (*KN_OFFICER, "kn:an:{kn_fwd_in}", "> Đã xử lý xong.")


def _kn(action: str, item: str, *, officer: bool = False, tail: str = "") -> Probe:
    """A probe of the card's button ``action`` on the item ``kn_<item>_in`` (outside: ``_out``)."""
    return Probe(
        f"kn:{action}:{{kn_{item}_in}}{tail}",
        out=f"kn:{action}:{{kn_{item}_out}}{tail.replace('_in}', '_out}')}",
        setup=KN_OFFICER if officer else (),
        action=action,
        bound=officer,
    )


#: Every callback action the code makes or accepts has a probe here (``test_every_callback_action_
#: has_a_probe`` derives the list from the code). Setup steps are commands (``/...``), typed text
#: (``> ...``) or button data; ``bound`` probes act on the object of the flow the presser is in, so
#: another object is refused to everyone, operators too.
CALLBACK_PROBES: dict[str, list[Probe]] = {
    "^fgt:": [Probe("fgt:no", action="no"), Probe("fgt:yes", action="yes")],
    "^lang:": [Probe("lang:en")],
    # /me's "change name and phone" and the flow it starts: only the presser's own name, in private.
    "^me:edit$": [Probe("me:edit")],
    "^prf:": [
        Probe("prf:name:k", setup=("me:edit",), action="name", chats=PRIVATE_FLOW),
        Probe("prf:phone:k", setup=("me:edit", "prf:name:k"), action="phone", chats=PRIVATE_FLOW),
        Probe("prf:phone:x", setup=("me:edit", "prf:name:k"), action="phone", chats=PRIVATE_FLOW),
        Probe("prf:~:go", setup=("me:edit", "/cancel"), action="~", chats=PRIVATE_FLOW),
        Probe("prf:~:new", setup=("me:edit",), action="~", chats=PRIVATE_FLOW),
    ],
    # A guided entry suspended by a report or an invite, which /cancel ends: "go back to it?".
    "^flow:": [
        Probe("flow:back:log", setup=LOG_SUSPENDED, action="back", chats=PRIVATE_FLOW),
        Probe("flow:drop:log", setup=LOG_SUSPENDED, action="drop", chats=PRIVATE_FLOW),
    ],
    "^inv:": [
        Probe(
            "inv:unit:o:{unit_in}:0",
            out="inv:unit:o:{unit_out}:0",
            setup=("/invite",),
            action="unit",
        ),
        Probe(
            "inv:unit:u:{unit_in}", out="inv:unit:u:{unit_out}", setup=("/invite",), action="unit"
        ),
        Probe("inv:role:r:cadre", setup=("/invite", "inv:unit:u:{unit_in}"), action="role"),
        Probe(
            "inv:uses:n:5",
            setup=("/invite", "inv:unit:u:{unit_in}", "inv:role:r:cadre"),
            action="uses",
        ),
        Probe("inv:~:go", setup=("/invite", "inv:unit:u:{unit_in}", "/cancel"), action="~"),
        Probe("inv:~:new", setup=("/invite",), action="~"),
    ],
    # /members: the unit picker's units are checked; a member or a link pressed must be of the
    # flow's unit (bound: another unit's is refused to everyone, operators too).
    "^mem:": [
        Probe(
            "mem:unit:o:{unit_in}:0",
            out="mem:unit:o:{unit_out}:0",
            setup=("/members",),
            action="unit",
        ),
        Probe(
            "mem:unit:u:{unit_in}", out="mem:unit:u:{unit_out}", setup=("/members",), action="unit"
        ),
        Probe(
            "mem:list:p:{member_in}",
            out="mem:list:p:{member_out}",
            setup=MEMBERS_LIST,
            action="list",
            bound=True,
        ),
        Probe(
            "mem:list:i:{invite_in}",
            out="mem:list:i:{invite_out}",
            setup=MEMBERS_LIST,
            action="list",
            bound=True,
        ),
        *(Probe(f"mem:list:{data}", setup=MEMBERS_LIST, action="list") for data in ("u", "x", "h")),
        *(
            Probe(f"mem:member:{data}", setup=MEMBER_SHOWN, action="member")
            for data in ("r:admin", "x", "b")
        ),
        *(
            Probe(f"mem:remove:{data}", setup=(*MEMBER_SHOWN, "mem:member:x"), action="remove")
            for data in ("y", "n")
        ),
        *(
            Probe(
                f"mem:invite:{data}",
                setup=(*MEMBERS_LIST, "mem:list:i:{invite_in}"),
                action="invite",
            )
            for data in ("w", "b")
        ),
        # The unit's change history: the list's own rule (the flow's unit, one the presser leads).
        Probe("mem:history:b", setup=(*MEMBERS_LIST, "mem:list:h"), action="history"),
        Probe("mem:~:go", setup=(*MEMBERS_LIST, "/cancel"), action="~"),
        Probe("mem:~:new", setup=("/members",), action="~"),
    ],
    # The guided /log, each step's buttons in the flow that reaches that step.
    "^log:": [
        Probe(
            "log:unit:u:{own_unit}",
            out="log:unit:u:{unit_out}",
            setup=("!log:unit",),
            action="unit",
            bound=True,
            chats=PRIVATE_FLOW,
        ),
        Probe("log:type:t:hoa_giai", setup=("/log",), action="type"),
        # A step saved before /log ran on the kernel, taken over at its first use.
        Probe("log:draft:t:hoa_giai", setup=("!log:draft",), action="draft", chats=PRIVATE_FLOW),
        Probe("log:type:p:1", setup=("/log",), action="type"),
        Probe("log:confirm:y", setup=("/log quy 68 tỷ",), action="confirm"),
        Probe("log:confirm:n", setup=("/log quy 68 tỷ",), action="confirm"),
        Probe("log:date:d:1", setup=LOG_TO_DATE, action="date"),
        Probe("log:note:n", setup=(*LOG_TO_DATE, "log:date:d:0"), action="note"),
        Probe("log:photo:p", setup=(*LOG_TO_DATE, "log:date:d:0", "log:note:n"), action="photo"),
        *(
            Probe(f"log:review:{data}", setup=LOG_TO_REVIEW, action="review")
            for data in ("s", "e", "f:date", "x")
        ),
        Probe("log:~:go", setup=(*LOG_TO_DATE, "/cancel"), action="~"),
        Probe("log:~:new", setup=("/log",), action="~"),
    ],
    # "Saved at 10:02 — save another one?" (the same /log shortcut twice): one's latest entry.
    "^lga:": [Probe("lga:y:{own_entry}", action="y"), Probe("lga:n:{own_entry}", action="n")],
    # A proposal card (issue 18): one's own proposal; another person's is refused to everyone.
    "^prp:": [
        *(
            Probe(
                f"prp:{action}:{{own_proposal}}",
                out=f"prp:{action}:{{proposal_out}}",
                action=action,
                bound=True,
            )
            for action in ("s", "e", "x")
        ),
        Probe(
            "prp:u:{own_proposal}:{own_unit}",
            out="prp:u:{proposal_out}:{unit_out}",
            action="u",
            bound=True,
        ),
    ],
    "^mine:": [
        Probe("mine:h:{activity_in}", out="mine:h:{activity_out}", action="h"),
        Probe("mine:e:{activity_in}", out="mine:e:{activity_out}", action="e"),
        Probe("mine:f:{activity_in}:note", out="mine:f:{activity_out}:note", action="f"),
        Probe("mine:d:{activity_in}", out="mine:d:{activity_out}", action="d"),
        Probe("mine:dn:{activity_in}", out="mine:dn:{activity_out}", action="dn"),
        Probe("mine:dy:{activity_in}", out="mine:dy:{activity_out}", action="dy"),
        Probe("mine:p:1:a", action="p"),
    ],
    # Changing a field of an entry (opened by its /mine button): the entry is the flow's.
    "^ed:": [
        Probe("ed:value:k", setup=EDIT_NOTE, action="value", chats=PRIVATE_FLOW),
        Probe("ed:confirm:y", setup=EDIT_ABOVE_CEILING, action="confirm", chats=PRIVATE_FLOW),
        Probe("ed:confirm:n", setup=EDIT_ABOVE_CEILING, action="confirm", chats=PRIVATE_FLOW),
    ],
    "^rep:st:": [Probe("rep:st:{round_in}", out="rep:st:{round_out}")],
    # /totals' buttons carry the whole view: a unit of another commune is refused at the press.
    "^tot:": [
        Probe("tot:{unit_in}:{period}:-:u:0", out="tot:{unit_out}:{period}:-:u:0"),
        Probe("tot:{own_unit}:{period}:-:o:1", out="tot:{commune_out}:{period}:-:o:1"),
        # The recommendations' view (handlers/petitions/totals.py) rides on the same buttons.
        Probe("tot:{unit_in}:{period}:~kn:u:0", out="tot:{unit_out}:{period}:~kn:u:0"),
    ],
    "^rep:": [
        Probe(f"rep:{data}", out=f"rep:{data}".replace("_in}", "_out}"), action=data.split(":")[0])
        for data in (
            "o:{report_in}",
            "ok:{report_in}",
            "okc:{report_in}",
            "okx:{report_in}",
            "ret:{report_in}",
            "reo:{report_in}",
        )
    ],
    # /report on the kernel: the list of reports names one (checked again); the review's buttons
    # act on the report of the presser's own flow.
    "^rpt:": [
        Probe(
            "rpt:pick:o:{report_in}",
            out="rpt:pick:o:{report_out}",
            setup=("!report:pick",),
            action="pick",
            chats=PRIVATE_FLOW,
        ),
        Probe("rpt:review:ed", setup=("rep:o:{report_in}",), action="review", chats=PRIVATE_FLOW),
        Probe("rpt:~:go", setup=("rep:o:{report_in}", "/cancel"), action="~", chats=PRIVATE_FLOW),
        Probe("rpt:~:new", setup=("rep:o:{report_in}",), action="~", chats=PRIVATE_FLOW),
    ],
    "^rnd:": [
        Probe("rnd:template:t:{template}", setup=("/round",), action="template"),
        Probe(
            "rnd:period:p:{period}", setup=("/round", "rnd:template:t:{template}"), action="period"
        ),
        Probe(
            "rnd:unit:u:{unit_in}",
            out="rnd:unit:u:{unit_out}",
            setup=ROUND_TO_UNIT,
            action="unit",
        ),
        Probe("rnd:targets:k:-", setup=(*ROUND_TO_UNIT, "rnd:unit:u:{unit_in}"), action="targets"),
        Probe(
            "rnd:org:g:-",
            setup=(*ROUND_TO_UNIT, "rnd:unit:u:{unit_in}", "rnd:targets:k:-"),
            action="org",
        ),
        Probe(
            "rnd:deadline:d:{deadline}",
            setup=(*ROUND_TO_UNIT, "rnd:unit:u:{unit_in}", "rnd:targets:k:-", "rnd:org:g:-"),
            action="deadline",
        ),
        Probe(
            "rnd:early:n",
            setup=(
                *ROUND_TO_UNIT,
                "rnd:unit:u:{unit_in}",
                "rnd:targets:k:-",
                "rnd:org:g:-",
                "> {before_cutoff}",
            ),
            action="early",
        ),
        Probe("rnd:~:go", setup=(*ROUND_TO_UNIT, "/cancel"), action="~"),
        Probe("rnd:~:new", setup=("/round",), action="~"),
    ],
    "^lnk:": [Probe("lnk:{commune_in}", out="lnk:{commune_out}", out_chats=("group",))],
    "^set:": [
        Probe(f"set:{data}", out=f"set:{data}", out_chats=("group",), action=data[0])
        for data in ("w", "m", "l:en")
    ],
    # Scheduling a meeting (a kernel flow): each step's buttons, in the flow at that step.
    "^mts:": [
        Probe(
            "mts:unit:o:{own_unit}",
            out="mts:unit:o:{unit_out}",
            setup=("!meeting:unit",),
            action="unit",
            chats=PRIVATE_FLOW,
            bound=True,
        ),
        Probe("mts:kind:k:0", setup=("/meeting",), action="kind", chats=PRIVATE_FLOW),
        Probe(
            "mts:duration:d:60", setup=MEETING_TO_DURATION, action="duration", chats=PRIVATE_FLOW
        ),
        Probe("mts:agenda:sk", setup=MEETING_TO_AGENDA, action="agenda", chats=PRIVATE_FLOW),
        Probe("mts:items:y", setup=MEETING_TO_ITEMS, action="items", chats=PRIVATE_FLOW),
        Probe("mts:invite:i:pick", setup=MEETING_TO_INVITE, action="invite", chats=PRIVATE_FLOW),
        Probe(
            "mts:pick:t:{own_child}",
            out="mts:pick:t:{unit_out}",
            setup=MEETING_TO_PICK,
            action="pick",
            chats=PRIVATE_FLOW,
            bound=True,
        ),
        Probe("mts:review:go", setup=MEETING_TO_REVIEW, action="review", chats=PRIVATE_FLOW),
        Probe("mts:~:go", setup=(*MEETING_TO_AGENDA, "/cancel"), action="~", chats=PRIVATE_FLOW),
        Probe("mts:~:new", setup=("/meeting",), action="~", chats=PRIVATE_FLOW),
    ],
    # Recording a recommendation (a kernel flow): each step's buttons, at that step.
    "^pet:": [
        *(
            Probe(
                f"pet:{step}:{action}",
                setup=(f"!petition:{step}",),
                action=step,
                chats=PRIVATE_FLOW,
            )
            for step, action in (
                ("category", "c:khac"),
                ("source", "s:don_thu"),
                ("people", "sk"),
                ("received", "sk"),
                ("files", "d"),
                ("consent", "y"),
                ("review", "go"),
            )
        ),
        Probe(
            "pet:place:p:{own_place}",
            out="pet:place:p:{unit_out}",
            setup=("!petition:place",),
            action="place",
            chats=PRIVATE_FLOW,
            bound=True,
        ),
        Probe("pet:~:go", setup=("/petition", "/cancel"), action="~", chats=PRIVATE_FLOW),
        Probe("pet:~:new", setup=("/petition",), action="~", chats=PRIVATE_FLOW),
    ],
    # The citizen's follow link of an item: made by people in its chain.
    "^pcl:": [Probe("pcl:l:{petition_in}", out="pcl:l:{petition_out}", action="l")],
    "^mtg:": [
        # A meeting's buttons, on a meeting of the subtree and on one outside it.
        Probe("mtg:v:{meeting_in}", out="mtg:v:{meeting_out}", action="v"),
        Probe("mtg:y:{own_meeting}", out="mtg:y:{meeting_out}", action="y"),
        Probe("mtg:n:{own_meeting}", out="mtg:n:{meeting_out}", action="n"),
        Probe("mtg:dl:{own_meeting}", out="mtg:dl:{meeting_out}", action="dl"),
        Probe("mtg:doc:{meeting_in}", out="mtg:doc:{meeting_out}", action="doc"),
        Probe("mtg:rm:{meeting_in}", out="mtg:rm:{meeting_out}", action="rm"),
        Probe("mtg:rs:{meeting_in}", out="mtg:rs:{meeting_out}", action="rs"),
        Probe("mtg:cx:{meeting_in}", out="mtg:cx:{meeting_out}", action="cx"),
        Probe("mtg:cxy:{meeting_in}", out="mtg:cxy:{meeting_out}", action="cxy"),
        Probe("mtg:cxn:{meeting_in}", out="mtg:cxn:{meeting_out}", action="cxn"),
        Probe("mtg:mn:{past_meeting}", out="mtg:mn:{meeting_out}", action="mn"),
    ],
    # The one-shot prompts' own steps (handlers/flow): their meeting is the prompt's.
    "^kn:": [
        *(_kn(a, "new") for a in ("v", "h", "fw", "su", "fwy", "suy", "kb", "af", "mg", "dc")),
        *(_kn(a, "answered") for a in ("ok", "no")),
        *(_kn(a, "ext") for a in ("xg", "xr")),
        _kn("inf", "closed"),
        *(_kn(a, "fwd", officer=True) for a in ("ak", "an", "as", "xa")),
        _kn("asp", "fwd", officer=True, tail=":{kn_officer_in}"),
    ],
    "^knl:": [
        Probe("knl:-:-:0"),
        Probe("knl:-:-:1", action="-"),
        Probe("knl:fs:-:-", action="fs"),
        Probe("knl:fc:-:ha_tang", action="fc"),
    ],
    "^knn:": [
        Probe("knn:file:n", setup=KN_ANSWER_TYPED, action="file", chats=PRIVATE_FLOW),
    ],
    "^mtime:": [
        Probe("mtime:confirm:y", setup=RESCHEDULE_PAST, action="confirm", chats=PRIVATE_FLOW),
        Probe("mtime:confirm:n", setup=RESCHEDULE_PAST, action="confirm", chats=PRIVATE_FLOW),
    ],
    "^mmin:": [
        Probe("mmin:file:s", setup=MINUTES_TO_FILE, action="file", chats=PRIVATE_FLOW),
        # A person not invited to the prompt's meeting is refused, whoever presses.
        Probe(
            "mmin:att:t:{invitee}",
            out="mmin:att:t:{not_invitee}",
            out_chats=("private",),
            setup=MINUTES_TO_ATTENDANCE,
            action="att",
            bound=True,
            chats=PRIVATE_FLOW,
        ),
        Probe("mmin:att:p:0", setup=MINUTES_TO_ATTENDANCE, action="att", chats=PRIVATE_FLOW),
        Probe("mmin:att:s", setup=MINUTES_TO_ATTENDANCE, action="att", chats=PRIVATE_FLOW),
    ],
}


def expected_allowed(rule: Rule, probe: Probe, role: str, scope: str, chat: str) -> bool:
    if chat not in rule.chats or chat not in probe.chats:
        return False
    if RANK[role] < NEED[rule.who_for(probe.action)]:
        return False
    outside = rule.scoped and scope == "out"
    bound = probe.bound or rule.own_units_for(probe.action)
    return not (outside and (role != "owner" or bound))


def _pattern(message: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", message)
    return re.compile(".*?".join(re.escape(p) for p in parts), re.S)


class Matrix:
    """The harness plus the objects each cell names, and the SQLite snapshot to restore."""

    def __init__(self, h: Harness, path: Path) -> None:
        self.h = h
        self.path = path
        self.pristine = path.with_suffix(".pristine")
        self.ids: dict[str, Any] = {}
        self.groups: dict[int, Any] = {}
        self.baseline: dict[str, str] = {}

    async def prepare(self) -> None:
        h = self.h
        assert h.services is not None
        tz = h.services.settings.tz
        demo = await h.seed_demo()
        async with h.db.session() as session:
            now = h.clock.now()
            unit = {c: await unit_of(session, c) for c in ("08", "02365", "02350")}
            unit["in"] = await unit_of(session, "02365-t1")
            unit["out"] = await unit_of(session, "02350-t1")
            assert all(unit.values())
            round_in = await seed_demo_round(session, demo, now, tz)
            assert round_in is not None
            shipped = {t.key: t for t in await reports.latest_templates(session)}
            template = shipped["residential_front"]
            # The round a leader opens in the probes: the thôn's Women's Union branch (the unit
            # "inside", a thôn, has one below it) is a unit the Women's Union report is for.
            probed = shipped["womens_union_quarterly"]
            quarter = period_containing(now.astimezone(tz).date(), "quarter")
            round_out = await reports.open_round(
                session,
                None,
                template_row=template,
                period=quarter,
                root=unit["02350"],
                deadline=now + timedelta(days=14),
                now=now,
                kind="residential_area",
                org="mttq",
                early=True,  # due in two weeks, whatever the period's cut-off
            )
            await seed_demo_meetings(session, demo, now, tz)
            actors = {}
            for tid in (1000, 1002, 1004, 1008, 1011):
                person = await people_q.by_telegram_id(session, tid)
                assert person is not None
                actors[tid] = await load_actor(session, person)
            entry = acts.NewEntry(
                unit_id=unit["in"].id,
                type_key="hoa_giai",
                values={"cases": Decimal(2)},
                occurred_on=now.astimezone(tz).date(),
            )
            act_in = await acts.create_entry(session, actors[1004], entry, now)
            outside = acts.NewEntry(**{**entry.__dict__, "unit_id": unit["out"].id})
            act_out = await acts.create_entry(session, actors[1011], outside, now)
            # The latest entry of a leader and of an operator (the cadre's is ``act_in``).
            latest = {
                tid: await acts.create_entry(
                    session, actors[tid], acts.NewEntry(**{**entry.__dict__, "unit_id": u.id}), now
                )
                for tid, u in ((1002, unit["02365"]), (1000, unit["08"]))
            }
            plan = MeetingPlan(
                kind="giao_ban",
                title="Giao ban xã Kim Bình",
                starts_at=now + timedelta(days=5),
                duration_minutes=60,
                place="UBND xã",
                agenda="",
            )
            meeting_out = await create_meeting(
                session, actors[1008], unit=unit["02350"], plan=plan, invited=[unit["out"]], now=now
            )
            provincial = MeetingPlan(**{**plan.__dict__, "title": "Giao ban tỉnh"})
            owners_meeting = await create_meeting(
                session, actors[1000], unit=unit["08"], plan=provincial, invited=[], now=now
            )
            meeting_in = await session.scalar(
                select(Meeting.id).where(Meeting.title == "Giao ban quý IV với UBND xã")
            )
            past_meeting = await session.scalar(
                select(Meeting.id).where(Meeting.title == "Giao ban công tác Mặt trận tháng 10")
            )
            provinces_child = (await units_q.children(session, unit["08"].id))[0]
            submitted = {}
            for key, row in (("in", round_in), ("out", round_out)):
                report_id = await session.scalar(
                    select(Report.id).where(
                        Report.round_id == row.id, Report.unit_id == unit[key].id
                    )
                )
                assert report_id is not None
                cadre = actors[1004 if key == "in" else 1011].person.id
                await answer_everything(session, template, report_id, cadre, now)
                await session.execute(
                    update(Report)
                    .where(Report.id == report_id)
                    .values(status="submitted", submitted_at=now)
                )
                submitted[key] = report_id
            # An invite link still open in each area (listed, and withdrawn, by /members).
            invites: dict[str, int] = {}
            for key in ("in", "out"):
                await create_invite(
                    session, unit=unit[key], role="cadre", now=now, valid_for=timedelta(days=7)
                )
                invites[key] = int(await session.scalar(select(func.max(Invite.id))) or 0)
            # A recommendation Nam recorded in his thôn, and one Anna recorded in Kim Bình.
            petition = {
                key: await record_petition(
                    session,
                    actors[tid],
                    NewPetition(
                        text="Đề nghị sửa đường liên thôn",
                        category="ha_tang",
                        source="tiep_xuc_cu_tri",
                        place_id=unit[key].id,
                        received_on=now.astimezone(tz).date(),
                    ),
                    now,
                    now.astimezone(tz).date(),
                )
                for key, tid in (("in", 1004), ("out", 1011))
            }
            for chat_id, commune in ((IN, unit["02365"]), (OUT, unit["02350"])):
                await chats_q.link(session, chat_id, commune.id, "group", 1, now, "vi")
            kn = await petition_items(session, now)
            # A proposal read from each member's words (issue 18), and one of Anna's, outside.
            today = now.astimezone(tz).date()
            proposal = {
                tid: (await props.propose(session, actors[tid], "hòa giải 2 vụ", 1, today, now))[
                    0
                ].id
                for tid in (1000, 1002, 1004, 1011)
            }
            ubnd = await unit_of(session, "02365-ubnd")
            joins = {
                role: "/start "
                + await create_invite(
                    session, unit=ubnd, role="cadre", now=now, valid_for=timedelta(days=7)
                )
                for role in ("cadre", "admin", "owner")
            }
        self.ids = {
            **kn,
            "kn_join": {"none": "/help", **joins},
            "unit_in": unit["in"].id,
            "unit_out": unit["out"].id,
            "commune_in": unit["02365"].id,
            "commune_out": unit["02350"].id,
            "round_in": round_in.id,
            "round_out": round_out.id,
            "template": probed.id,
            "period": quarter.key(),
            "activity_in": act_in.id,
            # A member of the area inside (Nam) and of the one outside (Anna), and their links.
            "member_in": actors[1004].person.id,
            "member_out": actors[1011].person.id,
            "invite_in": invites["in"],
            "invite_out": invites["out"],
            "activity_out": act_out.id,
            "meeting_in": meeting_in,
            "meeting_out": meeting_out.id,
            "report_in": submitted["in"],
            "report_out": submitted["out"],
            "past_meeting": past_meeting,
            # Invited to the past meeting (its commune's leader), and someone of another commune.
            "invitee": actors[1002].person.id,
            "not_invitee": actors[1011].person.id,
            "deadline": (now.astimezone(tz).date() + timedelta(days=40)).isoformat(),
            # A deadline still ahead but before the quarter's cut-off: /round asks to confirm it.
            "before_cutoff": (quarter.end - timedelta(days=1)).strftime("%d/%m/%Y"),
            "meeting_day": (now.astimezone(tz) + timedelta(days=6)).strftime("%d/%m"),
            # What is one's own differs by role: the unit one logs for, a meeting one is invited to.
            "own_entry": {
                "none": act_in.id,
                "cadre": act_in.id,
                "admin": latest[1002].id,
                "owner": latest[1000].id,
            },
            "own_unit": {
                "none": unit["in"].id,
                "cadre": unit["in"].id,
                "admin": unit["02365"].id,
                "owner": unit["08"].id,
            },
            # A unit one may invite to a meeting of the unit one leads.
            "petition_in": petition["in"].id,
            "petition_out": petition["out"].id,
            "petition_in_code": petition["in"].code,
            "petition_out_code": petition["out"].code,
            # A place one may record a recommendation for.
            # One's own proposal (the stranger, with none, presses Nam's).
            "own_proposal": {
                "none": proposal[1004],
                "cadre": proposal[1004],
                "admin": proposal[1002],
                "owner": proposal[1000],
            },
            "proposal_out": proposal[1011],
            "own_place": {
                "none": unit["in"].id,
                "cadre": unit["in"].id,
                "admin": unit["02365"].id,
                "owner": unit["08"].id,
            },
            "own_child": {
                "none": unit["in"].id,
                "cadre": unit["in"].id,
                "admin": unit["in"].id,
                "owner": provinces_child.id,
            },
            "own_meeting": {
                "none": meeting_in,
                "cadre": meeting_in,
                "admin": meeting_in,
                "owner": owners_meeting.id,
            },
        }
        titles = ((FREE, "Nhóm mới"), (IN, "Nhóm Yên Nguyên"), (OUT, "Nhóm Kim Bình"))
        for chat_id, title in titles:
            group = h.emu.group(chat_id, title, supergroup=True)
            await group.add_bot(h.user(1002, "Lan"), as_admin=True)
            for tid in ROLES.values():
                h.user(tid, "Người dùng")
                # Everyone administers the groups: the matrix tests our rules, not Telegram's.
                h.emu.set_member_status(chat_id, tid, "administrator")
            self.groups[chat_id] = group
        self.baseline = await self.snapshot()
        assert "Giao ban tỉnh" in self.baseline["meetings"]  # the snapshot sees the rows
        await self.h.db.dispose()
        shutil.copy(self.path, self.pristine)

    async def restore(self) -> None:
        await self.h.db.dispose()
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)  # noqa: ASYNC240 - a test file
        shutil.copy(self.pristine, self.path)

    def fill(self, text: str, role: str) -> str:
        values = {k: (v[role] if isinstance(v, dict) else v) for k, v in self.ids.items()}
        return text.format(**values)

    async def snapshot(self) -> dict[str, str]:
        """Every row of every table but the volatile ones, as SQLite quotes it, in one query per
        table: the matrix takes two snapshots per refused cell, so this stays in SQLite's C."""
        async with self.h.db.session() as session:
            result = {}
            for table in Base.metadata.sorted_tables:
                if table.name in VOLATILE:
                    continue
                row = " || '|' || ".join(f'quote("{c.name}")' for c in table.columns)
                query = f'SELECT group_concat(r, char(10)) FROM (SELECT {row} AS r FROM "{table.name}" ORDER BY r)'
                result[table.name] = str(await session.scalar(text(query)))
            return result

    async def run(
        self, rule: Rule, probe: Probe, role: str, scope: str, chat: str, callback: bool
    ) -> tuple[bool, list[str]]:
        """(refused?, what the user saw) for one cell; also checks a refusal changed nothing."""
        h = self.h
        await self.restore()
        user = h.user(ROLES[role], "Người dùng")
        group = None
        if chat == "group":
            group = self.groups[OUT if scope == "out" else probe.group]
        for step in probe.setup:
            step = self.fill(step, role)
            if step.startswith(("/", "> ")):
                await user.send(step.removeprefix("> "), chat=group)
            elif step.startswith("!"):
                # A private flow's step the seeded roles cannot reach (one admin unit each).
                flow, name = step[1:].split(":")
                if group is None:
                    state = FlowState(flow, name)
                    assert h.services is not None
                    await conversation.save(h.services, ROLES[role], ROLES[role], state)
            else:
                await user.press_data(step, chat=group)
        before = await self.snapshot() if probe.setup else self.baseline
        text = self.fill(probe.out if scope == "out" and probe.out else probe.text, role)
        if callback:
            user.last_answer = None
            await user.send("/help", chat=group)  # a fresh message to attach the button to
            replies = await user.press_data(text, chat=group)
            seen = [m.source or m.text or "" for m in replies]
            if user.last_answer and user.last_answer.get("text"):
                seen.append(str(user.last_answer["text"]))
        else:
            replies = await user.send(text, chat=group)
            seen = [m.source or m.text or "" for m in replies]
        patterns = [_pattern(self.tr._(m)) for m in (*rule.refusals, *COMMON_REFUSALS)]
        refused = any(p.fullmatch(s.strip()) for p in patterns for s in seen)
        if refused:
            after = await self.snapshot()
            changed = [t for t in before if before[t] != after[t]]
            assert not changed, f"a refusal changed {changed}: {probe} {role} {scope} {chat}"
        return refused, seen

    @property
    def tr(self) -> Translator:
        assert self.h.services is not None
        return self.h.services.i18n.translator("vi")


@pytest.fixture
async def matrix(backend: str, harness: Harness, db: Database, tmp_path: Path) -> Matrix:
    if backend != "sqlite":
        pytest.skip("the matrix restores a SQLite file between cells")
    m = Matrix(harness, tmp_path / "phoihop.db")
    await m.prepare()
    return m


def _probes(app: Any) -> list[tuple[str, Rule, Probe, bool]]:
    """(name, rule, probe, is-callback) for every command and callback handler in the app."""
    found: list[tuple[str, Rule, Probe, bool]] = []
    missing: list[str] = []
    for _, handler in all_handlers(app):
        declared = rule_of(handler)
        assert declared is not None
        if isinstance(handler, CommandHandler):
            for name in sorted(handler.commands):
                # A command handled apart with arguments (has_args) has a probe of its own.
                key = f"{name}+args" if handler.has_args is True else name
                if key not in COMMAND_PROBES:
                    missing.append(f"/{key}")
                    continue
                found.append((f"/{key}", declared, COMMAND_PROBES[key], False))
        elif isinstance(handler, CallbackQueryHandler):
            pattern = getattr(handler.pattern, "pattern", handler.pattern)
            if pattern is None or pattern == OVERSIZED_NUMBER:
                continue  # catch-alls: test_catch_all_buttons_refuse_everyone
            if not isinstance(pattern, str) or pattern not in CALLBACK_PROBES:
                missing.append(f"callback {pattern}")
                continue
            for probe in CALLBACK_PROBES[pattern]:
                found.append((f"callback {probe.text}", declared, probe, True))
    assert not missing, f"handlers without a probe in the access matrix: {missing}"
    return found


async def test_access_matrix(matrix: Matrix, caplog: pytest.LogCaptureFixture) -> None:
    assert matrix.h.app is not None
    mismatches: list[str] = []
    cells = 0
    for name, declared, probe, callback in _probes(matrix.h.app):
        for role in ROLES:
            for chat in ("private", "group"):
                scopes = ["in"]
                if probe.out is not None and chat in probe.out_chats and role != "none":
                    scopes.append("out")
                for scope in scopes:
                    cells += 1
                    allowed = expected_allowed(declared, probe, role, scope, chat)
                    refused, seen = await matrix.run(declared, probe, role, scope, chat, callback)
                    cell = f"{name} {role} {scope} {chat}"
                    if refused == allowed or (allowed and not seen):
                        expected = "allowed" if allowed else "refused"
                        mismatches.append(f"{cell}: expected {expected}, saw {seen}")
                    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
                    if errors:
                        mismatches.append(f"{cell}: crashed: {errors[0].getMessage()}")
                    caplog.clear()
    assert cells > 1000, cells
    assert not mismatches, "\n".join(mismatches)


def _action_expr(node: ast.AST) -> bool:
    """``action`` (the dispatchers' name for the second part of the data) or ``parts[1]``."""
    if isinstance(node, ast.Name):
        return node.id == "action"
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "parts"
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == 1
    )


def _strings(node: ast.AST | None, bindings: dict[str, ast.AST]) -> set[str]:
    """The strings a literal holds: a string, a tuple or set of them, a dict's keys, or a name
    bound to one of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return {
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
    if isinstance(node, ast.Dict):
        return {
            k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    if isinstance(node, ast.Name) and node.id in bindings:
        return _strings(bindings[node.id], bindings)
    return set()


def accepted_actions(callback: Any, sources: dict[str, str] | None = None) -> set[str]:
    """The actions a button dispatcher accepts, read from its source and the functions of its room
    it reaches (its module; or its package, when the room is one, as ``handlers/meetings/``): what
    ``action`` (or ``parts[1]``) is compared with, looked up in (a dict or tuple of actions) or
    dispatched through, and whole data compared with ``query.data``. ``sources`` replaces the
    source of some modules (by module name), to show the reading sees a change."""
    name = callback.__module__
    if name == "handlers.flow.entry":
        # A flow's buttons (flow.button_handler): the kernel takes the step's name as the action
        # and its rule lists every step with buttons (flow.button_rule), which code_actions adds.
        return set()
    room = name.rpartition(".")[0] if name.count(".") > 1 else name
    modules: dict[str, tuple[dict[str, ast.AST], dict[str, ast.AST]]] = {}

    def read(module_name: str) -> tuple[dict[str, ast.AST], dict[str, ast.AST]]:
        """A module's functions and module-level bindings, parsed once."""
        if module_name not in modules:
            given = (sources or {}).get(module_name)
            tree = ast.parse(
                given if given is not None else inspect.getsource(sys.modules[module_name])
            )
            functions: dict[str, ast.AST] = {
                n.name: n
                for n in tree.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            bindings: dict[str, ast.AST] = {}
            for n in ast.walk(tree):
                if (
                    isinstance(n, ast.Assign)
                    and len(n.targets) == 1
                    and isinstance(n.targets[0], ast.Name)
                ):
                    bindings[n.targets[0].id] = n.value
                elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value:
                    bindings[n.target.id] = n.value
            modules[module_name] = (functions, bindings)
        return modules[module_name]

    def where(module_name: str, local: str) -> tuple[str, str] | None:
        """The function a name in this module stands for, if it is in the room: defined here, or
        imported from a sibling module."""
        if local in read(module_name)[0]:
            return module_name, local
        target = getattr(sys.modules[module_name], local, None)
        home = getattr(target, "__module__", None)
        if inspect.isfunction(target) and home and (home == room or home.startswith(room + ".")):
            return home, target.__name__
        return None

    found: set[str] = set()
    seen: set[tuple[str, str]] = set()
    todo = [(name, callback.__name__)]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        module_name, function = item
        functions, bindings = read(module_name)
        for n in ast.walk(functions[function]):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                reached = where(module_name, n.id)
                if reached is not None:
                    todo.append(reached)
                elif isinstance(bindings.get(n.id), ast.Dict):
                    table = bindings[n.id]
                    assert isinstance(table, ast.Dict)
                    for v in table.values:
                        if isinstance(v, ast.Name) and (hit := where(module_name, v.id)):
                            todo.append(hit)
            if isinstance(n, ast.Compare):
                sides = [n.left, *n.comparators]
                if any(_action_expr(side) for side in sides):
                    for side in sides:
                        found |= _strings(side, bindings)
                if any(isinstance(side, ast.Attribute) and side.attr == "data" for side in sides):
                    found |= {":" + d for side in sides for d in _strings(side, bindings)}
            elif isinstance(n, ast.Subscript) and _action_expr(n.slice):
                found |= _strings(n.value, bindings)
            elif (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr == "get"
                and n.args
                and _action_expr(n.args[0])
            ):
                found |= _strings(n.func.value, bindings)
    return found


def made_buttons() -> set[str]:
    """The literal start of every string in bot/ and handlers/ (f-strings up to their first
    placeholder): every callback data the bot can put on a button is among them."""
    starts: set[str] = set()
    for path in sorted(Path(p) for d in ("bot", "handlers") for p in Path(d).rglob("*.py")):
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                starts.add(n.value)
            elif isinstance(n, ast.JoinedStr):
                head = n.values[0] if n.values else None
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    starts.add(head.value + "{")
    return starts


def code_actions(app: Any) -> dict[str, set[str | None]]:
    """Per callback pattern, the actions found in the code: those of the buttons the bot makes (the
    part after the pattern, up to the next colon; None when a value follows the pattern, as in
    ``lnk:{unit}``), those its dispatcher accepts, and those its rule names."""
    handlers = [
        (getattr(h.pattern, "pattern", h.pattern), h)
        for _, h in all_handlers(app)
        if isinstance(h, CallbackQueryHandler)
        and h.pattern is not None
        and getattr(h.pattern, "pattern", h.pattern) != OVERSIZED_NUMBER
    ]
    found: dict[str, set[str | None]] = {str(p): set() for p, _ in handlers}

    def owner(data: str) -> str | None:
        return next((str(p) for p, h in handlers if re.match(str(p), data)), None)

    for start in made_buttons():
        owned = owner(start)
        if owned is None:
            continue
        rest = start[len(owned.lstrip("^")) :]
        action = rest.split(":")[0].removesuffix("{")
        found[owned].add(action if action and "{" not in rest.split(":")[0] else None)
    for pattern, handler in handlers:
        declared = rule_of(handler)
        for action in accepted_actions(handler.callback):
            if action.startswith(":"):  # whole data: the part after the pattern
                data = action[1:]
                if owner(data) == pattern:
                    found[str(pattern)].add(data[len(str(pattern).lstrip("^")) :].split(":")[0])
            else:
                found[str(pattern)].add(action)
        found[str(pattern)] |= set(declared.actions if declared else ())
    return found


async def test_every_callback_action_has_a_probe(harness: Harness) -> None:
    """A button action added to the code without a probe here fails; so does a probe of an action
    the code no longer has."""
    assert harness.app is not None
    in_code = code_actions(harness.app)
    probed = {p: {probe.action for probe in probes} for p, probes in CALLBACK_PROBES.items()}
    unprobed = {p: a - probed.get(p, set()) for p, a in in_code.items() if a - probed.get(p, set())}
    gone = {p: a - in_code.get(p, set()) for p, a in probed.items() if a - in_code.get(p, set())}
    assert not unprobed, f"callback actions without a probe in the access matrix: {unprobed}"
    assert not gone, f"probes of actions the code no longer has: {gone}"
    # The reading of the code is not vacuous: it sees dispatch tables and unmade actions.
    assert {"doc", "mn", "cxn", "rs"} <= in_code["^mtg:"]
    assert {"yes", "no"} == in_code["^fgt:"]


def test_a_new_action_in_a_dispatch_table_is_seen() -> None:
    """The reading follows the dispatcher into the modules of its package: a new entry in the
    dispatch table (``buttons.py``) and a new comparison in a function it dispatches to
    (``listing.py``) are seen."""
    from handlers.meetings import buttons, listing, on_button

    assert "zz" not in accepted_actions(on_button)
    table = inspect.getsource(buttons)
    added = table.replace('"v": _view_button,', '"v": _view_button, "zz": _remind,')
    assert added != table
    assert "zz" in accepted_actions(on_button, {buttons.__name__: added})
    screen = inspect.getsource(listing)
    head = screen[screen.index("async def _view_button(") :].split(":\n", 1)[0] + ":\n"
    compared = screen.replace(head, head + '    if action == "zz":\n        return\n', 1)
    assert compared != screen
    assert "zz" in accepted_actions(on_button, {listing.__name__: compared})


async def test_catch_all_buttons_refuse_everyone(matrix: Matrix) -> None:
    h = matrix.h
    stale = matrix.tr._("This button is no longer active.")
    for role, tid in ROLES.items():
        user = h.user(tid, "Người dùng")
        await user.send("/help")
        for data in ("zzz:1", "mtg", "rep:", "mtg:v:" + "9" * 30, "mine:h:" + "1" * 40):
            user.last_answer = None
            await user.press_data(data)
            assert user.last_answer is not None, (role, data)
            assert str(user.last_answer.get("text", "")).startswith(stale[:20]), (role, data)


async def test_every_registered_handler_declares_a_rule(harness: Harness) -> None:
    assert harness.app is not None
    assert missing_rules(harness.app) == []
    registered = {
        f"{c}+args" if h.has_args is True else c
        for _, h in all_handlers(harness.app)
        if isinstance(h, CommandHandler)
        for c in h.commands
    }
    assert registered == set(COMMAND_PROBES)


async def test_a_handler_without_a_rule_is_detected(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert harness.app is not None and harness.services is not None

    async def sneaky(update: object, context: object) -> None:
        """A new feature whose author forgot the rule."""

    harness.app.add_handler(CommandHandler("sneaky", sneaky))
    harness.app.add_handler(CallbackQueryHandler(sneaky, pattern=r"^snk:"), group=1)
    assert missing_rules(harness.app) == ["/sneaky", "callback ^snk:"]
    # Given a rule but no probe, the matrix refuses to run without it.
    access_rules.rule(Who.ANYONE, access_rules.ANY_CHAT)(sneaky)
    assert missing_rules(harness.app) == []
    with pytest.raises(AssertionError, match="without a probe"):
        _probes(harness.app)

    # The composition root refuses to build an application with a handler lacking a rule.
    from bot.runtime import app as app_module

    original = app_module.register_handlers

    async def forgotten(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Another one, never given a rule."""

    def with_forgotten(app: Any, services: Any) -> None:
        original(app, services)
        app.add_handler(CommandHandler("forgotten", forgotten))

    monkeypatch.setattr(app_module, "register_handlers", with_forgotten)
    with pytest.raises(RuntimeError, match="without an access rule: /forgotten"):
        build_application(harness.services, token=harness.emu.token, rate_limit=False)
