"""qrt benchmarks (issue 6): each figure is a ratio against a baseline measured in the same run.

    python bench/run.py              print the table
    python bench/run.py --check      also exit 1 if a target is missed or not measured
    python bench/run.py --only 5     run one target

Each target runs in a fresh interpreter, so that one target's imports and memory never
show up in another's figures (targets 2 and 7 measure resident memory).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, Figure  # noqa: E402

TARGETS: dict[int, tuple[str, str]] = {
    1: ("bench.imports", "bench_import"),
    2: ("bench.history", "bench_history"),
    3: ("bench.polling", "bench_polling"),
    4: ("bench.counts", "bench_results"),
    5: ("bench.local_runs", "bench_local_runs"),
    6: ("bench.load", "bench_load"),
    7: ("bench.soak", "bench_soak"),
    8: ("bench.startup", "bench_startup"),
    9: ("bench.executor_runs", "bench_executor_runs"),
    10: ("bench.cli", "bench_cli"),
    11: ("bench.first_steps", "bench_first_steps"),
}
JSON_MARK = "QRT-BENCH-FIGURES "


def run_target(number: int, repeats: int) -> list[Figure]:
    import importlib

    module, name = TARGETS[number]
    bench: Callable[[int], list[Figure]] = getattr(importlib.import_module(module), name)
    return bench(repeats)


def run_isolated(number: int, repeats: int) -> list[Figure]:
    """Run one target in a child interpreter; a crash is reported as 'not measured'."""
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--only", str(number),
         "--repeats", str(repeats), "--emit-json"],
        cwd=ROOT, capture_output=True, text=True,
    )
    for line in child.stdout.splitlines():
        if line.startswith(JSON_MARK):
            return [Figure(**item) for item in json.loads(line.removeprefix(JSON_MARK))]
    tail = (child.stderr.strip().splitlines() or ["no output"])[-1]
    return [Figure.not_measured(f"{number}. (crashed)", tail[:200])]


def print_table(figures: list[Figure]) -> None:
    print(f"qrt benchmarks, {time.strftime('%Y-%m-%d')}, ratios against baselines of the same run")
    print("| target | measured | baseline | ratio | limit | pass |")
    print("|---|---|---|---|---|---|")
    for figure in figures:
        verdict = {True: "pass", False: "MISS", None: "not measured"}[figure.passed]
        ratio = "-" if figure.ratio is None else f"{figure.ratio:.3g}"
        print(f"| {figure.target} | {figure.measured} | {figure.baseline} | {ratio} "
              f"| {figure.limit} | {verdict} |")


def compile_project() -> None:
    """Measure qrt as an install has it, with its modules' bytecode written: pip compiles
    it at install, but an editable checkout under PYTHONDONTWRITEBYTECODE (this machine
    sets it) would compile every module again at every start, and time the compiler."""
    import compileall

    for package in ("tui", "screens"):
        compileall.compile_dir(ROOT / package, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a target is missed or not measured")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timed figure")
    parser.add_argument("--only", type=int, choices=sorted(TARGETS), action="append",
                        help="run only this target (may be repeated)")
    parser.add_argument("--emit-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    numbers = args.only or sorted(TARGETS)
    if args.emit_json:
        figures = [figure for number in numbers for figure in run_target(number, args.repeats)]
        print(JSON_MARK + json.dumps([asdict(figure) for figure in figures]), flush=True)
        return 0
    compile_project()
    figures = [figure for number in numbers for figure in run_isolated(number, args.repeats)]
    print_table(figures)
    missed = [figure for figure in figures if figure.passed is not True]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
