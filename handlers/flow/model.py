"""What a flow is made of: its state, its steps and what a step's answer leads to, declared as
data; the registry of flows, and the callback data and access rule the kernel makes for them.

Nothing here runs a conversation (that is ``engine`` and ``entry``): a flow's file imports these
names to declare itself, and tests can read a flow without Telegram.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Actor
from bot.i18n import N_, Translator
from bot.services import Services
from handlers.access_rules import PRIVATE, Who, rule

S = TypeVar("S")

#: Buttons of the kernel itself: go back to a suspended flow (``flow:back|drop:<name>``).
KERNEL_PREFIX = "flow"
#: The step name of a flow's own kernel buttons: continue its kept copy, or start over.
KEPT = "~"


@dataclass(frozen=True)
class Screen:
    """What a step shows: HTML text and rows of (label, action) buttons; an action is the
    step's own word (``"u:12"``), which the kernel wraps into callback data."""

    text: str
    buttons: Sequence[Sequence[tuple[str, str]]] = ()


@dataclass(frozen=True)
class Stay:
    """The answer is refused: say why (the state and the step are kept)."""

    text: str


@dataclass(frozen=True)
class Redraw:
    """Same step, another view of it (a page, a level of a tree): show it again in place."""


@dataclass(frozen=True)
class Next:
    """The step is answered: on to the next step that applies, or to the step named ``to`` (a
    review card's "change the place" goes to ``place``; the place step then goes back to it).
    ``text``, if given, is said first (why the flow goes there: "an entry needs a number above
    0"), and the step is then shown in a new message below it."""

    to: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Finish:
    """The flow is done: say so; its state is gone. ``buttons`` are rows of (label, callback
    data) of *other* handlers (e.g. "Open the meeting"), not steps of this flow."""

    text: str
    buttons: Sequence[Sequence[tuple[str, str]]] = ()


@dataclass(frozen=True)
class Sent:
    """A photo or file sent at a step, as the step sees it (nothing from Telegram's types):
    ``kind`` is "photo" (the largest size's id), "document" or "other" (a sticker, a voice
    note...: ``file_id`` empty)."""

    kind: str
    file_id: str = ""
    name: str | None = None


Outcome = Stay | Redraw | Next | Finish


@dataclass
class Call:
    """What a step's functions may use: the update's transaction and who is asking."""

    session: AsyncSession
    actor: Actor
    tr: Translator
    services: Services
    now: datetime
    bot_username: str


@dataclass(frozen=True)
class Step(Generic[S]):
    name: str
    show: Callable[[Call, S], Awaitable[Screen]]
    #: How typed text is read; None: this step takes only its buttons.
    typed: Callable[[Call, S, str], Awaitable[Outcome]] | None = None
    #: How a pressed button is read: (action, arguments) as the step put them on the button.
    press: Callable[[Call, S, str, list[str]], Awaitable[Outcome]] | None = None
    #: How a photo or file is read; None: the step says it wants text or a button.
    sent: Callable[[Call, S, Sent], Awaitable[Outcome]] | None = None
    #: /skip may pass it; ``skip`` then records the absence of an answer, and may name the step
    #: to go to (``Next(to="review")``: a review card's change skipped goes back to the card).
    optional: bool = False
    skip: Callable[[S], Next | None] | None = None
    #: /skip that needs the database (a report's skipped question is a stored answer) or may be
    #: refused: used instead of ``skip``, its outcome is applied like an answer's.
    skipped: Callable[[Call, S], Awaitable[Outcome]] | None = None
    #: Whether the step is asked for this state (skip logic).
    applies: Callable[[S], bool] | None = None
    #: A yes/no question: "có / không / yes / no / rồi / chưa" typed (bot/yes_no.py) is a press of
    #: the first action (yes) or the second (no), as the step puts them on its buttons (``("y",
    #: "n")``; ``"y:1"`` carries an argument). Other text goes to ``typed`` if the step has one
    #: (a value typed instead replaces the one in question), else is refused with ``YES_NO_ONLY``,
    #: the step and the state kept.
    yes_no: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.yes_no is not None and self.press is None:
            raise ValueError(f"step {self.name}: a yes/no question needs its buttons (press)")


