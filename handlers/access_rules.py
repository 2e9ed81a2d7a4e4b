"""The access rule every registered handler declares: who may use it, in which chats, and whether
it acts on objects (units, entries, reports, meetings, rounds, linked chats) that the server checks
against the actor's part of the tree.

The rule is data attached to the handler's callback by ``@rule(...)``. The checks themselves stay
where they can name the object (the handler, and the domain through ``bot.access.Actor``); the
rules are what the access-matrix test (tests/handlers/test_access_matrix.py) holds every handler
to, role by role, inside and outside the actor's subtree, in private and group chats, and what
docs/security.md lists. ``missing_rules`` names any registered handler without a rule, and the
composition root refuses to build an application with one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler


class Who(StrEnum):
    #: Any person who writes to the bot, with or without a unit.
    ANYONE = "anyone"
    #: A membership in some unit (cadre, unit leader or operator).
    MEMBER = "member"
    #: A unit leader (admin) or an operator (owner).
    ADMIN = "admin"
    #: Not a person's request: plumbing run for every update, or Telegram's own service updates.
    SYSTEM = "system"


PRIVATE = frozenset({"private"})
GROUP = frozenset({"group"})  # groups and supergroups
ANY_CHAT = PRIVATE | GROUP


@dataclass(frozen=True)
class Rule:
    who: Who
    chats: frozenset[str]
    #: Acts on objects named in the update (ids in callback data, unit names in arguments, the
    #: linked chat): each one is checked on the server against the actor's subtree.
    scoped: bool = False
    #: One line for the documentation.
    why: str = ""
    #: The msgids of the answers that refuse (wrong chat, role too low, object outside the
    #: subtree): the matrix test recognises a refusal by them.
    refusals: tuple[str, ...] = ()
    #: Callback actions (``prefix:action:...``) that need more than ``who``.
    actions: Mapping[str, Who] = field(default_factory=dict)
    #: Scoped to the units one is a member of (logging), or to what one is invited to (RSVP), not
    #: to a leader's subtree: operators too. For every action, or only for these actions.
    own_units_only: bool = False
    own_units_actions: frozenset[str] = frozenset()
    #: When given, the dispatcher itself refuses (handlers/dispatch.py) with these msgids: the
    #: wrong kind of chat, and a person below ``who`` (for the action pressed). The handler
    #: body then never sees such an update, and the refusal is written once, here.
    wrong_chat: str | None = None
    not_allowed: str | None = None

    @property
    def enforced(self) -> bool:
        return self.wrong_chat is not None or self.not_allowed is not None

    def who_for(self, action: str | None) -> Who:
        return self.actions.get(action or "", self.who)

    def own_units_for(self, action: str | None) -> bool:
        return self.own_units_only or (action or "") in self.own_units_actions


F = TypeVar("F", bound=Callable[..., Any])

_ATTR = "__access_rule__"


def rule(
    who: Who,
    chats: frozenset[str],
    *,
    scoped: bool = False,
    why: str = "",
    refusals: tuple[str, ...] = (),
    actions: Mapping[str, Who] | None = None,
    own_units_only: bool = False,
    own_units_actions: tuple[str, ...] = (),
    wrong_chat: str | None = None,
    not_allowed: str | None = None,
) -> Callable[[F], F]:
    """Declare the access rule of a handler callback (the callback itself is unchanged)."""
    enforced = tuple(t for t in (wrong_chat, not_allowed) if t is not None and t not in refusals)

    def mark(callback: F) -> F:
        declared = Rule(
            who,
            chats,
            scoped,
            why,
            (*refusals, *enforced),
            dict(actions or {}),
            own_units_only,
            frozenset(own_units_actions),
            wrong_chat,
            not_allowed,
        )
        setattr(callback, _ATTR, declared)
        return callback

    return mark


def rule_of(handler: BaseHandler[Any, Any, Any]) -> Rule | None:
    return rule_of_callback(handler.callback)


def rule_of_callback(callback: Callable[..., Any]) -> Rule | None:
    found = getattr(callback, _ATTR, None)
    return found if isinstance(found, Rule) else None


RANKS = {Who.ANYONE: 0, Who.SYSTEM: 0, Who.MEMBER: 1, Who.ADMIN: 2}


def refusal(declared: Rule, chat_type: str | None, rank: int, action: str | None) -> str | None:
    """The msgid with which the dispatcher refuses, or None to let the handler run."""
    if not declared.enforced:
        return None
    kind = "private" if chat_type == "private" else "group"
    if (chat_type is None and declared.chats != ANY_CHAT) or (
        chat_type is not None and kind not in declared.chats
    ):
        # No chat at all (a button under an inline-mode message) is no chat the rule allows.
        return declared.wrong_chat
    if rank < RANKS[declared.who_for(action)]:
        return declared.not_allowed
    return None


def permits(declared: Rule, rank: int, chat_type: str | None) -> bool:
    """Whether a person of this rank (0 no unit, 1 cadre, 2 unit leader, 3 operator) may use the
    handler in this kind of chat at all (objects it names are checked on top of this)."""
    kind = "private" if chat_type == "private" else "group"
    return kind in declared.chats and rank >= RANKS[declared.who]


def command_rules(app: Any) -> dict[str, Rule]:
    """The rule of every registered command, by command name (what /help lists from)."""
    found: dict[str, Rule] = {}
    for _, handler in all_handlers(app):
        declared = rule_of(handler)
        if isinstance(handler, CommandHandler) and declared is not None:
            for name in handler.commands:
                found.setdefault(name, declared)
    return found


def describe(handler: BaseHandler[Any, Any, Any]) -> str:
    """A readable name: ``/log``, ``callback ^mtg:``, or the handler class and callback."""
    if isinstance(handler, CommandHandler):
        return " ".join(f"/{c}" for c in sorted(handler.commands))
    if isinstance(handler, CallbackQueryHandler):
        pattern = getattr(handler.pattern, "pattern", handler.pattern)
        return f"callback {pattern or '*'}"
    name = getattr(handler.callback, "__qualname__", repr(handler.callback))
    module = getattr(handler.callback, "__module__", "?")
    return f"{type(handler).__name__} {module}.{name}"


def all_handlers(app: Any) -> list[tuple[int, BaseHandler[Any, Any, Any]]]:
    """Every handler registered in the application, with its group."""
    return [(group, h) for group, handlers in sorted(app.handlers.items()) for h in handlers]


def missing_rules(app: Any) -> list[str]:
    """The registered handlers that declare no access rule."""
    return [describe(h) for _, h in all_handlers(app) if rule_of(h) is None]
