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

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import activities as acts
from bot import reports
from bot.access import load_actor
from bot.app import build_application
from bot.demo import seed_demo_meetings, seed_demo_round
from bot.i18n import Translator
from bot.meetings import MeetingPlan, create_meeting
from bot.periods import period_containing
from handlers import access_rules
from handlers.access_rules import Rule, Who, all_handlers, missing_rules, rule_of
from handlers.fallback import OVERSIZED_NUMBER
from storage.db import Database
from storage.models import Base, Meeting, Report
from storage.queries import chats as chats_q
from storage.queries import people as people_q
from storage.queries import units as units_q
from tests.harness import Harness

ROLES = {"none": 1012, "cadre": 1004, "admin": 1002, "owner": 1000}
RANK = {"none": 0, "cadre": 1, "admin": 2, "owner": 3}
NEED = {Who.ANYONE: 0, Who.MEMBER: 1, Who.ADMIN: 2}
FREE, IN, OUT = -1000100, -1000101, -1000102
#: Rows these tables change on any update (who talked, when; the replay guard's note that an update
#: ran a writing statement, even one that changed nothing): not what a refusal changes.
VOLATILE = {"people", "handled_updates"}
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


COMMAND_PROBES: dict[str, Probe] = {
    "start": Probe("/start"),
    "help": Probe("/help"),
    "me": Probe("/me"),
    "language": Probe("/language"),
    "cancel": Probe("/cancel"),
    "back": Probe("/back"),
    "skip": Probe("/skip"),
    "invite": Probe("/invite"),
    "log": Probe("/log"),
    "mine": Probe("/mine"),
    "report": Probe("/report"),
    "review": Probe("/review"),
    "status": Probe("/status {round_in}", out="/status {round_out}"),
    "round": Probe("/round"),
    "meeting": Probe("/meeting"),
    "meetings": Probe("/meetings"),
    "totals": Probe("/totals 02365-t1", out="/totals 02350-t1"),
    "export": Probe("/export 02365-t1", out="/export 02350-t1"),
    "link": Probe("/link", group=FREE),
    "unlink": Probe("/unlink", out="/unlink", out_chats=("group",)),
    "settings": Probe("/settings", out="/settings", out_chats=("group",)),
    "digest": Probe("/digest", out="/digest", out_chats=("group",)),
    "forgetme": Probe("/forgetme"),
}

CALLBACK_PROBES: dict[str, list[Probe]] = {
    "^fgt:": [Probe("fgt:no"), Probe("fgt:yes")],
    "^lang:": [Probe("lang:en")],
    "^inv:": [Probe("inv:u:{unit_in}", out="inv:u:{unit_out}", setup=("/invite",), action="u")],
    "^log:": [Probe("log:u:{own_unit}", out="log:u:{unit_out}", setup=("/log",), action="u")],
    "^mine:": [
        Probe("mine:h:{activity_in}", out="mine:h:{activity_out}", action="h"),
        Probe("mine:dy:{activity_in}", out="mine:dy:{activity_out}", action="dy"),
    ],
    "^rep:st:": [Probe("rep:st:{round_in}", out="rep:st:{round_out}", action="st")],
    "^rep:": [
        Probe("rep:o:{report_in}", out="rep:o:{report_out}", action="o"),
        Probe("rep:ok:{report_in}", out="rep:ok:{report_out}", action="ok"),
    ],
    "^rnd:": [
        Probe(
            "rnd:u:{unit_in}",
            out="rnd:u:{unit_out}",
            setup=("/round", "rnd:t:{template}", "rnd:p:{period}"),
            action="u",
        )
    ],
    "^lnk:": [Probe("lnk:{commune_in}", out="lnk:{commune_out}", out_chats=("group",))],
    "^set:": [Probe("set:w", out="set:w", out_chats=("group",), action="w")],
    "^mtg:": [
        Probe("mtg:v:{meeting_in}", out="mtg:v:{meeting_out}", action="v"),
        Probe("mtg:y:{own_meeting}", out="mtg:y:{meeting_out}", action="y"),
        Probe("mtg:cx:{meeting_in}", out="mtg:cx:{meeting_out}", action="cx"),
    ],
}


