"""/round: a leader opens a report round for the units below theirs.

A flow on the kernel (handlers/flow): template → period → the unit whose sub-units report →
which of them (direct sub-units, or every unit of a level) → which organisation → deadline (a
button or a typed date). Every id in a button is checked again when pressed: the unit must be
one the leader leads, since the next steps list its sub-units.

Each step offers only what the chosen template is for (issue 16 §3: ``Template.fits``): templates
for some unit below the leader's, units with such units below, the levels it names; a choice from
an old or forged keyboard is refused saying whom the template is for. A deadline before the
period's cut-off goes to the ``early`` step, which says so and opens the round only when confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from telegram import Update

from bot import reports as rep
from bot.date_parsing import parse_deadline
from bot.i18n import N_
from bot.parsing import ParseError
from bot.periods import Period, period_containing
from bot.reports import ReportError
from bot.templates import Template
from handlers import flow
from handlers.access_rules import PRIVATE, Who, rule
from handlers.common import esc
from handlers.context import AppContext
from handlers.flow import Call, Finish, Next, Screen, Stay, Step
from handlers.flow_units import chosen_unit
from handlers.labels import button_label
from handlers.reports.texts import ROUND_FLOW, duplicate_round, problem_text, template_not_for
from handlers.router import quote
from storage.models import Unit
from storage.queries import reports as reports_q
from storage.queries import units as units_q

NOT_YOURS = N_("You can open rounds only for the units you lead.")
STALE = N_("This button is no longer active. Start again with /round.")


@dataclass
class RoundDraft:
    template_id: int | None = None
    period: str | None = None
    unit_id: int | None = None
    #: None: the unit's direct sub-units; else every unit of this kind below it.
    kind: str | None = None
    #: None: every organisation.
    org: str | None = None
    #: A deadline before the period's cut-off, waiting for the leader's confirmation (ISO day).
    early: str | None = None


async def begin(call: Call) -> RoundDraft | Stay:
    return RoundDraft()


async def _led_below(call: Call) -> dict[int, list[Unit]]:
    """The active units each unit the leader leads oversees (a member organisation's: its
    branches in its area, ``units_q.overseen``)."""
    result = {}
    for role in call.actor.admin_roles():
        result[role.unit.id] = list(await units_q.overseen(call.session, role.unit))
    return result


async def _template(call: Call, draft: RoundDraft) -> Template:
    row = await reports_q.get_template(call.session, draft.template_id or 0)
    assert row is not None
    return rep.template_of(row)


async def show_template(call: Call, draft: RoundDraft) -> Screen:
    """Only the templates for some unit below the leader's (issue 16 §3): a commune leader whose
    thôn have no Women's Union branch is not offered the Women's Union report."""
    tr = call.tr
    below = [u for units in (await _led_below(call)).values() for u in units]
    rows = []
    for row in await rep.latest_templates(call.session):
        template = rep.template_of(row)
        if any(template.fits(u.kind, u.org) for u in below):
            label = button_label(template.title(tr.locale), 54) + f" (v{row.version})"
            rows.append([(label, f"t:{row.id}")])
    if not rows:
        return Screen(tr._("No report template is for the units below yours."))
    return Screen(tr._("Open a report round. Which template?"), rows)


async def press_template(
    call: Call, draft: RoundDraft, action: str, args: list[str]
) -> flow.Outcome:
    row = await reports_q.get_template(call.session, int(args[0])) if action == "t" else None
    if row is None:
        raise ValueError(args)
    template = rep.template_of(row)
    below = [u for units in (await _led_below(call)).values() for u in units]
    if not any(template.fits(u.kind, u.org) for u in below):
        return Stay(await not_for_units(call, template))
    draft.template_id = row.id
    return Next()


async def show_period(call: Call, draft: RoundDraft) -> Screen:
    tr = call.tr
    row = await reports_q.get_template(call.session, draft.template_id or 0)
    assert row is not None
    today = call.services.today()
    current = period_containing(today, row.period, call.services.settings.period_rule)  # type: ignore[arg-type]
    choices = [current.previous(), current, current.next()]
    return Screen(
        tr._("For which period?"), [[(p.label(tr.locale), f"p:{p.key()}")] for p in choices]
    )


async def press_period(call: Call, draft: RoundDraft, action: str, args: list[str]) -> flow.Outcome:
    key = ":".join(args)
    if action != "p":
        raise ValueError(action)
    Period.from_key(key)  # a forged key fails here, not three steps later
    draft.period = key
    return Next()


async def show_unit(call: Call, draft: RoundDraft) -> Screen:
    template = await _template(call, draft)
    below = await _led_below(call)
    units = {role.unit.id: role.unit for role in call.actor.admin_roles()}
    rows = [
        [(button_label(u.name), f"u:{u.id}")]
        for u in units.values()
        if any(template.fits(b.kind, b.org) for b in below[u.id])
    ]
    return Screen(call.tr._("Which unit's sub-units must report?"), rows)


async def press_unit(call: Call, draft: RoundDraft, action: str, args: list[str]) -> flow.Outcome:
    if action != "u":
        raise ValueError(action)
    chosen = await units_q.get(call.session, int(args[0]))
    if chosen is None or not call.actor.can_admin(chosen):
        return Stay(call.tr._(NOT_YOURS))
    template = await _template(call, draft)
    if not await rep.fitting_below(call.session, chosen, template):
        return Stay(await not_for_units(call, template))
    draft.unit_id = chosen.id
    return Next()


async def show_targets(call: Call, draft: RoundDraft) -> Screen:
    """Direct sub-units (when some of them are ones the template is for) and the levels below
    that the template is for."""
    tr, session = call.tr, call.session
    root = await units_q.get(session, draft.unit_id or 0)
    template = await _template(call, draft)
    below = await rep.fitting_below(session, root, template) if root else []
    kinds = {k.key: k for k in await units_q.kinds(session)}
    levels = sorted({u.kind for u in below}, key=lambda k: kinds[k].level if k in kinds else 99)
    rows = []
    if root and await rep.target_units(session, root, None, None, template):
        rows.append([(tr._("Its direct sub-units"), "k:-")])
    for key in levels:
        kind = kinds.get(key)
        name = (kind.name_vi if tr.locale == "vi" else kind.name_en) if kind else key
        rows.append(
            [(button_label(tr._("Every unit of level: {level}").format(level=name)), f"k:{key}")]
        )
    return Screen(tr._("Which units must report?"), rows)


async def press_targets(
    call: Call, draft: RoundDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "k":
        raise ValueError(action)
    kind = None if args[0] == "-" else args[0]
    template = await _template(call, draft)
    if kind is not None and template.kinds and kind not in template.kinds:
        return Stay(await not_for_units(call, template))
    draft.kind = kind
    return Next()


async def show_org(call: Call, draft: RoundDraft) -> Screen:
    tr, session = call.tr, call.session
    root = await units_q.get(session, draft.unit_id or 0)
    template = await _template(call, draft)
    targets = await rep.target_units(session, root, draft.kind, None, template) if root else []
    orgs = {o.key: o for o in await units_q.organisations(session)}
    present = sorted({u.org for u in targets})
    rows = [[(tr._("All organisations"), "g:-")]]
    if len(present) > 1:
        for key in present:
            org = orgs.get(key)
            label = (org.name_vi if tr.locale == "vi" else org.name_en) if org else key
            rows.append([(label, f"g:{key}")])
    return Screen(tr._("Which organisation?"), rows)


async def press_org(call: Call, draft: RoundDraft, action: str, args: list[str]) -> flow.Outcome:
    if action != "g":
        raise ValueError(action)
    org = None if args[0] == "-" else args[0]
    template = await _template(call, draft)
    if org is not None and template.orgs and org not in template.orgs:
        return Stay(await not_for_units(call, template))
    draft.org = org
    return Next()


async def show_deadline(call: Call, draft: RoundDraft) -> Screen:
    tr = call.tr
    period = Period.from_key(draft.period or "")
    today = call.services.today()
    suggestions = [period.end + timedelta(days=3), period.end + timedelta(days=7)]
    row = [(tr.day(d), f"d:{d.isoformat()}") for d in suggestions if d > today]
    return Screen(tr._("Deadline? Press a date or type one (dd/mm/yyyy)."), [row] if row else [])


async def press_deadline(
    call: Call, draft: RoundDraft, action: str, args: list[str]
) -> flow.Outcome:
    if action != "d":
        raise ValueError(action)
    draft.early = None
    return await _open_round(call, draft, date.fromisoformat(args[0]))


async def typed_deadline(call: Call, draft: RoundDraft, text: str) -> flow.Outcome:
    try:
        day = parse_deadline(text, call.services.today())
    except ParseError as exc:
        if exc.code == "past_date":
            problem = call.tr._("“{text}” is not a date in the future. Type it as dd/mm/yyyy.")
        else:
            problem = call.tr._("“{text}” is not a valid date. Type it as dd/mm/yyyy.")
        return Stay(problem.format(text=quote(text)))
    draft.early = None
    return await _open_round(call, draft, day)


async def show_early(call: Call, draft: RoundDraft) -> Screen:
    """A deadline before the period's cut-off: said plainly, opened only when confirmed."""
    tr = call.tr
    period = Period.from_key(draft.period or "")
    day = date.fromisoformat(draft.early or "")
    return Screen(
        tr._(
            "The deadline {deadline} is before the end of {period} ({end}, the cut-off for its figures): units would report before the period is over. Open the round with this deadline anyway?"
        ).format(deadline=tr.day(day), period=esc(period.label(tr.locale)), end=tr.day(period.end)),
        [
            [(tr._("Open with this deadline"), "y")],
            [(tr._("Choose another deadline"), "n")],
        ],
    )


