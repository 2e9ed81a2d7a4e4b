"""The command catalog: the descriptions ``/help`` and ``setMyCommands`` show.

Who may use a command, and where, is not said here but by the access rule its handler declares
(handlers/access_rules.py): ``/help`` lists a command exactly when that rule lets the person's role
use it in the chat /help was asked in (``help_lines``), so the list and what the bot then does
cannot disagree (tests/handlers/test_help_roles.py walks every role and chat). A command appears
here only once it works; later features add their lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.access import Actor
from bot.i18n import N_, Translator
from bot.petition_record import can_record
from handlers.access_rules import Rule, permits
from storage.queries.people import ROLE_RANK


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # msgid
    #: Shown in the command menu of group administrators too.
    in_groups: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start, or join with an invite link")),
    Command("help", N_("What I can do for you"), in_groups=True),
    Command("me", N_("Your units and roles")),
    Command("language", N_("Tiếng Việt / English")),
    Command("cancel", N_("Leave the current step (drafts are kept)")),
    Command("forgetme", N_("Erase your personal data")),
    Command("log", N_("Log an activity")),
    Command("mine", N_("Your recent entries: edit or delete")),
    Command("back", N_("Go one step back")),
    Command("skip", N_("Skip an optional question")),
    Command("report", N_("Answer a periodic report")),
    Command("meetings", N_("Your meetings: answer, attendance, conclusions")),
    Command("petition", N_("Record a citizens' recommendation, or open one by its code")),
    Command("petitions", N_("Citizens' recommendations: follow, forward, answer, rate")),
    Command("totals", N_("Totals for your unit and the units below it")),
    Command("export", N_("A spreadsheet of your unit's figures")),
    Command("invite", N_("Make an invite link (unit leaders)")),
    Command(
        "members",
        N_("A unit's members and invite links: roles, remove (unit leaders)"),
    ),
    Command("link", N_("Link this group to your unit (in the group)"), in_groups=True),
    Command("unlink", N_("Unlink this group from its unit (in the group)"), in_groups=True),
    Command("digest", N_("Preview this group's digest (unit leaders)"), in_groups=True),
    Command(
        "settings",
        N_("This group's language and digests (in the group)"),
        in_groups=True,
    ),
    Command("round", N_("Open a report round (unit leaders)")),
    Command("review", N_("Approve or return submitted reports (unit leaders)")),
    Command("status", N_("Who has reported in a round (unit leaders)")),
    Command(
        "meeting",
        N_(
            "Schedule a meeting; a giao ban can take the open recommendations as its agenda (unit leaders)"
        ),
    ),
)


#: What a command does for someone its rule lets in but who may do only part of it: an officer of
#: People's Committees only records no recommendation (the Front forwards them), and only opens
#: one by its code with /petition.
PARTLY: Mapping[str, tuple[Callable[[Actor], bool], str]] = {
    "petition": (can_record, N_("Open a citizens' recommendation by its code")),
}


def _description(command: Command, actor: Actor | None) -> str:
    partly = PARTLY.get(command.name)
    if partly is not None and actor is not None and actor.roles and not partly[0](actor):
        return partly[1]
    return command.description


def rank_of(actor: Actor | None) -> int:
    """0 without a unit; else the rank of the highest role (cadre 1, unit leader 2, operator 3)."""
    highest = actor.highest_role() if actor is not None else None
    return ROLE_RANK[highest] if highest is not None else 0


def help_lines(
    tr: Translator, actor: Actor | None, chat_type: str | None, rules: Mapping[str, Rule]
) -> list[str]:
    """The catalog's commands whose rule (``rules``: by command name, as registered) lets this
    person use them in this kind of chat, in the catalog's order."""
    rank = rank_of(actor)
    return [
        f"/{c.name} — {tr._(_description(c, actor))}"
        for c in COMMANDS
        if c.name in rules and permits(rules[c.name], rank, chat_type)
    ]
