"""Report template files: YAML written by people, not programmers, read strictly and helpfully.

Every problem in a file is collected and reported as ``line N: ...`` (unknown fields such as
``requried`` included), rather than silently ignored and found by cadres in the middle of a report.
What a valid file becomes is the model in ``bot/templates.py``.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.template_yaml import (
    Errors,
    TemplateError,
    YamlMap,
    bad_key,
    check_fields,
    is_key,
    labels,
    load_yaml,
    number,
)
from bot.templates import (
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    MAX_MAX_LENGTH,
    MAX_OPTIONS,
    MIN_OPTIONS,
    NUMERIC_TYPES,
    ORGANISATIONS,
    PERIODS,
    QUESTION_TYPES,
    UNIT_KINDS,
    WHOLE_TYPES,
    Condition,
    Option,
    Prefill,
    Question,
    Template,
)

_TEMPLATE_FIELDS = ("key", "version", "title", "period", "for", "questions")
_FOR_FIELDS = ("kinds", "orgs")
_QUESTION_FIELDS = (
    "key",
    "type",
    "label",
    "help",
    "required",
    "min",
    "max",
    "max_length",
    "options",
    "prefill",
    "when",
    "at_most",
    "within_period",
)
_OPTION_FIELDS = ("key", "label")
_PREFILL_FIELDS = ("activity", "measure")
_WHEN_FIELDS = ("question", "equals", "exceeds")


@dataclass
class _Ref:
    """What skip logic may know about another question: where it is and what it accepts."""

    index: int
    question: Question | None


def parse_template(
    text: str,
    *,
    known_activities: Mapping[str, Collection[str]] | None = None,
    known_kinds: Collection[str] = UNIT_KINDS,
    known_orgs: Collection[str] = ORGANISATIONS,
) -> Template:
    """Validate a template file and build it; all problems are raised together as TemplateError.

    ``known_activities`` maps each activity type to its measure keys (from the catalog); when given,
    a prefill naming an activity or measure the catalog lacks is an error rather than a question
    that would silently prefill nothing. ``known_kinds`` and ``known_orgs`` are the unit levels and
    organisations a ``for:`` may name (the database's, when loading into one).
    """
    data = load_yaml(text)
    if not isinstance(data, YamlMap):
        raise TemplateError(
            ["line 1: a template must be a mapping with key, version, title, period and questions"]
        )
    errors = Errors()
    check_fields(data, _TEMPLATE_FIELDS, "template", errors)

    key = data.get("key")
    if not is_key(key):
        errors.add(data.line_of("key"), f"template {bad_key(key)}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version <= 0:
        errors.add(
            data.line_of("version"), f"version must be a positive whole number, not {version!r}"
        )
        version = 0
    title = labels(data, "title", "", errors)
    period = data.get("period")
    if period not in PERIODS:
        errors.add(
            data.line_of("period"), f"period must be one of {', '.join(PERIODS)}, not {period!r}"
        )

    kinds, orgs = _audience(data, errors, known_kinds, known_orgs)
    questions = _questions(data, errors, known_activities)
    if errors or title is None:
        raise TemplateError(errors.messages())
    return Template(
        str(key), version, title[0], title[1], str(period), questions, kinds=kinds, orgs=orgs
    )


def _audience(
    data: YamlMap, errors: Errors, known_kinds: Collection[str], known_orgs: Collection[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``for: {kinds: [...], orgs: [...]}``: the unit levels and organisations the template is
    for (either may be left out: any). Without ``for`` the template is for every unit."""
    value = data.get("for")
    if value is None:
        return (), ()
    line = data.line_of("for")
    if not isinstance(value, YamlMap) or not value:
        errors.add(line, "for must be {kinds: [...], orgs: [...]} (at least one of them)")
        return (), ()
    check_fields(value, _FOR_FIELDS, "for", errors)
    result: list[tuple[str, ...]] = []
    for field, known, what in (
        ("kinds", known_kinds, "unit kind"),
        ("orgs", known_orgs, "organisation"),
    ):
        items = value.get(field)
        if items is None:
            result.append(())
            continue
        fline = value.line_of(field)
        if not isinstance(items, list) or not items:
            errors.add(fline, f"for: {field} must be a non-empty list, e.g. [{next(iter(known))}]")
            result.append(())
            continue
        seen: list[str] = []
        for item in items:
            if item not in known:
                hint = difflib.get_close_matches(str(item), list(known), n=1)
                suggestion = f" (did you mean {hint[0]}?)" if hint else ""
                errors.add(
                    fline,
                    f"for: unknown {what} {item!r}{suggestion}; known: {', '.join(known)}",
                )
            elif item in seen:
                errors.add(fline, f"for: {field} names {item} twice")
            else:
                seen.append(str(item))
        result.append(tuple(seen))
    return result[0], result[1]


def load_template_file(
    path: Path,
    *,
    known_activities: Mapping[str, Collection[str]] | None = None,
    known_kinds: Collection[str] = UNIT_KINDS,
    known_orgs: Collection[str] = ORGANISATIONS,
) -> Template:
    """Read a template file as UTF-8 (Vietnamese labels) and parse it; errors as in parse_template."""
    return parse_template(
        path.read_text(encoding="utf-8"),
        known_activities=known_activities,
        known_kinds=known_kinds,
        known_orgs=known_orgs,
    )


def _questions(
    data: YamlMap, errors: Errors, known: Mapping[str, Collection[str]] | None
) -> tuple[Question, ...]:
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        errors.add(data.line_of("questions"), "the template needs a non-empty list `questions:`")
        return ()
    # First pass: where each key is, so skip logic can tell "unknown" from "later".
    refs: dict[str, _Ref] = {}
    for index, item in enumerate(items):
        if isinstance(item, YamlMap) and isinstance(item.get("key"), str):
            refs.setdefault(item["key"], _Ref(index, None))
    result: list[Question] = []
    for index, item in enumerate(items):
        if not isinstance(item, YamlMap):
            errors.add(data.line_of("questions"), f"question {index + 1} must be a mapping")
            continue
        question = _question(item, index, refs, errors, known)
        if question is not None:
            refs[question.key].question = question
            result.append(question)
    return tuple(result)


def _question(
    item: YamlMap,
    index: int,
    refs: dict[str, _Ref],
    errors: Errors,
    known: Mapping[str, Collection[str]] | None,
) -> Question | None:
    """One question, or None when it has errors (they are recorded, and parsing goes on)."""
    before = len(errors.items)
    key = item.get("key")
    where = f"question {key}" if is_key(key) else f"question {index + 1}"
    check_fields(item, _QUESTION_FIELDS, where, errors)
    if not is_key(key):
        errors.add(item.line_of("key"), f"{where}: {bad_key(key)}")
    elif refs[str(key)].index != index:
        first = refs[str(key)].index
        errors.add(item.line_of("key"), f"{where} appears twice (first as question {first + 1})")
    qtype = item.get("type")
    if qtype not in QUESTION_TYPES:
        errors.add(
            item.line_of("type"),
            f"{where}: type must be one of {', '.join(QUESTION_TYPES)}, not {qtype!r}",
        )
        qtype = None
    label = labels(item, "label", where, errors)
    help_ = labels(item, "help", where, errors, required=False)
    required = item.get("required", True)
    if not isinstance(required, bool):
        errors.add(item.line_of("required"), f"{where}: required must be true or false")

    numeric = qtype in NUMERIC_TYPES
    bounds: dict[str, Decimal | None] = {"min": None, "max": None}
    for field in ("min", "max"):
        if field not in item:
            continue
        if qtype is not None and not numeric:
            errors.add(
                item.line_of(field),
                f"{where}: {field} applies only to integer, money and decimal questions",
            )
            continue
        bounds[field] = number(item, field, where, errors, whole=qtype in WHOLE_TYPES)
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low > high:
        errors.add(item.line_of("min"), f"{where}: min {low} is greater than max {high}")

    max_length = DEFAULT_MAX_LENGTH
    if "max_length" in item:
        value = item["max_length"]
        if qtype is not None and qtype != "text":
            errors.add(item.line_of("max_length"), f"{where}: max_length applies only to text")
        elif (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 1 <= value <= MAX_MAX_LENGTH
        ):
            errors.add(
                item.line_of("max_length"),
                f"{where}: max_length must be a whole number from 1 to {MAX_MAX_LENGTH}, "
                f"not {value!r}",
            )
        else:
            max_length = value

    options = _options(item, qtype, where, errors)
    prefill = _prefill(item, qtype, where, errors, known)
    when = _when(item, index, refs, where, errors)
    at_most = _at_most(item, qtype, index, refs, where, errors)
    within_period = item.get("within_period", False)
    if not isinstance(within_period, bool):
        errors.add(item.line_of("within_period"), f"{where}: within_period must be true or false")
    elif within_period and qtype is not None and qtype != "date":
        errors.add(item.line_of("within_period"), f"{where}: within_period applies only to dates")

    if len(errors.items) > before or qtype is None or label is None:
        return None
    return Question(
        key=str(key),
        type=qtype,
        label_vi=label[0],
        label_en=label[1],
        help_vi=None if help_ is None else help_[0],
        help_en=None if help_ is None else help_[1],
        required=bool(required),
        min=low,
        max=high,
        max_length=max_length,
        options=options,
        prefill=prefill,
        when=when,
        at_most=at_most,
        within_period=within_period is True,
    )


def _options(item: YamlMap, qtype: str | None, where: str, errors: Errors) -> tuple[Option, ...]:
    value = item.get("options")
    if qtype is None:
        return ()
    if qtype not in CHOICE_TYPES:
        if value is not None:
            errors.add(item.line_of("options"), f"{where}: options apply only to choice and multi")
        return ()
    if (
        not isinstance(value, list)
        or not MIN_OPTIONS <= len(value) <= MAX_OPTIONS
        or not all(isinstance(o, YamlMap) for o in value)
    ):
        errors.add(
            item.line_of("options"),
            f"{where}: a {qtype} question needs a list of {MIN_OPTIONS} to {MAX_OPTIONS} options, "
            "each {key: ..., label: {vi: ..., en: ...}}",
        )
        return ()
    result: list[Option] = []
    seen: set[str] = set()
    for option in value:
        okey = option.get("key")
        owhere = f"{where}: option {okey}" if is_key(okey) else f"{where}: option"
        check_fields(option, _OPTION_FIELDS, owhere, errors)
        label = labels(option, "label", owhere, errors)
        if not is_key(okey):
            errors.add(option.line_of("key"), f"{owhere}: {bad_key(okey)}")
            continue
        if okey in seen:
            errors.add(option.line_of("key"), f"{owhere} appears twice")
            continue
        seen.add(str(okey))
        if label is not None:
            result.append(Option(str(okey), label[0], label[1]))
    return tuple(result)


def _prefill(
    item: YamlMap,
    qtype: str | None,
    where: str,
    errors: Errors,
    known: Mapping[str, Collection[str]] | None,
) -> Prefill | None:
    value = item.get("prefill")
    if value is None:
        return None
    line = item.line_of("prefill")
    if qtype is not None and qtype not in NUMERIC_TYPES:
        errors.add(line, f"{where}: prefill applies only to integer, money and decimal questions")
        return None
    if not isinstance(value, YamlMap):
        errors.add(line, f"{where}: prefill must be {{activity: ..., measure: ...}}")
        return None
    check_fields(value, _PREFILL_FIELDS, f"{where}: prefill", errors)
    activity, measure = value.get("activity"), value.get("measure")
    if not is_key(activity) or not is_key(measure):
        errors.add(value.line, f"{where}: prefill needs an activity key and a measure key")
        return None
    if known is not None:
        if activity not in known:
            errors.add(value.line, f"{where}: prefill names unknown activity {activity}")
            return None
        if measure not in known[str(activity)]:
            errors.add(value.line, f"{where}: activity {activity} has no measure {measure}")
            return None
    return Prefill(str(activity), str(measure))


def _when(
    item: YamlMap, index: int, refs: dict[str, _Ref], where: str, errors: Errors
) -> Condition | None:
    value = item.get("when")
    if value is None:
        return None
    line = item.line_of("when")
    if not isinstance(value, YamlMap):
        errors.add(line, f"{where}: when must be {{question: ..., equals: ...}} or exceeds")
        return None
    check_fields(value, _WHEN_FIELDS, f"{where}: when", errors)
    line = value.line
    target = value.get("question")
    ref = refs.get(target) if isinstance(target, str) else None
    if ref is None:
        errors.add(line, f"{where}: skip logic refers to unknown question {target!r}")
        return None
    if ref.index >= index:
        errors.add(line, f"{where}: skip logic may only refer to an earlier question ({target})")
        return None
    if ("equals" in value) == ("exceeds" in value):
        errors.add(line, f"{where}: when needs exactly one of equals or exceeds")
        return None
    referenced = ref.question
    if referenced is None:
        return None  # The earlier question has its own errors; judging against it would mislead.
    rtype = referenced.type
    if "exceeds" in value:
        if rtype not in NUMERIC_TYPES:
            errors.add(
                value.line_of("exceeds"),
                f"{where}: exceeds needs a numeric question, and {target} is {rtype}",
            )
            return None
        amount = number(value, "exceeds", f"{where}: when", errors, whole=False)
        return None if amount is None else Condition(str(target), exceeds=amount)
    equals = value["equals"]
    eline = value.line_of("equals")
    if rtype in CHOICE_TYPES:
        keys = [o.key for o in referenced.options]
        if equals not in keys:
            errors.add(
                eline, f"{where}: equals must be one of {target}'s options ({', '.join(keys)})"
            )
            return None
        return Condition(str(target), equals=equals)
    if rtype == "yesno":
        if not isinstance(equals, bool):
            errors.add(eline, f"{where}: {target} is yes/no, so equals must be true or false")
            return None
        return Condition(str(target), equals=equals)
    if rtype in NUMERIC_TYPES:
        amount = number(value, "equals", f"{where}: when", errors, whole=False)
        return None if amount is None else Condition(str(target), equals=amount)
    errors.add(
        eline,
        f"{where}: skip logic cannot depend on a {rtype} question "
        "(only choice, multi, yesno and numbers)",
    )
    return None


def _at_most(
    item: YamlMap, qtype: str | None, index: int, refs: dict[str, _Ref], where: str, errors: Errors
) -> str | None:
    """``at_most: <key>``: this number never above an earlier numeric question's answer."""
    target = item.get("at_most")
    if target is None:
        return None
    line = item.line_of("at_most")
    if qtype is not None and qtype not in NUMERIC_TYPES:
        errors.add(line, f"{where}: at_most applies only to integer, money and decimal questions")
        return None
    ref = refs.get(target) if isinstance(target, str) else None
    if ref is None:
        errors.add(line, f"{where}: at_most refers to unknown question {target!r}")
        return None
    if ref.index >= index:
        errors.add(line, f"{where}: at_most may only refer to an earlier question ({target})")
        return None
    if ref.question is not None and ref.question.type not in NUMERIC_TYPES:
        errors.add(
            line, f"{where}: at_most needs a numeric question, and {target} is {ref.question.type}"
        )
        return None
    return str(target)
