"""``phoihop --help`` and argument parsing load only the standard library (issue 14).

The settings, SQLAlchemy, the domain and python-telegram-bot cost about a second of imports;
``bot.runtime.cli`` defers them to the command that runs. Each check runs in a fresh interpreter
and reads ``sys.modules``: what is measured is which modules load, never how long it takes
(bench/cli_startup.py times it).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.onboarding import INVITE_ROLES
from bot.runtime import cli
from storage.queries import people as people_q

#: Run in the child: parse (or print help for) the arguments given as argv[1:], then print the
#: exit status and the modules loaded beyond those a bare interpreter had.
_PROBE = """
import json, sys
before = set(sys.modules)
from bot.runtime.cli import build_parser, main
args = sys.argv[1:]
try:
    code = main(args) if args == ["--help"] else (build_parser().parse_args(args), 0)[1]
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted(set(sys.modules) - before)}))
"""

#: Named by the issue; the stdlib check below covers everything else.
HEAVY = ("telegram", "sqlalchemy", "matplotlib", "babel", "bot.export", "handlers", "pydantic")

#: Argument lists and the status parsing them ends with (2: argparse's own error line).
COMMAND_LINES = [
    (["--help"], 0),
    (["db", "current"], 0),
    (["units", "list", "--under", "p1", "--json"], 0),
    (["export", "--unit", "p1", "--period", "Q4 2026"], 0),
    (["admin", "invite", "--unit", "p1", "--role", "cadre"], 0),
    (["admin", "grant", "42", "--unit", "p1", "--role", "owner"], 0),
    (
        ["rounds", "open", "--template", "t", "--period", "Q4", "--unit", "p", "--deadline", "1/1"],
        0,
    ),
    (["run", "--webhook", "https://example.org/hook"], 0),
    (["activities", "parse", "hòa giải 1 vụ", "--today", "2026-11-20"], 0),
    (["petitions", "list", "--unit", "p1", "--status", "forwarded", "--json"], 0),
    (["units", "add", "--kind", "commune"], 2),  # no --name
    (["admin", "grant", "42", "--unit", "p1", "--role", "king"], 2),
]
COMMANDS = [
    "run",
    "console",
    "db",
    "areas",
    "catalog",
    "activities",
    "templates",
    "rounds",
    "export",
    "rollup",
]
COMMANDS += ["units", "backup", "restore", "admin", "petitions"]


def _probe(args: list[str]) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    *help_lines, last = done.stdout.strip().splitlines()
    result = json.loads(last)
    return int(result["code"]), list(result["loaded"]), "\n".join(help_lines)


def _not_stdlib(modules: list[str]) -> list[str]:
    ours = {"bot", "bot.runtime", "bot.runtime.cli"}
    return [
        name
        for name in modules
        if name not in ours and name.split(".")[0] not in sys.stdlib_module_names
    ]


@pytest.mark.parametrize(
    ("args", "status"), COMMAND_LINES, ids=[" ".join(a) for a, _ in COMMAND_LINES]
)
def test_parsing_loads_only_the_standard_library(args: list[str], status: int) -> None:
    code, loaded, _ = _probe(args)
    assert code == status
    assert [m for m in loaded if m.startswith(HEAVY)] == []
    assert _not_stdlib(loaded) == []


def test_help_exits_0_and_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ")]
    assert [name for name in listed if name in COMMANDS] == COMMANDS


def test_the_parsers_role_choices_are_the_domains() -> None:
    """The parser spells the roles out so as not to import the domain; they must not drift."""
    assert cli.INVITE_ROLES == INVITE_ROLES
    assert cli.GRANT_ROLES == people_q.ROLES