async def press_early(call: Call, draft: RoundDraft, action: str, args: list[str]) -> flow.Outcome:
    if action == "n" or draft.early is None:
        draft.early = None
        return Next(to="deadline")
    if action != "y":
        raise ValueError(action)
    return await _open_round(call, draft, date.fromisoformat(draft.early), early=True)


async def not_for_units(call: Call, template: Template) -> str:
    """Why a template cannot go to the units chosen: whom it is for, in the leader's words."""
    return template_not_for(
        call.tr,
        template,
        await units_q.kinds(call.session),
        await units_q.organisations(call.session),
    )


async def _open_round(
    call: Call, draft: RoundDraft, day: date, *, early: bool = False
) -> flow.Outcome:
    tr, session = call.tr, call.session
    deadline = datetime.combine(day, datetime.min.time(), tzinfo=call.services.settings.tz).replace(
        hour=23, minute=59
    )
    period = Period.from_key(draft.period or "")
    try:
        # A refused round leaves nothing behind, while the flow's step is still saved.
        async with session.begin_nested():
            template_row = await reports_q.get_template(session, draft.template_id or 0)
            root = await units_q.get(session, draft.unit_id or 0)
            if template_row is None or root is None:
                raise ReportError("not_found")
            row = await rep.open_round(
                session,
                call.actor,
                template_row=template_row,
                period=period,
                root=root,
                deadline=deadline,
                now=call.now,
                kind=draft.kind,
                org=draft.org,
                early=early,
            )
            count = len(await rep.round_status(session, row))
    except ReportError as exc:
        if exc.code == "duplicate":
            # No other deadline can fix it: the round ends here, naming the one that asks already.
            return Finish(duplicate_round(tr, exc.round_id))
        if exc.code == "before_cutoff":
            draft.early = day.isoformat()
            return Next(to="early")
        if exc.code.startswith("template_"):
            return Stay(await not_for_units(call, await _template(call, draft)))
        return Stay(problem_text(tr, exc.code))
    return Finish(
        tr._(
            "Round #{id} is open: {period}, {count} units, deadline {deadline}. Their cadres are being told. /status {id} follows it."
        ).format(
            id=row.id,
            period=esc(period.label(tr.locale)),
            count=count,
            deadline=tr.moment(deadline),
        )
    )


