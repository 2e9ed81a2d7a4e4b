"""The flow kernel: every multi-step conversation is a ``Flow`` declared as data.

A flow is a typed, serialisable state (a dataclass) and a tuple of ``Step``s. A step says how it
shows itself (text and buttons), how a typed answer, a pressed button or a sent photo is read,
whether it applies to the state at hand, whether it can be skipped and whether it is a yes/no
question (``yes_no``: "có" / "không" typed is the press of its Yes / No). The kernel gives every
flow, the same way: /back, /skip, /cancel (the answers are kept and the flow's command offers
them again), resume after a restart or a week away (the state is a database row written at
every step), a **stack** (a command that starts another flow suspends the current one; when
that one ends, the person is offered to go back; a one-shot prompt's origin comes straight
back), callback data it builds and checks itself (a button from an earlier step or another
person's message gets a clear alert, never a crash), and one unit of work per update: the state
is read, changed and saved with the step's own work in one transaction, and every answer is sent
after it commits (``handlers.common``).

- ``model``: the declarations (``Flow``, ``Step``, ``Screen``, the outcomes), the registry, the
  callback data and the access rule of a flow's buttons;
- ``engine``: showing a step, saving, applying an outcome, the end of a flow;
- ``entry``: where updates come in (a command, text, media, buttons, /back, /skip, resume);
- ``stack``: /cancel and the "go back to …?" buttons.

Adding a flow is one file declaring its ``Flow`` (``register``), its command calling ``start``
and its buttons' handler calling ``on_button``, plus their lines in bot/runtime/app.py
(docs/architecture.md). Steps get a ``Call``: the update's session, actor, translator and clock,
and nothing from Telegram beyond the typed text, the pressed button's arguments or a ``Sent``.
"""

from handlers.flow.engine import call_for, close, continue_flow, ids, read_typed, stale_text
from handlers.flow.entry import (
    back,
    button_handler,
    offer_kept,
    on_button,
    on_media,
    on_text,
    open_at,
    resume,
    sent_of,
    skip,
    start,
)
from handlers.flow.model import (
    BUTTONS_ONLY,
    KEPT,
    KERNEL_PREFIX,
    KERNEL_REFUSALS,
    YES_NO_ONLY,
    AnyFlow,
    Call,
    Finish,
    Flow,
    Next,
    Outcome,
    Redraw,
    Screen,
    Sent,
    Stay,
    Step,
    button,
    button_rule,
    flow_named,
    register,
)

__all__ = [
    "BUTTONS_ONLY",
    "KEPT",
    "KERNEL_PREFIX",
    "KERNEL_REFUSALS",
    "YES_NO_ONLY",
    "AnyFlow",
    "Call",
    "Finish",
    "Flow",
    "Next",
    "Outcome",
    "Redraw",
    "Screen",
    "Sent",
    "Stay",
    "Step",
    "back",
    "button",
    "button_handler",
    "button_rule",
    "call_for",
    "close",
    "continue_flow",
    "flow_named",
    "ids",
    "offer_kept",
    "on_button",
    "on_media",
    "on_text",
    "open_at",
    "read_typed",
    "register",
    "resume",
    "sent_of",
    "skip",
    "stale_text",
    "start",
]
