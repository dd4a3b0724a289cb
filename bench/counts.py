"""Target 4: a million-shot Sampler result, from response bytes to a rendered counts table
(the app's CountsTable, mounted headless), against `json.loads` of the same bytes."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable

from bench.harness import Figure

LIMIT = 2.0


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def million_shot_result() -> bytes:
    rng = random.Random(7)
    outcomes = ["0x0", "0x3", "0x1", "0x2"]
    samples = rng.choices(outcomes, weights=[48, 48, 2, 2], k=1_000_000)
    return json.dumps(
        {"results": [{"data": {"c": {"samples": samples, "num_bits": 2}}, "metadata": {}}],
         "metadata": {"version": 2}}
    ).encode()


async def _rendered_seconds(body: bytes, repeats: int) -> list[float]:
    """Bytes -> counts -> the table shown, each time on a fresh table, as the detail view does."""
    from textual.app import App, ComposeResult

    from screens.widgets.counts_table import CountsTable
    from tui.results import sampler_counts

    class CountsApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CountsTable()

    samples = []
    async with CountsApp().run_test(size=(120, 40)) as pilot:
        table = pilot.app.query_one(CountsTable)
        for _ in range(repeats):
            table.clear(columns=True)
            await pilot.pause()
            # The pilot's own wait for an idle app (~20 ms here) is not the app's work:
            # it is measured with nothing to draw and taken off.
            idle_started = time.perf_counter()
            await pilot.pause()
            idle_wait = time.perf_counter() - idle_started
            started = time.perf_counter()
            table.show_counts(sampler_counts(json.loads(body)))
            await pilot.pause()  # until the table has been laid out and painted
            samples.append(time.perf_counter() - started - idle_wait)
        assert table.row_count == 4
    return samples


def bench_results(repeats: int) -> list[Figure]:
    body = million_shot_result()
    baseline = median_seconds(lambda: json.loads(body), repeats)
    rendered = statistics.median(asyncio.run(_rendered_seconds(body, repeats)))
    return [Figure(
        "4. 1M-shot result bytes -> rendered counts table",
        f"{rendered * 1000:.0f} ms", f"json.loads: {baseline * 1000:.0f} ms",
        rendered / baseline, f"<= {LIMIT:g}x", rendered / baseline <= LIMIT,
    )]