ROUND = flow.register(
    flow.Flow(
        name=ROUND_FLOW,
        command="round",
        prefix="rnd",
        title=N_("the report round"),
        state=RoundDraft,
        steps=(
            Step("template", show_template, press=press_template),
            Step("period", show_period, press=press_period),
            Step("unit", show_unit, press=press_unit),
            Step("targets", show_targets, press=press_targets),
            Step("org", show_org, press=press_org),
            Step("deadline", show_deadline, typed=typed_deadline, press=press_deadline),
            Step(
                "early",
                show_early,
                press=press_early,
                applies=lambda d: d.early is not None,
                yes_no=("y", "n"),
            ),
        ),
        begin=begin,
        unit=chosen_unit,
        leads=True,
    )
)


@rule(
    Who.ADMIN,
    PRIVATE,
    why="opens a round over units the leader leads",
    wrong_chat=N_("Open report rounds in a private chat with me."),
    not_allowed=N_("Only unit leaders can open report rounds."),
)
async def round_command(update: Update, context: AppContext) -> None:
    await flow.start(update, context, ROUND)


round_button = flow.button_handler(
    ROUND,
    Who.ADMIN,
    stale=STALE,
    why="unit ids re-checked with Actor.can_admin",
    refusals=(NOT_YOURS,),
)
