"""Start-up time of the operator's command line: ``phoihop --help``, ``db current``, ``units list``.

    .venv/bin/python bench/cli_startup.py [--runs 20] [--phoihop PATH ...] [--json]

Each command runs ``--runs`` times as a fresh process (after two warm-up runs that also write the
byte-code caches) against a small SQLite database made for the run (``db upgrade`` and two
units). Measured per run: wall time, and the CPU time (user + system) of the child from
``resource.getrusage(RUSAGE_CHILDREN)``, which a busy shared machine inflates far less than the
wall time. Reported: the median and the minimum of each. Target (issue 14): < 0.3 s.

``--phoihop`` (repeatable) times other installations' scripts, e.g. an older checkout's
``.venv/bin/phoihop``, to compare before and after on the same machine at the same time: the
runs of the scripts alternate, so a change in the machine's load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

COMMANDS = (["--help"], ["db", "current"], ["units", "list"])
TARGET_S = 0.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--phoihop", type=Path, action="append", help="default: this venv's")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    scripts: list[Path] = args.phoihop or [Path(sys.executable).parent / "phoihop"]
    with tempfile.TemporaryDirectory(prefix="phoihop-cli-bench-") as workdir:
        env = {**os.environ, "PHOIHOP_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/cli.db"}
        _prepare(scripts[0], env)
        figures = {
            f"{script} {' '.join(cmd)}": result
            for cmd in COMMANDS
            for script, result in zip(scripts, _time(scripts, cmd, env, args.runs), strict=True)
        }
    report = {"machine": _machine(), "runs": args.runs, **figures}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report, figures)


def _prepare(phoihop: Path, env: dict[str, str]) -> None:
    """A database at the head revision with a province and one commune, as `units list` lists."""
    for cmd in (
        ["db", "upgrade"],
        ["units", "add", "--kind", "province", "--name", "Tỉnh Bench", "--code", "p1"],
        ["units", "add", "--parent", "p1", "--kind", "commune", "--name", "Xã Bench"],
    ):
        subprocess.run([str(phoihop), *cmd], env=env, check=True, capture_output=True)


def _time(
    scripts: list[Path], cmd: list[str], env: dict[str, str], runs: int
) -> list[dict[str, float]]:
    """Per script, the figures of ``runs`` runs of ``cmd``; the scripts take turns."""
    walls: list[list[float]] = [[] for _ in scripts]
    cpus: list[list[float]] = [[] for _ in scripts]
    for i in range(runs + 2):
        for n, script in enumerate(scripts):
            wall, cpu = _run_once(script, cmd, env)
            if i >= 2:  # the first two runs warm the caches
                walls[n].append(wall)
                cpus[n].append(cpu)
    return [
        {
            "wall_median_s": round(statistics.median(wall), 3),
            "wall_min_s": round(min(wall), 3),
            "cpu_median_s": round(statistics.median(cpu), 3),
            "cpu_min_s": round(min(cpu), 3),
        }
        for wall, cpu in zip(walls, cpus, strict=True)
    ]


def _run_once(script: Path, cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(script), *cmd], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _machine() -> dict[str, object]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _print(report: dict[str, object], figures: dict[str, dict[str, float]]) -> None:
    print(json.dumps(report["machine"]))
    print(f"{report['runs']} runs each; target < {TARGET_S} s")
    width = max(len(name) for name in figures)
    print(
        f"{'command':<{width}} {'wall median':>12} {'wall min':>9} {'cpu median':>11} {'cpu min':>8}"
    )
    for name, f in figures.items():
        print(
            f"{name:<{width}} {f['wall_median_s']:>11.3f}s {f['wall_min_s']:>8.3f}s "
            f"{f['cpu_median_s']:>10.3f}s {f['cpu_min_s']:>7.3f}s"
        )


if __name__ == "__main__":
    main()
