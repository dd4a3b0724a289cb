"""Target 8: the catalogue comes fast, to a fresh service and to a new user's screen.

- 8a. A fresh service's first `GET /backends` (signed in already), right after it says it
  listens, against its second one: the summaries of every device snapshot are built in
  the background at start and cached in the data dir under the qiskit-ibm-runtime version.
- 8b. `qrt` with a fresh home (no config, no data: it starts its embedded service), timed
  from the interpreter's start to the first frame drawn after the backends arrived (the
  editor, where it opens, names the backend it picked), against the first frame.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from tempfile import TemporaryDirectory

import httpx

from bench.harness import ROOT, Figure, running_service, spread

FIRST_BACKENDS_LIMIT_SECONDS = 0.150
ON_SCREEN_LIMIT_SECONDS = 1.5

# Prints the seconds from the interpreter's start to the first frame, then to the backends
# table holding rows, in a home with nothing in it.
FRESH_HOME_PROBE = """
import os, sys, time
STARTED = float(os.environ["QRT_PROBE_STARTED"])
from tui.app import QrtApp, default_connection_factory
class Probe(QrtApp):
    def on_ready(self):
        super().on_ready()
        print("frame", time.time() - STARTED, flush=True)
    def on_backends_loaded(self, message):
        super().on_backends_loaded(message)
        self.call_after_refresh(self.drawn)
    def drawn(self):
        print("backends", time.time() - STARTED, flush=True)
        self.exit()
Probe(default_connection_factory()).run(headless=True, size=(120, 40))
"""


def bench_startup(repeats: int) -> list[Figure]:
    return [_first_backends_figure(repeats), _on_screen_figure(repeats)]


def _first_backends_figure(repeats: int) -> Figure:
    firsts, seconds = [], []
    for _ in range(repeats):
        with running_service(wait_idle=False) as service:
            headers = service.headers  # signing in is not part of the listing
            with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
                started = time.perf_counter()
                client.get("/api/v1/backends").raise_for_status()
                firsts.append(time.perf_counter() - started)
                started = time.perf_counter()
                client.get("/api/v1/backends").raise_for_status()
                seconds.append(time.perf_counter() - started)
    first = statistics.median(firsts)
    return Figure(
        "8a. a fresh service's first GET /backends, right after it listens",
        spread(firsts, 1000, " ms"), f"its second GET /backends: {spread(seconds, 1000, ' ms')}",
        first / statistics.median(seconds), f"<= {FIRST_BACKENDS_LIMIT_SECONDS * 1000:.0f} ms",
        max(firsts) <= FIRST_BACKENDS_LIMIT_SECONDS,
    )


def _fresh_home_run() -> tuple[float, float]:
    with TemporaryDirectory(prefix="qrt-bench-home-") as home:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
               "XDG_DATA_HOME": f"{home}/.local/share", "XDG_CACHE_HOME": f"{home}/.cache",
               "QRT_PROBE_STARTED": repr(time.time())}
        env.pop("QRT_CONFIG", None)
        env.pop("QRT_DATA_DIR", None)
        output = subprocess.run([sys.executable, "-c", FRESH_HOME_PROBE], check=True, capture_output=True,
                                text=True, cwd=ROOT, env=env, timeout=120).stdout
    marks = dict(line.split() for line in output.splitlines() if line.startswith(("frame", "backends")))
    return float(marks["frame"]), float(marks["backends"])


def _on_screen_figure(repeats: int) -> Figure:
    _fresh_home_run()  # the first run fills the OS file cache
    runs = [_fresh_home_run() for _ in range(repeats)]
    frames, shown = [frame for frame, _ in runs], [backends for _, backends in runs]
    return Figure(
        "8b. backends on screen from launch, fresh home (embedded service started)",
        spread(shown, 1000, " ms"), f"first frame of the same runs: {spread(frames, 1000, ' ms')}",
        statistics.median(shown) / statistics.median(frames), f"<= {ON_SCREEN_LIMIT_SECONDS:g} s",
        max(shown) <= ON_SCREEN_LIMIT_SECONDS,
    )
