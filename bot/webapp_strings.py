"""The dashboard page's words (bot/data/webapp/): the page asks the server for them, in the
person's language, so the gettext catalogs in locales/ stay the one place where text is
translated. Keys are what the page's script uses; values are msgids (English)."""

from __future__ import annotations

from bot.i18n import N_, Translator

PAGE: dict[str, str] = {
    "title": N_("Dashboard"),
    "tab_board": N_("Reports"),
    "tab_totals": N_("Totals"),
    "tab_meetings": N_("Meetings"),
    "loading": N_("Loading…"),
    "retry": N_("Try again"),
    "deadline": N_("Deadline {deadline}"),
    "summary": N_(
        "Submitted {submitted}/{total} (late {late}); approved {approved}; missing {missing}."
    ),
    "state_missing": N_("Missing"),
    "state_late": N_("Late"),
    "state_submitted": N_("On time"),
    "state_approved": N_("Approved"),
    "returned": N_("returned"),
    "no_rounds": N_("No report round is open in your units."),
    "no_members": N_("no members yet"),
    "group_progress": N_("{done}/{total} submitted ({percent}%)"),
    "board_back": N_("‹ Back up"),
    "board_up": N_("‹ Up: {unit}"),
    "this_period": N_("This period"),
    "last_year": N_("Same period last year"),
    "only_last_year": N_("Logged in {period}, not in this period:"),
    "no_activity": N_("No activity was logged in this period."),
    "by_unit": N_("By unit:"),
    "by_org": N_("By organisation:"),
    "switch_by_unit": N_("By unit"),
    "switch_by_org": N_("By organisation"),
    "period": N_("Period"),
    "organisation": N_("Organisation"),
    "all_orgs": N_("All organisations"),
    "up": N_("Up: {unit}"),
    "no_meetings": N_("No meetings coming up."),
    "rsvp": N_("Attending {yes} · absent {no} · sending someone {delegate}"),
    "refused": N_("The dashboard cannot open"),
    "tab_petitions": N_("Recommendations"),
    "no_petitions": N_("No open recommendations."),
    "petitions_all": N_("All so far, by status; the open ones below, overdue first:"),
    "due": N_("due {date}"),
    "remind": N_("Remind"),
    "reminded": N_("Reminded today"),
    "network": N_("The bot did not answer. Check the connection and try again."),
}

#: Why a request was refused (bot.webapp_auth.InitDataError codes, and the access checks).
REFUSALS: dict[str, str] = {
    "missing": N_(
        "Open the dashboard from its button in the chat with the bot: it did not receive Telegram's sign-in data."
    ),
    "malformed": N_(
        "Telegram's sign-in data did not check out. Close the dashboard and open it again from the bot."
    ),
    "forged": N_(
        "Telegram's sign-in data did not check out. Close the dashboard and open it again from the bot."
    ),
    "expired": N_(
        "The dashboard was opened too long ago. Close it and open it again from the bot."
    ),
    "no_user": N_(
        "Open the dashboard from its button in the chat with the bot: it did not receive Telegram's sign-in data."
    ),
    "not_member": N_(
        "You are not a member of any unit yet. Ask your unit's leader for an invite link."
    ),
    "forbidden": N_("You can see totals only for your own unit and the units you lead."),
    "already": N_("Its cadres were already reminded today: once a day is enough."),
    "not_missing": N_("This report was submitted meanwhile: there is nothing to remind."),
    "no_cadres": N_("This unit has no member the bot can write to yet."),
    "bad_request": N_(
        "The dashboard asked for something it cannot show. Close it and open it again from the bot."
    ),
}

#: The kinds of period offered above the totals, and how many of each are listed (the current
#: one and those before it, within the years kept: ``bot.date_window``).
PERIOD_KINDS = (
    ("month", N_("Month"), 12),
    ("quarter", N_("Quarter"), 8),
    ("half", N_("Half-year"), 4),
    ("year", N_("Year"), 3),
)

#: The two cut-off rules (``bot.periods``): Decree 09's periods end on the 14th of their last
#: month, calendar ones on its last day. The deployment's own rule is chosen first.
RULES = (
    ("decree09", N_("Decree 09")),
    ("calendar", N_("Calendar")),
)


def page_strings(tr: Translator) -> dict[str, str]:
    return {key: tr._(msgid) for key, msgid in PAGE.items()}


def refusal_title(tr: Translator) -> str:
    msgid = PAGE["refused"]
    return tr._(msgid)


def all_orgs(tr: Translator) -> str:
    """The area's own unit in the organisation list: a Front committee counts every one."""
    msgid = PAGE["all_orgs"]
    return tr._(msgid)


def refusal(tr: Translator, code: str) -> str:
    msgid = REFUSALS.get(code) or REFUSALS["bad_request"]
    return tr._(msgid)


def overdue(tr: Translator, days: int) -> str:
    return tr.ngettext("overdue by {n} day", "overdue by {n} days", days).format(n=tr.number(days))
