"""Target 4: a million-shot Sampler result, from response bytes to counts."""

from __future__ import annotations

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


def bench_results(repeats: int) -> list[Figure]:
    from tui.results import sampler_counts

    body = million_shot_result()
    baseline = median_seconds(lambda: json.loads(body), repeats)
    counted = median_seconds(lambda: sampler_counts(json.loads(body)), repeats)
    return [Figure(
        "4. 1M-shot result bytes -> counts (table render not included)",
        f"{counted * 1000:.0f} ms", f"json.loads: {baseline * 1000:.0f} ms",
        counted / baseline, f"<= {LIMIT:g}x", counted / baseline <= LIMIT,
    )]