def expected_allowed(rule: Rule, action: str | None, role: str, scope: str, chat: str) -> bool:
    if chat not in rule.chats:
        return False
    if RANK[role] < NEED[rule.who_for(action)]:
        return False
    outside = rule.scoped and scope == "out"
    return not (outside and (role != "owner" or rule.own_units_for(action)))


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
        self.baseline: dict[str, list[tuple[str, ...]]] = {}

    async def prepare(self) -> None:
        h = self.h
        assert h.services is not None
        tz = h.services.settings.tz
        demo = await h.seed_demo()
        async with h.db.session() as session:
            now = h.clock.now()
            unit = {c: await units_q.by_code(session, c) for c in ("08", "02365", "02350")}
            unit["in"] = await units_q.by_code(session, "02365-t1")
            unit["out"] = await units_q.by_code(session, "02350-t1")
            assert all(unit.values())
            round_in = await seed_demo_round(session, demo, now, tz)
            assert round_in is not None
            template = next(
                t for t in await reports.latest_templates(session) if t.key == "quarterly_front"
            )
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
            submitted = {}
            for key, row in (("in", round_in), ("out", round_out)):
                report_id = await session.scalar(
                    select(Report.id).where(
                        Report.round_id == row.id, Report.unit_id == unit[key].id
                    )
                )
                assert report_id is not None
                await session.execute(
                    update(Report)
                    .where(Report.id == report_id)
                    .values(status="submitted", submitted_at=now)
                )
                submitted[key] = report_id
            for chat_id, commune in ((IN, unit["02365"]), (OUT, unit["02350"])):
                await chats_q.link(session, chat_id, commune.id, "group", 1, now, "vi")
        self.ids = {
            "unit_in": unit["in"].id,
            "unit_out": unit["out"].id,
            "commune_in": unit["02365"].id,
            "commune_out": unit["02350"].id,
            "round_in": round_in.id,
            "round_out": round_out.id,
            "template": template.id,
            "period": quarter.key(),
            "activity_in": act_in.id,
            "activity_out": act_out.id,
            "meeting_in": meeting_in,
            "meeting_out": meeting_out.id,
            "report_in": submitted["in"],
            "report_out": submitted["out"],
            # What is one's own differs by role: the unit one logs for, a meeting one is invited to.
            "own_unit": {
                "none": unit["in"].id,
                "cadre": unit["in"].id,
                "admin": unit["02365"].id,
                "owner": unit["08"].id,
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

    async def snapshot(self) -> dict[str, list[tuple[str, ...]]]:
        async with self.h.db.session() as session:
            result = {}
            for table in Base.metadata.sorted_tables:
                if table.name in VOLATILE:
                    continue
                rows = (await session.execute(select(table))).all()
                result[table.name] = sorted(tuple(map(repr, r)) for r in rows)
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
            if step.startswith("/"):
                await user.send(step, chat=group)
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
                if name not in COMMAND_PROBES:
                    missing.append(f"/{name}")
                    continue
                found.append((f"/{name}", declared, COMMAND_PROBES[name], False))
        elif isinstance(handler, CallbackQueryHandler):
            pattern = getattr(handler.pattern, "pattern", handler.pattern)
            if pattern is None or pattern == OVERSIZED_NUMBER:
                continue  # catch-alls: test_catch_all_buttons_refuse_everyone
            if pattern not in CALLBACK_PROBES:
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
                    allowed = expected_allowed(declared, probe.action, role, scope, chat)
                    refused, seen = await matrix.run(declared, probe, role, scope, chat, callback)
                    cell = f"{name} {role} {scope} {chat}"
                    if refused == allowed or (allowed and not seen):
                        expected = "allowed" if allowed else "refused"
                        mismatches.append(f"{cell}: expected {expected}, saw {seen}")
                    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
                    if errors:
                        mismatches.append(f"{cell}: crashed: {errors[0].getMessage()}")
                    caplog.clear()
    assert cells > 250, cells
    assert not mismatches, "\n".join(mismatches)


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
        c for _, h in all_handlers(harness.app) if isinstance(h, CommandHandler) for c in h.commands
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
    from bot import app as app_module

    original = app_module.register_handlers

    async def forgotten(update: object, context: object) -> None:
        """Another one, never given a rule."""

    def with_forgotten(app: Any, services: Any) -> None:
        original(app, services)
        app.add_handler(CommandHandler("forgotten", forgotten))

    monkeypatch.setattr(app_module, "register_handlers", with_forgotten)
    with pytest.raises(RuntimeError, match="without an access rule: /forgotten"):
        build_application(harness.services, token=harness.emu.token, rate_limit=False)
