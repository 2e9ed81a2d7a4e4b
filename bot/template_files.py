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
from typing import Any

import yaml

from bot.templates import (
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    KEY_RE,
    MAX_MAX_LENGTH,
    MAX_OPTIONS,
    MIN_OPTIONS,
    NUMERIC_TYPES,
    PERIODS,
    QUESTION_TYPES,
    WHOLE_TYPES,
    Condition,
    Option,
    Prefill,
    Question,
    Template,
    as_decimal,
)

_TEMPLATE_FIELDS = ("key", "version", "title", "period", "questions")
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
_LABEL_FIELDS = ("vi", "en")


class TemplateError(ValueError):
    """Every problem found in a template file, each as ``line N: ...``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


# --- YAML with line numbers -------------------------------------------------------------------


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers where it starts and where each key is, for error messages.

    The line lives on the object rather than under a ``__line__`` key so that it can never be
    mistaken for (or collide with) a field when unknown fields are reported.
    """

    line: int = 1
    key_lines: dict[Any, int]
    duplicates: list[tuple[Any, int]]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings are :class:`_Map` instances."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    # Keys written here, as opposed to merged in with `<<: *anchor` (which they may override).
    own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.duplicates = []
    written: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        line = key_node.start_mark.line + 1
        if id(key_node) in own:
            if key in written:
                # PyYAML would silently keep the last value; a repeated field is nearly always a slip.
                result.duplicates.append((key, line))
            written.add(key)
        result.key_lines.setdefault(key, line)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


