"""Target 1: importing the app costs little and pulls in nothing heavy."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.harness import ROOT, Figure

HEAVY = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "fastapi", "uvicorn", "numpy", "scipy")
LIMIT = 1.6


def import_seconds(statement: str) -> float:
    """Wall time of a fresh interpreter doing `statement`, less one doing nothing."""
    def run(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        return time.perf_counter() - started

    return run(statement) - run("pass")


def bench_import(repeats: int) -> list[Figure]:
    probe = subprocess.run(
        [sys.executable, "-c",
         f"import sys, tui.app, screens.editor, screens.jobs; print([m for m in {HEAVY!r} if m in sys.modules])"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.strip()
    app = [import_seconds("import tui.app, screens.editor, screens.jobs") for _ in range(repeats)]
    baseline = [import_seconds("import textual.app, textual.widgets") for _ in range(repeats)]
    ratio = statistics.median(app) / statistics.median(baseline)
    return [Figure(
        "1. import the app (no heavy modules)",
        f"{statistics.median(app) * 1000:.0f} ms ({min(app) * 1000:.0f}-{max(app) * 1000:.0f}); "
        f"heavy modules loaded: {probe}",
        f"import textual.app, textual.widgets: {statistics.median(baseline) * 1000:.0f} ms",
        ratio, f"<= {LIMIT:g}x", probe == "[]" and ratio <= LIMIT,
    )]