@dataclass(frozen=True)
class Flow(Generic[S]):
    name: str
    #: The command that starts it (without the slash) and the prefix of its buttons.
    command: str
    prefix: str
    #: What the flow makes, for "go back to …?" (a msgid, e.g. N_("the invite link")).
    title: str
    state: type[S]
    steps: tuple[Step[S], ...]
    #: The initial state, or why this person cannot start it.
    begin: Callable[[Call], Awaitable[S | Stay]]
    #: Steps that depend on the answers so far (one per question of a report's template, one
    #: per measure of the chosen activity type): the full list for a state, used instead of
    #: ``steps`` when given. Their names must not contain ":" (it separates callback data).
    expand: Callable[[S], Sequence[Step[S]]] | None = None
    #: A one-shot prompt opened by a button (``open_at``: "Can't attend" asks why), not by its
    #: command: what /cancel says about getting back to it (a msgid: "press the button again").
    #: Such a prompt is a detour: when it finishes, the flow it interrupted comes straight back
    #: (not offered), and it has no "Continue / Start over" of its own (its button reopens it).
    reopen: str | None = None
    #: Rows of the flow's own that mirror the state (the activity log's draft in ``log_drafts``,
    #: which its one-line shortcut and /log's offer read too): written whenever the kernel saves
    #: the state, in the same transaction.
    store: Callable[[Call, S], Awaitable[None]] | None = None
    #: /back for a flow whose next step is derived from the answers ("the first thing not answered
    #: yet"): forget the latest answer (False: there is none), and the kernel shows the first step
    #: that applies. None: /back shows the previous step that applies.
    undo: Callable[[S], bool] | None = None
    #: Where a begun or opened flow starts (None: the first step that applies); it may also
    #: refresh the state from the database. A report resumes at its first unanswered question.
    entry: Callable[[Call, S], Awaitable[str | None]] | None = None
    #: The unit the flow works for, as far as the state has chosen it (the activity log's unit,
    #: the report's, the edited entry's), and ``leads``: the flow needs leader rights there
    #: (None with ``leads``: any unit led). Saved with the state: when a membership ends or is
    #: lowered, every flow whose rights it gave is closed (bot/members.py).
    unit: Callable[[AsyncSession, S], Awaitable[int | None]] | None = None
    leads: bool = False

    def all_steps(self, state: S) -> Sequence[Step[S]]:
        return self.steps if self.expand is None else self.expand(state)

    def step(self, name: str, state: S | None = None) -> Step[S] | None:
        steps = self.steps if state is None else self.all_steps(state)
        return next((s for s in steps if s.name == name), None)

    def applicable(self, state: S) -> list[Step[S]]:
        return [s for s in self.all_steps(state) if s.applies is None or s.applies(state)]

    def dump(self, state: S) -> dict[str, Any]:
        return dataclasses.asdict(state)  # type: ignore[call-overload]

    def load(self, data: dict[str, Any]) -> S:
        names = {f.name for f in dataclasses.fields(self.state)}  # type: ignore[arg-type]
        return self.state(**{k: v for k, v in data.items() if k in names})


AnyFlow = Flow[Any]

#: Every flow the kernel carries, by name (filled by ``register``).
_FLOWS: dict[str, AnyFlow] = {}


def register(flow: AnyFlow) -> AnyFlow:
    if flow.name in _FLOWS and _FLOWS[flow.name] is not flow:
        raise ValueError(f"two flows named {flow.name!r}")
    _FLOWS[flow.name] = flow
    return flow


def flow_named(name: str) -> AnyFlow | None:
    return _FLOWS.get(name)


#: Text typed at a step that takes only its buttons, and at a yes/no question (``Step.yes_no``)
#: when it is neither a yes nor a no.
BUTTONS_ONLY = N_("Please press one of the buttons above, or /cancel to stop.")
YES_NO_ONLY = N_("Press one of the buttons above, or type “yes” or “no”.")

#: What the kernel itself answers to a button it cannot take (``entry.on_button``).
KERNEL_REFUSALS = (
    N_("This button is no longer active. Start again with /{command}."),
    N_("This button belongs to an earlier step. The current step is shown below."),
)


def button_rule(
    flow: AnyFlow, who: Who, *, stale: str, why: str, refusals: tuple[str, ...] = ()
) -> Callable[[Any], Any]:
    """The access rule of a flow's button handler, the same for every flow: private chats, every
    step with buttons (and the kernel's own "continue / start over", which a prompt has not) for
    ``who``, ``stale`` as the refusal of a press from the wrong chat or a person below ``who``,
    and ``refusals`` for the objects the steps check themselves (a unit outside the leader's
    subtree)."""
    kept = [KEPT] if flow.reopen is None else []
    pressed = [step.name for step in flow.steps if step.press is not None]
    actions = dict.fromkeys([*pressed, *kept], who)
    return rule(
        who,
        PRIVATE,
        scoped=True,
        why=why,
        refusals=(*KERNEL_REFUSALS, *refusals),
        wrong_chat=stale,
        not_allowed=stale,
        actions=actions,
    )


def button(flow: AnyFlow, step: str, action: str) -> str:
    """Callback data of a step's button: ``prefix:step:action``. At most 64 bytes (Telegram's
    limit), which the flows' ids and short words keep far from."""
    data = f"{flow.prefix}:{step}:{action}"
    assert len(data.encode()) <= 64, data
    return data
