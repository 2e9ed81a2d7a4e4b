"""The layers have one direction: handlers → bot (domain) → storage. Domain modules never import
``telegram`` nor ``handlers``; storage imports neither them nor the domain. Only ``bot.runtime``
(the composition root, polling, webhook, CLI) and the emulator may touch python-telegram-bot.

Read from the source (every import statement, top-level or inside a function), so a lazy import
cannot slip past."""

from __future__ import annotations

import ast
from pathlib import Path

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