class _Errors:
    """Problems collected while parsing, reported together sorted by line."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def add(self, line: int, message: str) -> None:
        self.items.append((line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def messages(self) -> list[str]:
        return [
            f"line {line}: {message}" for line, message in sorted(self.items, key=lambda i: i[0])
        ]


def _load_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        # The problem mark is where PyYAML gave up; for an unclosed bracket or quote that is the end
        # of the file, so the place where the construct began (the context mark) is named as well.
        problem_mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        mark = problem_mark or context_mark
        line = mark.line + 1 if mark is not None else 1
        message = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context and context_mark is not None and context_mark.line + 1 != line:
            message += f", {context} at line {context_mark.line + 1}"
        raise TemplateError([f"line {line}: not valid YAML ({message})"]) from None


# --- validation -------------------------------------------------------------------------------


def _check_fields(mapping: _Map, allowed: tuple[str, ...], where: str, errors: _Errors) -> None:
    for key, line in mapping.duplicates:
        errors.add(line, f"{where}: {key} is given twice")
    for key in mapping:
        if key in allowed:
            continue
        hint = difflib.get_close_matches(str(key), allowed, n=1)
        suggestion = f" (did you mean {hint[0]}?)" if hint else ""
        errors.add(mapping.line_of(key), f"{where}: unknown field {key!r}{suggestion}")


def _where(prefix: str, name: str) -> str:
    return f"{prefix}: {name}" if prefix else name


def _labels(
    mapping: _Map, field: str, prefix: str, errors: _Errors, *, required: bool = True
) -> tuple[str, str] | None:
    """A ``{vi: ..., en: ...}`` pair; None when absent (an error unless optional) or invalid."""
    where = _where(prefix, field)
    value = mapping.get(field)
    if value is None:
        if required:
            errors.add(mapping.line_of(field), f"{where} needs both vi and en")
        return None
    if not isinstance(value, _Map):
        errors.add(mapping.line_of(field), f"{where} must be a mapping {{vi: ..., en: ...}}")
        return None
    for key, line in value.duplicates:
        errors.add(line, f"{where}: {key} is given twice")
    extra = [str(k) for k in value if k not in _LABEL_FIELDS]
    if extra:
        # Usually an unquoted comma in a flow mapping: {vi: Xóa nhà tạm, nhà dột nát} splits it.
        errors.add(
            value.line,
            f"{where} has unexpected {', '.join(repr(e) for e in extra)} "
            "(put text with commas in quotes)",
        )
    texts = [value.get(k) for k in _LABEL_FIELDS]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        errors.add(value.line, f"{where} needs both vi and en")
        return None
    return str(texts[0]).strip(), str(texts[1]).strip()


def _number(
    mapping: _Map, field: str, where: str, errors: _Errors, *, whole: bool
) -> Decimal | None:
    value = mapping[field]
    number = None if isinstance(value, str) else as_decimal(value)
    if number is None:
        errors.add(mapping.line_of(field), f"{where}: {field} must be a number, not {value!r}")
        return None
    if whole and number != number.to_integral_value():
        errors.add(
            mapping.line_of(field), f"{where}: {field} must be a whole number, not {value!r}"
        )
        return None
    return number


def _is_key(value: object) -> bool:
    return isinstance(value, str) and bool(KEY_RE.match(value))


_KEY_RULE = "must be lower-case letters, digits and _ (at most 48), starting with a letter"


def _bad_key(value: object) -> str:
    """The complaint about a key; YAML reads a bare yes/no/on/off as a boolean, which baffles."""
    if isinstance(value, bool):
        return f"key {value!r} {_KEY_RULE} (YAML reads a bare yes, no, on or off as true/false)"
    return f"key {value!r} {_KEY_RULE}"


@dataclass
class _Ref:
    """What skip logic may know about another question: where it is and what it accepts."""

    index: int
    question: Question | None


def parse_template(
    text: str, *, known_activities: Mapping[str, Collection[str]] | None = None
) -> Template:
    """Validate a template file and build it; all problems are raised together as TemplateError.

    ``known_activities`` maps each activity type to its measure keys (from the catalog); when given,
    a prefill naming an activity or measure the catalog lacks is an error rather than a question
    that would silently prefill nothing.
    """
    data = _load_yaml(text)
    if not isinstance(data, _Map):
        raise TemplateError(
            ["line 1: a template must be a mapping with key, version, title, period and questions"]
        )
    errors = _Errors()
    _check_fields(data, _TEMPLATE_FIELDS, "template", errors)

    key = data.get("key")
    if not _is_key(key):
        errors.add(data.line_of("key"), f"template {_bad_key(key)}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version <= 0:
        errors.add(
            data.line_of("version"), f"version must be a positive whole number, not {version!r}"
        )
        version = 0
    title = _labels(data, "title", "", errors)
    period = data.get("period")
    if period not in PERIODS:
        errors.add(
            data.line_of("period"), f"period must be one of {', '.join(PERIODS)}, not {period!r}"
        )

    questions = _questions(data, errors, known_activities)
    if errors or title is None:
        raise TemplateError(errors.messages())
    return Template(str(key), version, title[0], title[1], str(period), questions)


def load_template_file(
    path: Path, *, known_activities: Mapping[str, Collection[str]] | None = None
) -> Template:
    """Read a template file as UTF-8 (Vietnamese labels) and parse it; errors as in parse_template."""
    return parse_template(path.read_text(encoding="utf-8"), known_activities=known_activities)


def _questions(
    data: _Map, errors: _Errors, known: Mapping[str, Collection[str]] | None
) -> tuple[Question, ...]:
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        errors.add(data.line_of("questions"), "the template needs a non-empty list `questions:`")
        return ()
    # First pass: where each key is, so skip logic can tell "unknown" from "later".
    refs: dict[str, _Ref] = {}
    for index, item in enumerate(items):
        if isinstance(item, _Map) and isinstance(item.get("key"), str):
            refs.setdefault(item["key"], _Ref(index, None))
    result: list[Question] = []
    for index, item in enumerate(items):
        if not isinstance(item, _Map):
            errors.add(data.line_of("questions"), f"question {index + 1} must be a mapping")
            continue
        question = _question(item, index, refs, errors, known)
        if question is not None:
            refs[question.key].question = question
            result.append(question)
    return tuple(result)


def _question(
    item: _Map,
    index: int,
    refs: dict[str, _Ref],
    errors: _Errors,
    known: Mapping[str, Collection[str]] | None,
) -> Question | None:
    """One question, or None when it has errors (they are recorded, and parsing goes on)."""
    before = len(errors.items)
    key = item.get("key")
    where = f"question {key}" if _is_key(key) else f"question {index + 1}"
    _check_fields(item, _QUESTION_FIELDS, where, errors)
    if not _is_key(key):
        errors.add(item.line_of("key"), f"{where}: {_bad_key(key)}")
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
    label = _labels(item, "label", where, errors)
    help_ = _labels(item, "help", where, errors, required=False)
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
        bounds[field] = _number(item, field, where, errors, whole=qtype in WHOLE_TYPES)
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


def _options(item: _Map, qtype: str | None, where: str, errors: _Errors) -> tuple[Option, ...]:
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
        or not all(isinstance(o, _Map) for o in value)
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
        owhere = f"{where}: option {okey}" if _is_key(okey) else f"{where}: option"
        _check_fields(option, _OPTION_FIELDS, owhere, errors)
        label = _labels(option, "label", owhere, errors)
        if not _is_key(okey):
            errors.add(option.line_of("key"), f"{owhere}: {_bad_key(okey)}")
            continue
        if okey in seen:
            errors.add(option.line_of("key"), f"{owhere} appears twice")
            continue
        seen.add(str(okey))
        if label is not None:
            result.append(Option(str(okey), label[0], label[1]))
    return tuple(result)


def _prefill(
    item: _Map,
    qtype: str | None,
    where: str,
    errors: _Errors,
    known: Mapping[str, Collection[str]] | None,
) -> Prefill | None:
    value = item.get("prefill")
    if value is None:
        return None
    line = item.line_of("prefill")
    if qtype is not None and qtype not in NUMERIC_TYPES:
        errors.add(line, f"{where}: prefill applies only to integer, money and decimal questions")
        return None
    if not isinstance(value, _Map):
        errors.add(line, f"{where}: prefill must be {{activity: ..., measure: ...}}")
        return None
    _check_fields(value, _PREFILL_FIELDS, f"{where}: prefill", errors)
    activity, measure = value.get("activity"), value.get("measure")
    if not _is_key(activity) or not _is_key(measure):
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
    item: _Map, index: int, refs: dict[str, _Ref], where: str, errors: _Errors
) -> Condition | None:
    value = item.get("when")
    if value is None:
        return None
    line = item.line_of("when")
    if not isinstance(value, _Map):
        errors.add(line, f"{where}: when must be {{question: ..., equals: ...}} or exceeds")
        return None
    _check_fields(value, _WHEN_FIELDS, f"{where}: when", errors)
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
        number = _number(value, "exceeds", f"{where}: when", errors, whole=False)
        return None if number is None else Condition(str(target), exceeds=number)
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
        number = _number(value, "equals", f"{where}: when", errors, whole=False)
        return None if number is None else Condition(str(target), equals=number)
    errors.add(
        eline,
        f"{where}: skip logic cannot depend on a {rtype} question "
        "(only choice, multi, yesno and numbers)",
    )
    return None


def _at_most(
    item: _Map, qtype: str | None, index: int, refs: dict[str, _Ref], where: str, errors: _Errors
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
