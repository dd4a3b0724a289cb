"""Target 11: a new user's first steps are quick (issue 14, point 17).

The app, headless (`App.run_test()`), on a `qrt serve` that is already up: two seconds
after the backends are on screen (a user reading them), the first Ctrl+T of the Bell
template, timed until its ISA verdict is in the status line, against the second; then the
first switch to each screen (F2, F4, F5), timed until it is drawn, against the second.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from bench.harness import Figure, Service, running_service, spread

TRANSPILE_LIMIT_SECONDS = 1.0
SWITCH_LIMIT_SECONDS = 0.3
READING_SECONDS = 2.0


async def _until(pilot: Any, condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there")
        await pilot.pause(0.005)


async def _steps(service: Service) -> tuple[list[float], list[float], list[float], list[float]]:
    from textual.widgets import Static

    from tui.app import QrtApp
    from tui.connection import connect_to_local_service
    from tui.preferences import Preferences
    from tui.secret import Secret

    async def connect() -> Any:
        return connect_to_local_service(service.url, Secret(service.api_key), service.instance)

    app = QrtApp(connect, Preferences(poll_seconds=1.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.selected_backend is not None and app.screen.query("#editor-status"))
        await pilot.pause(READING_SECONDS)
        status = app.screen.query_one("#editor-status", Static)
        transpiles = []
        for _ in range(2):
            started = time.perf_counter()
            await pilot.press("ctrl+t")
            await _until(pilot, lambda: "✓ ISA" in str(status.render()))
            transpiles.append(time.perf_counter() - started)
            status.update("")
        first_switches, second_switches = [], []
        for round_ in (first_switches, second_switches):
            for key, mode in (("f2", "backends"), ("f4", "jobs"), ("f5", "sessions"), ("f3", "editor")):
                started = time.perf_counter()
                await pilot.press(key)
                await _until(pilot, lambda wanted=mode: app.current_mode == wanted)
                await pilot.pause(0)  # drawn
                round_.append(time.perf_counter() - started)
        return transpiles[:1], transpiles[1:], first_switches[:3], second_switches[:3]


def bench_first_steps(repeats: int) -> list[Figure]:
    firsts, seconds, switch_firsts, switch_seconds = [], [], [], []
    for _ in range(repeats):
        with running_service() as service:
            first, second, switch_first, switch_second = asyncio.run(_steps(service))
        firsts += first
        seconds += second
        switch_firsts += switch_first
        switch_seconds += switch_second
    return [
        Figure(
            "11a. the first Ctrl+T of the Bell template, 2 s after the backends show",
            spread(firsts, 1000, " ms"), f"the second Ctrl+T: {spread(seconds, 1000, ' ms')}",
            statistics.median(firsts) / statistics.median(seconds), f"<= {TRANSPILE_LIMIT_SECONDS:g} s",
            max(firsts) <= TRANSPILE_LIMIT_SECONDS,
        ),
        Figure(
            "11b. the first switch to each screen (F2, F4, F5)",
            spread(switch_firsts, 1000, " ms"), f"the second switches: {spread(switch_seconds, 1000, ' ms')}",
            statistics.median(switch_firsts) / statistics.median(switch_seconds),
            f"< {SWITCH_LIMIT_SECONDS * 1000:.0f} ms", max(switch_firsts) < SWITCH_LIMIT_SECONDS,
        ),
    ]
