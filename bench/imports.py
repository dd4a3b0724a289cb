"""Target 1: importing the app costs little and pulls in nothing heavy, and its first frame
comes soon after a trivial Textual app's.

First frames are timed from the interpreter's start to Textual's `Ready` event (sent once
the first frame is displayed), headless, each in a fresh interpreter: qrt connected to a
`qrt serve` that is already up, against an app showing one Static.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.harness import ROOT, Figure, Service, running_service

# Each probe prints the seconds from the interpreter's start to its first frame.
FRAME_PROBE = """
import os, sys, time
from textual.app import App
STARTED = float(os.environ["QRT_PROBE_STARTED"])
def first_frame(app):
    print(time.time() - STARTED)
    app.exit()
"""
TRIVIAL_APP = FRAME_PROBE + """
from textual.widgets import Static
class Trivial(App):
    def compose(self):
        yield Static("hello")
    def on_ready(self):
        first_frame(self)
Trivial().run(headless=True, size=(120, 40))
"""
QRT_APP = FRAME_PROBE + """
from tui.app import QrtApp
class FirstFrame(QrtApp):
    def on_ready(self):
        first_frame(self)
async def connect():
    from tui.connection import connect_to_local_service
    from tui.secret import Secret
    return connect_to_local_service(os.environ["QRT_PROBE_URL"], Secret(os.environ["QRT_PROBE_KEY"]),
                                    os.environ["QRT_PROBE_INSTANCE"])
FirstFrame(connect).run(headless=True, size=(120, 40))
"""

FIRST_FRAME_LIMIT = 3.0
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
    return [_import_figure(repeats), _first_frame_figure(repeats)]


def _import_figure(repeats: int) -> Figure:
    probe = subprocess.run(
        [sys.executable, "-c",
         f"import sys, tui.app, screens.editor, screens.jobs; print([m for m in {HEAVY!r} if m in sys.modules])"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.strip()
    app = [import_seconds("import tui.app, screens.editor, screens.jobs") for _ in range(repeats)]
    baseline = [import_seconds("import textual.app, textual.widgets") for _ in range(repeats)]
    ratio = statistics.median(app) / statistics.median(baseline)
    return Figure(
        "1. import the app (no heavy modules)",
        f"{statistics.median(app) * 1000:.0f} ms ({min(app) * 1000:.0f}-{max(app) * 1000:.0f}); "
        f"heavy modules loaded: {probe}",
        f"import textual.app, textual.widgets: {statistics.median(baseline) * 1000:.0f} ms",
        ratio, f"<= {LIMIT:g}x", probe == "[]" and ratio <= LIMIT,
    )


def first_frame_seconds(program: str, env: dict[str, str]) -> float:
    import os
    from tempfile import TemporaryDirectory

    with TemporaryDirectory(prefix="qrt-bench-") as scratch:
        environment = {**os.environ, **env, "QRT_CONFIG": f"{scratch}/config.toml",
                       "QRT_PROBE_STARTED": repr(time.time())}
        output = subprocess.run([sys.executable, "-c", program], check=True, capture_output=True,
                                text=True, cwd=ROOT, env=environment).stdout
    return float(output.strip().splitlines()[-1])


def _first_frame_figure(repeats: int) -> Figure:
    with running_service() as service:
        env = _probe_env(service)
        first_frame_seconds(QRT_APP, env)  # the first run fills the OS file cache for both
        qrt = [first_frame_seconds(QRT_APP, env) for _ in range(repeats)]
        trivial = [first_frame_seconds(TRIVIAL_APP, env) for _ in range(repeats)]
    ratio = statistics.median(qrt) / statistics.median(trivial)
    return Figure(
        "1b. first frame, profile's service already up (interpreter start to first frame)",
        f"{statistics.median(qrt) * 1000:.0f} ms ({min(qrt) * 1000:.0f}-{max(qrt) * 1000:.0f})",
        f"trivial Textual app: {statistics.median(trivial) * 1000:.0f} ms",
        ratio, f"<= {FIRST_FRAME_LIMIT:g}x", ratio <= FIRST_FRAME_LIMIT,
    )


def _probe_env(service: Service) -> dict[str, str]:
    return {"QRT_PROBE_URL": service.url, "QRT_PROBE_KEY": service.api_key,
            "QRT_PROBE_INSTANCE": service.instance}
