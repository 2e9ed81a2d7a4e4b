"""The YAML side of template files: mappings that remember their lines, errors collected by line,
and the small checks every part of a template shares (known fields, bilingual labels, numbers,
keys). What the fields mean is bot/template_files.py.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any

import yaml

from bot.templates import KEY_RE, as_decimal

_LABEL_FIELDS = ("vi", "en")


class TemplateError(ValueError):
    """Every problem found in a template file, each as ``line N: ...``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


# --- YAML with line numbers -------------------------------------------------------------------


class YamlMap(dict[Any, Any]):
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
    """A SafeLoader whose mappings are :class:`YamlMap` instances."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    # Keys written here, as opposed to merged in with `<<: *anchor` (which they may override).
    own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    result = YamlMap()
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


class Errors:
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


def load_yaml(text: str) -> object:
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


def check_fields(mapping: YamlMap, allowed: tuple[str, ...], where: str, errors: Errors) -> None:
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


def labels(
    mapping: YamlMap, field: str, prefix: str, errors: Errors, *, required: bool = True
) -> tuple[str, str] | None:
    """A ``{vi: ..., en: ...}`` pair; None when absent (an error unless optional) or invalid."""
    where = _where(prefix, field)
    value = mapping.get(field)
    if value is None:
        if required:
            errors.add(mapping.line_of(field), f"{where} needs both vi and en")
        return None
    if not isinstance(value, YamlMap):
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


def number(
    mapping: YamlMap, field: str, where: str, errors: Errors, *, whole: bool
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


def is_key(value: object) -> bool:
    return isinstance(value, str) and bool(KEY_RE.match(value))


_KEY_RULE = "must be lower-case letters, digits and _ (at most 48), starting with a letter"


def bad_key(value: object) -> str:
    """The complaint about a key; YAML reads a bare yes/no/on/off as a boolean, which baffles."""
    if isinstance(value, bool):
        return f"key {value!r} {_KEY_RULE} (YAML reads a bare yes, no, on or off as true/false)"
    return f"key {value!r} {_KEY_RULE}"
