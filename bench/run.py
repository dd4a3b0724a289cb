"""qrt benchmarks: each figure is a ratio against a baseline measured in the same run.

    python bench/run.py           print the table
    python bench/run.py --check   also exit 1 if a target is missed

Implemented so far: issue 6 targets 1 (import cost of the app) and 4 (a million-shot
Sampler result to counts). The others are listed as not measured yet, never as passing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Figure:
    target: str
    measured: str
    ratio: float | None
    limit: float | None

    @property
    def passed(self) -> bool | None:
        if self.ratio is None or self.limit is None:
            return None
        return self.ratio <= self.limit


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def import_seconds(statement: str) -> float:
    """Wall time of a fresh interpreter doing `statement`, less one doing nothing."""
    def run(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        return time.perf_counter() - started

    return run(statement) - run("pass")


def bench_import(repeats: int) -> Figure:
    heavy = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "fastapi", "uvicorn", "numpy", "scipy")
    probe = subprocess.run(
        [sys.executable, "-c",
         f"import sys, tui.app, screens.home; print([m for m in {heavy!r} if m in sys.modules])"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.strip()
    app = statistics.median(import_seconds("import tui.app, screens.home") for _ in range(repeats))
    baseline = statistics.median(
        import_seconds("import textual.app, textual.widgets") for _ in range(repeats)
    )
    ratio = app / baseline if probe == "[]" else float("inf")
    return Figure(
        "1. import the app vs Textual app+widgets (no heavy modules)",
        f"{app * 1000:.0f} ms vs {baseline * 1000:.0f} ms; heavy modules loaded: {probe}",
        ratio, 1.6,
    )


def million_shot_result() -> bytes:
    rng = random.Random(7)
    outcomes = ["0x0", "0x3", "0x1", "0x2"]
    samples = rng.choices(outcomes, weights=[48, 48, 2, 2], k=1_000_000)
    return json.dumps(
        {"results": [{"data": {"c": {"samples": samples, "num_bits": 2}}, "metadata": {}}],
         "metadata": {"version": 2}}
    ).encode()


def bench_results(repeats: int) -> Figure:
    from tui.results import sampler_counts

    body = million_shot_result()
    baseline = median_seconds(lambda: json.loads(body), repeats)
    counted = median_seconds(lambda: sampler_counts(json.loads(body)), repeats)
    return Figure(
        "4. 1M-shot result bytes -> counts (core; table render not yet included) vs json.loads",
        f"{counted * 1000:.0f} ms vs {baseline * 1000:.0f} ms",
        counted / baseline, 2.0,
    )


NOT_YET = (
    "2. history: 10,000 jobs, first page, poll vs rebuild, RSS",
    "3. polling: requests per cycle with 1/10/100 active jobs",
    "5. local runs vs qiskit-ibm-runtime local mode; 100k shots vs direct Aer",
    "6. service under load: 50 pollers p99; 200 submissions",
    "7. soak: 5,000 poll cycles, RSS growth",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    figures = [bench_import(args.repeats), bench_results(args.repeats)]
    print(f"qrt benchmarks, {time.strftime('%Y-%m-%d')}, ratios against baselines of the same run")
    print(f"{'target':<88} {'ratio':>7} {'limit':>6}  result")
    for figure in figures:
        verdict = {True: "pass", False: "MISS", None: "-"}[figure.passed]
        ratio = "-" if figure.ratio is None else f"{figure.ratio:.2f}"
        print(f"{figure.target:<88} {ratio:>7} {figure.limit or '-':>6}  {verdict}  ({figure.measured})")
    for target in NOT_YET:
        print(f"{target:<88} {'-':>7} {'-':>6}  not measured yet")
    missed = [f for f in figures if f.passed is False] + ([None] * len(NOT_YET))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
