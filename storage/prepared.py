"""Statements compiled once per dialect and run on a bare driver connection.

SQLAlchemy's execution path (cache key, execution context, result set-up, events) costs tens of
microseconds a statement, several times what SQLite itself takes for the small statements every
``/log`` runs (docs/benchmarks.md). A ``Prepared`` keeps what that path would compute the same way
each time: the SQL text, the parameters' order and SQLAlchemy's own type processing (through the
public ``TypeEngine`` processors), so values go in and come out exactly as through the engine.

Only statements that need nothing more qualify (``Prepared.of`` returns None otherwise, and the
caller uses the engine): no Python-side column defaults to compute, no expanding ``IN``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql import Executable, Select
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None


#: A parameter that the caller must give (a ``bindparam`` without a value).
_REQUIRED: Any = object()


@dataclass(frozen=True)
class Prepared:
    sql: str
    names: tuple[str, ...]
    #: Per parameter: the value it has in the statement itself, or ``_REQUIRED``.
    defaults: tuple[Any, ...]
    binds: tuple[Processor, ...]
    columns: tuple[Processor, ...]

    @classmethod
    def of(cls, stmt: Executable, dialect: Dialect, keys: Iterable[str] = ()) -> Prepared | None:
        """``stmt`` compiled for ``dialect`` and the parameter names ``keys`` (an INSERT's
        columns depend on them), or None when it needs the engine's execution path."""
        if isinstance(stmt, Select):
            returned: Sequence[Any] = list(stmt.selected_columns)
        elif isinstance(stmt, UpdateBase):
            returned = list(stmt.exported_columns)
        else:
            return None
        compiled: Any = stmt.compile(dialect=dialect, column_keys=list(keys))
        if (
            getattr(compiled, "insert_prefetch", None)
            or getattr(compiled, "update_prefetch", None)
            or getattr(compiled, "literal_execute_params", None)
            or getattr(compiled, "post_compile_params", None)
        ):
            return None  # Python-side defaults or expanding parameters: the engine's job
        names = tuple(compiled.positiontup or ())
        defaults = tuple(
            _REQUIRED if compiled.binds[name].required else compiled.binds[name].effective_value
            for name in names
        )
        binds = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        columns = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned
        )
        return cls(compiled.string, names, defaults, binds, columns)

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's parameters, in order and processed: what ``construct_params`` and the
        bind processors give, without their generality (a tenth of a statement's cost here)."""
        values = []
        for name, default, bind in zip(self.names, self.defaults, self.binds, strict=True):
            value = params.get(name, default)
            if value is _REQUIRED:
                raise InvalidRequestError(f"a value is required for the parameter {name!r}")
            values.append(value if bind is None else bind(value))
        return tuple(values)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if column is None else column(value)
            for column, value in zip(self.columns, raw, strict=True)
        )


class Statements:
    """``Prepared`` forms of the statements a process runs, by statement and parameter names.

    Keyed by the statement object (the hot paths' statements are module constants) and kept
    with it, so an id reused by a new object after the old one was freed never matches."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._kept: dict[tuple[int, tuple[str, ...]], tuple[Executable, Prepared | None]] = {}

    def get(self, stmt: Executable, keys: tuple[str, ...] = ()) -> Prepared | None:
        key = (id(stmt), keys)
        kept = self._kept.get(key)
        if kept is None or kept[0] is not stmt:
            kept = self._kept[key] = (stmt, Prepared.of(stmt, self.dialect, keys))
        return kept[1]
