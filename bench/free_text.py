"""Accuracy and speed of the free-text reader (issue 18) on the gold set and the held-out lines.

    PYTHONPATH=. .venv/bin/python bench/free_text.py [--reps 20]

Accuracy is exact per line (every type, measure and date right; a non-activity proposes nothing),
by type (the lines whose expected activities include it) and for non-activities, with the reader
built from the shipped catalog and today = 2026-11-20, as in tests/bot/test_free_text.py. The
held-out lines were written after the reader and never tuned on: their figure is the honest one.
Time is per line, ``Reader.read`` only (the reader is built once per catalog version), over
``--reps`` passes of every line after a warm-up pass, as wall-clock time and as the CPU time of
this thread: on a shared machine (2 cores, load 8) the wall clock's tail is other processes' time
slices, not the reader's; the CPU time is what a line costs. Target: p95 < 5 ms (exit 1 if the CPU
p95 misses it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.catalog import DEFAULT_CATALOG, parse_catalog
from bot.free_text import Reader
from bot.runtime.cli_activities import as_json

DATA = Path(__file__).resolve().parents[1] / "tests" / "bot" / "data"
TODAY = date(2026, 11, 20)


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def accuracy(reader: Reader, lines: list[dict[str, Any]], title: str) -> None:
    seen: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for line in lines:
        ok = as_json(reader.read(line["text"], TODAY))["activities"] == line["activities"]
        groups = {a["type"] for a in line["activities"]} or {"(not an activity)"}
        for group in (*groups, "ALL"):
            seen[group] += 1
            right[group] += ok
    print(f"\n{title}: {right['ALL']}/{seen['ALL']} exact = {right['ALL'] / seen['ALL']:.1%}")
    for group in sorted(seen, key=lambda g: (g == "ALL", g)):
        if group != "ALL":
            print(
                f"  {group:<28} {right[group]:>3}/{seen[group]:<3} {right[group] / seen[group]:.0%}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    reader = Reader(parse_catalog(DEFAULT_CATALOG.read_text(encoding="utf-8")))
    print(f"reader built in {(time.perf_counter() - started) * 1000:.1f} ms")
    gold, held_out = load("free_text_gold.jsonl"), load("free_text_holdout.jsonl")
    accuracy(reader, gold, "gold set")
    accuracy(reader, held_out, "held-out lines")
    texts = [line["text"] for line in gold + held_out]
    for text in texts:  # warm-up
        reader.read(text, TODAY)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(args.reps):
        for text in texts:
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            reader.read(text, TODAY)
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
            wall.append((time.perf_counter_ns() - start) / 1e6)
    print(f"\nparse time per line ({len(wall)} reads; target p95 < 5 ms):")
    for name, times in (("wall clock", wall), ("CPU time", cpu)):
        p95 = statistics.quantiles(times, n=100)[94]
        print(
            f"  {name:<10}  median {statistics.median(times):.3f} ms, p95 {p95:.3f} ms, "
            f"max {max(times):.3f} ms"
        )
    return 0 if statistics.quantiles(cpu, n=100)[94] < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
