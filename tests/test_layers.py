"""The layers have one direction: handlers → bot (domain) → storage. Domain modules never import
``telegram`` nor ``handlers``; storage imports neither them nor the domain. Only ``bot.runtime``
(the composition root, polling, webhook, CLI) and the emulator may touch python-telegram-bot.
SQL is built in ``storage/queries/``: a domain module takes from SQLAlchemy only the session type
(for its signatures) and the exceptions it catches.

Read from the source (every import statement, top-level or inside a function), so a lazy import
cannot slip past."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import sqlalchemy.exc

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _is_sqlalchemy(module: str) -> bool:
    return module.split(".")[0] == "sqlalchemy"


def _sqlalchemy_names(source: str, filename: str) -> list[tuple[str, str | None]]:
    """(module, name) of every import from SQLAlchemy in the source; name None for ``import x``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if _is_sqlalchemy(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.module, a.name) for a in node.names if _is_sqlalchemy(node.module)]
    return found


def _domain_may_import(module: str, name: str | None) -> bool:
    """The session type, for signatures, and the exception types of ``sqlalchemy.exc``."""
    if module == "sqlalchemy.ext.asyncio":
        return name == "AsyncSession"
    if module == "sqlalchemy.exc" and name is not None:
        found = getattr(sqlalchemy.exc, name, None)
        return inspect.isclass(found) and issubclass(found, BaseException)
    return False


def _sqlalchemy_violations(source: str, filename: str) -> list[str]:
    return [
        f"{filename} imports {name} from {module}" if name else f"{filename} imports {module}"
        for module, name in _sqlalchemy_names(source, filename)
        if not _domain_may_import(module, name)
    ]


def _violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in files:
        for name in sorted(_imports(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def _modules(package: str, *, skip: tuple[str, ...] = ()) -> list[Path]:
    base = ROOT / package
    files = sorted(base.rglob("*.py"))
    return [p for p in files if not any(p.is_relative_to(base / s) for s in skip)]


def test_domain_modules_import_neither_telegram_nor_handlers() -> None:
    # ``python -m bot`` is the command line: an entry point, not domain code.
    domain = _modules("bot", skip=("runtime", "emulator", "__main__.py"))
    assert domain, "no domain modules found"
    assert _violations(domain, ("telegram", "handlers", "bot.runtime")) == []


def test_domain_modules_build_no_sql() -> None:
    """Statements (select, update, func, or_...) live in storage/queries/, in small functions named
    for what they return; the domain calls those."""
    domain = _modules("bot", skip=("runtime", "emulator", "__main__.py"))
    bad = [
        line
        for path in domain
        for line in _sqlalchemy_violations(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert bad == [], (
        "a domain module may import from SQLAlchemy only AsyncSession (sqlalchemy.ext.asyncio) and "
        "exception types (sqlalchemy.exc); move the SQL into a function in storage/queries/:\n"
        + "\n".join(bad)
    )


def test_storage_imports_neither_telegram_nor_the_layers_above() -> None:
    storage = _modules("storage")
    assert _violations(storage, ("telegram", "handlers", "bot")) == []


def test_handlers_do_not_reach_into_the_runtime() -> None:
    """Handlers are called by the runtime, not the other way round (except the retry policy's
    public marker that a send must not be retried, which the outbox sender passes on)."""
    handlers = _modules("handlers")
    bad = _violations(handlers, ("bot.runtime",))
    assert bad == ["handlers/sender.py imports bot.runtime.api_retry"]


def test_the_rule_sees_a_violation() -> None:
    """The checker itself finds an import inside a function (a rule that sees nothing is no rule)."""
    sample = ROOT / "tests" / "test_layers.py"
    assert "ast" in _imports(sample)
    assert _violations([sample], ("ast",)) == ["tests/test_layers.py imports ast"]


def test_the_sql_rule_sees_a_violation() -> None:
    """The SQLAlchemy rule lets the session type and exceptions through, nothing else, wherever
    the import is."""
    sample = """
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.exc import IntegrityError, OperationalError
import sqlalchemy.orm

def later():
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import async_sessionmaker
    from sqlalchemy.exc import DontWrapMixin
"""
    assert _sqlalchemy_violations(sample, "bot/sample.py") == [
        "bot/sample.py imports sqlalchemy.orm",
        "bot/sample.py imports func from sqlalchemy",
        "bot/sample.py imports select from sqlalchemy",
        "bot/sample.py imports async_sessionmaker from sqlalchemy.ext.asyncio",
        "bot/sample.py imports DontWrapMixin from sqlalchemy.exc",
    ]
