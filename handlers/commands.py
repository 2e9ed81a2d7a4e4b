"""The command catalog: what ``/help`` lists for each role and what ``setMyCommands`` registers.

A command appears here only once it works; later features add their lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import Actor
from bot.i18n import N_, Translator
from storage.queries.people import ROLE_RANK


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # msgid
    #: The least role needed: None = anyone who talks to the bot.
    role: str | None = None
    #: Shown in the command menu of group administrators too.
    in_groups: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start, or join with an invite link")),
    Command("help", N_("What I can do for you"), in_groups=True),
    Command("me", N_("Your units and roles")),
    Command("language", N_("Tiếng Việt / English")),
    Command("cancel", N_("Leave the current step (drafts are kept)")),
    Command("forgetme", N_("Erase your personal data")),
    Command("log", N_("Log an activity"), role="cadre"),
    Command("mine", N_("Your recent entries: edit or delete"), role="cadre"),
    Command("back", N_("Go one step back"), role="cadre"),
    Command("skip", N_("Skip an optional question"), role="cadre"),
    Command("report", N_("Answer a periodic report"), role="cadre"),
    Command("meetings", N_("Your meetings: answer, attendance, conclusions"), role="cadre"),
    Command("totals", N_("Totals for your unit and the units below it"), role="cadre"),
    Command("export", N_("A spreadsheet of your unit's figures"), role="admin"),
    Command("invite", N_("Make an invite link (unit leaders)"), role="admin"),
    Command(
        "members",
        N_("A unit's members and invite links: roles, remove (unit leaders)"),
        role="admin",
    ),
    Command(
        "link", N_("Link this group to your unit (in the group)"), role="admin", in_groups=True
    ),
    Command(
        "unlink", N_("Unlink this group from its unit (in the group)"), role="admin", in_groups=True
    ),
    Command(
        "digest", N_("Preview this group's digest (unit leaders)"), role="admin", in_groups=True
    ),
    Command(
        "settings",
        N_("This group's language and digests (in the group)"),
        role="admin",
        in_groups=True,
    ),
    Command("round", N_("Open a report round (unit leaders)"), role="admin"),
    Command("review", N_("Approve or return submitted reports (unit leaders)"), role="admin"),
    Command("status", N_("Who has reported in a round (unit leaders)"), role="admin"),
    Command("meeting", N_("Schedule a meeting (unit leaders)"), role="admin"),
)


def allowed(command: Command, actor: Actor | None) -> bool:
    if command.role is None:
        return True
    if actor is None:
        return False
    highest = actor.highest_role()
    return highest is not None and ROLE_RANK[highest] >= ROLE_RANK[command.role]


def help_lines(tr: Translator, actor: Actor | None) -> list[str]:
    return [f"/{c.name} — {tr._(c.description)}" for c in COMMANDS if allowed(c, actor)]
