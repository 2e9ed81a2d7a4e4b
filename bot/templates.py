"""Report templates: questionnaires answered one question at a time (PRODUCT §4), with their skip
logic. Reading a template file (YAML, every problem named with its line) is bot/template_files.py.

A template that a round has used is never changed in place: rounds store :meth:`Template.to_dict`
of the exact version they asked, and read it back with :meth:`Template.from_dict`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

QUESTION_TYPES = (
    "integer",
    "money",
    "decimal",
    "text",
    "choice",
    "multi",
    "yesno",
    "date",
    "photo",
)
NUMERIC_TYPES = ("integer", "money", "decimal")
#: Money is counted in whole đồng, so its bounds are whole numbers like an integer's.
WHOLE_TYPES = ("integer", "money")
CHOICE_TYPES = ("choice", "multi")
PERIODS = ("month", "quarter", "half", "year")
#: The levels and organisations a new deployment has (storage's first migration seeds them); a
#: deployment may add levels, and the loader is then given the database's lists instead.
UNIT_KINDS = ("central", "province", "district", "commune", "residential_area", "work_group")
ORGANISATIONS = ("mttq", "phu_nu", "thanh_nien", "nong_dan", "cuu_chien_binh", "cong_doan", "ubnd")
DEFAULT_MAX_LENGTH = 2000
#: Telegram caps a message at 4,096 characters; the answer must fit in one with room for a prefix.
MAX_MAX_LENGTH = 4000
MIN_OPTIONS, MAX_OPTIONS = 2, 20
#: Keys travel in callback data (at most 64 bytes), hence the length cap.
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
DEFAULT_TEMPLATES_DIR = Path(__file__).parent / "data" / "templates"


def _is_english(locale: str) -> bool:
    # Vietnamese is the deployment's default language; only an explicit English locale switches.
    return locale.lower().startswith("en")


def as_decimal(value: object) -> Decimal | None:
    """A number from an answer as stored (int, Decimal, float or numeric text), else None."""
    if isinstance(value, bool):
        return None  # True is an int to Python, but "yes" is not the number 1 to a cadre.
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class Option:
    key: str
    label_vi: str
    label_en: str

    def label(self, locale: str) -> str:
        return self.label_en if _is_english(locale) else self.label_vi


@dataclass(frozen=True)
class Condition:
    """Skip logic: ask a question only when an earlier answer ``equals`` a value or ``exceeds`` a
    number. For a multiple-choice question, ``equals`` means "the option is among those chosen"."""

    question: str
    equals: object | None = None
    exceeds: Decimal | None = None

    def holds(self, answers: Mapping[str, object]) -> bool:
        # A missing or skipped (None) answer never satisfies a condition: no follow-up is asked.
        answer = answers.get(self.question)
        if answer is None:
            return False
        if self.exceeds is not None:
            number = as_decimal(answer)
            return number is not None and number > self.exceeds
        if isinstance(self.equals, bool):
            return isinstance(answer, bool) and answer == self.equals
        if isinstance(self.equals, Decimal):
            number = as_decimal(answer)
            return number is not None and number == self.equals
        if isinstance(answer, list | tuple | set | frozenset):
            return self.equals in answer
        return bool(answer == self.equals)


@dataclass(frozen=True)
class Prefill:
    """The activity-log total (this unit's subtree, this period) offered as the default answer."""

    activity: str
    measure: str


@dataclass(frozen=True)
class Question:
    """One question; ``max_length`` matters only for text, ``options`` only for choice/multi."""

    key: str
    type: str
    label_vi: str
    label_en: str
    help_vi: str | None
    help_en: str | None
    required: bool
    min: Decimal | None
    max: Decimal | None
    max_length: int
    options: tuple[Option, ...]
    prefill: Prefill | None
    when: Condition | None
    #: Consistency (issue 16): a number never above the answer to this earlier numeric question
    #: ("of these, forwarded" ≤ "received"); a date inside the report's period.
    at_most: str | None = None
    within_period: bool = False

    def label(self, locale: str) -> str:
        return self.label_en if _is_english(locale) else self.label_vi

    def help(self, locale: str) -> str | None:
        return self.help_en if _is_english(locale) else self.help_vi


@dataclass(frozen=True)
class Violation:
    """An answer against a consistency rule: ``above`` its ``at_most`` question's answer,
    ``below`` the answer of a question limited by it, or a date ``outside_period``."""

    question: Question
    kind: str
    other: Question | None = None
    limit: Decimal | None = None


@dataclass(frozen=True)
class Template:
    """A versioned questionnaire; immutable, so a round can hold the exact version it asked."""

    key: str
    version: int
    title_vi: str
    title_en: str
    period: str
    questions: tuple[Question, ...]
    #: Who answers it (issue 16 §3): the kinds of unit and the organisations it is for; empty:
    #: any. A thôn's Ban Công tác Mặt trận is not asked about "the People's Committee at its level".
    kinds: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()

    def title(self, locale: str) -> str:
        return self.title_en if _is_english(locale) else self.title_vi

    def fits(self, kind: str, org: str) -> bool:
        """Whether a unit of this kind and organisation is one the template is for."""
        return (not self.kinds or kind in self.kinds) and (not self.orgs or org in self.orgs)

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def applicable(self, answers: Mapping[str, object]) -> list[Question]:
        """The questions to ask, in order.

        Conditions are checked only against answers to questions that are themselves applicable:
        a stale answer left over after the cadre went back and changed an earlier one must not keep
        its follow-ups alive. Since ``when`` refers only to earlier questions, one pass suffices.
        """
        live: dict[str, object] = {}
        result: list[Question] = []
        for question in self.questions:
            if question.when is None or question.when.holds(live):
                result.append(question)
                if question.key in answers:
                    live[question.key] = answers[question.key]
        return result

    def next_question(self, answers: Mapping[str, object]) -> Question | None:
        """The first applicable question not yet answered; a skipped optional one is stored as None
        and counts as answered, so a resumed draft does not ask it again."""
        for question in self.applicable(answers):
            if question.key not in answers:
                return question
        return None

    def violation(
        self, answers: Mapping[str, object], key: str, value: object, period: tuple[date, date]
    ) -> Violation | None:
        """Whether giving ``value`` to question ``key`` breaks a consistency rule of the template,
        against the other applicable answers: its own ``at_most`` (not more than the earlier
        answer), another question's ``at_most`` naming it (not less than what is already given
        there), ``within_period`` (a date inside ``period``, the report's first and last day)."""
        question = self.question(key)
        given = {**answers, key: value}
        live = {q.key: given[q.key] for q in self.applicable(given) if q.key in given}
        if question.within_period and isinstance(value, str):
            day = date.fromisoformat(value)
            if not period[0] <= day <= period[1]:
                return Violation(question, "outside_period")
        number = as_decimal(value)
        if number is None:
            return None
        if question.at_most is not None:
            limit = as_decimal(live.get(question.at_most))
            if limit is not None and number > limit:
                return Violation(question, "above", self.question(question.at_most), limit)
        for other in self.questions:
            if other.at_most == key and other.key in live:
                below = as_decimal(live[other.key])
                if below is not None and number < below:
                    return Violation(question, "below", other, below)
        return None

    def violations(
        self, answers: Mapping[str, object], period: tuple[date, date]
    ) -> list[Violation]:
        """Every answer that breaks a rule (``submit`` refuses a report with any)."""
        found = []
        for question in self.applicable(answers):
            if answers.get(question.key) is None:
                continue
            problem = self.violation(answers, question.key, answers[question.key], period)
            if problem is not None and problem.kind != "below":  # each pair once
                found.append(problem)
        return found

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy, stored with a round so it keeps asking exactly what it asked."""
        data: dict[str, Any] = {
            "key": self.key,
            "version": self.version,
            "title": {"vi": self.title_vi, "en": self.title_en},
            "period": self.period,
            "questions": [_question_to_dict(q) for q in self.questions],
        }
        if self.kinds or self.orgs:
            # Only when declared: a template stored before audiences existed stays equal to its
            # file, so loading that file again is not a new version.
            data["for"] = {"kinds": list(self.kinds), "orgs": list(self.orgs)}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Template:
        """The inverse of :meth:`to_dict`. It trusts its input: that was validated when parsed."""
        return cls(
            key=data["key"],
            version=int(data["version"]),
            title_vi=data["title"]["vi"],
            title_en=data["title"]["en"],
            period=data["period"],
            questions=tuple(_question_from_dict(q) for q in data["questions"]),
            kinds=tuple(data.get("for", {}).get("kinds", ())),
            orgs=tuple(data.get("for", {}).get("orgs", ())),
        )


def _decimal_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_from(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _question_to_dict(q: Question) -> dict[str, Any]:
    when: dict[str, Any] | None = None
    if q.when is not None:
        when = {"question": q.when.question}
        if q.when.exceeds is not None:
            when["exceeds"] = str(q.when.exceeds)
        elif isinstance(q.when.equals, Decimal):
            # Kept apart from `equals` so that from_dict can tell the number 1 from the option "1".
            when["equals_number"] = str(q.when.equals)
        else:
            when["equals"] = q.when.equals
    return {
        "key": q.key,
        "type": q.type,
        "label": {"vi": q.label_vi, "en": q.label_en},
        "help": None if q.help_vi is None else {"vi": q.help_vi, "en": q.help_en},
        "required": q.required,
        "min": _decimal_str(q.min),
        "max": _decimal_str(q.max),
        "max_length": q.max_length,
        "options": [
            {"key": o.key, "label": {"vi": o.label_vi, "en": o.label_en}} for o in q.options
        ],
        "prefill": None
        if q.prefill is None
        else {"activity": q.prefill.activity, "measure": q.prefill.measure},
        "when": when,
        "at_most": q.at_most,
        "within_period": q.within_period,
    }


def _question_from_dict(data: Mapping[str, Any]) -> Question:
    help_ = data.get("help")
    prefill = data.get("prefill")
    when = data.get("when")
    condition: Condition | None = None
    if when is not None:
        if "exceeds" in when:
            condition = Condition(when["question"], exceeds=Decimal(when["exceeds"]))
        elif "equals_number" in when:
            condition = Condition(when["question"], equals=Decimal(when["equals_number"]))
        else:
            condition = Condition(when["question"], equals=when.get("equals"))
    return Question(
        key=data["key"],
        type=data["type"],
        label_vi=data["label"]["vi"],
        label_en=data["label"]["en"],
        help_vi=None if help_ is None else help_["vi"],
        help_en=None if help_ is None else help_["en"],
        required=bool(data.get("required", True)),
        min=_decimal_from(data.get("min")),
        max=_decimal_from(data.get("max")),
        max_length=int(data.get("max_length", DEFAULT_MAX_LENGTH)),
        options=tuple(
            Option(o["key"], o["label"]["vi"], o["label"]["en"]) for o in data.get("options", ())
        ),
        prefill=None if prefill is None else Prefill(prefill["activity"], prefill["measure"]),
        when=condition,
        at_most=data.get("at_most"),
        within_period=bool(data.get("within_period", False)),
    )
