"""Target 7: 5,000 poll cycles, back to back, and what they do to resident memory.

The app side is this process: the app's JobMonitor polling the service, each snapshot
reconciled into the jobs view mounted headless, as the app does every cycle. 100 jobs are
held active so every cycle makes both of the monitor's requests. RSS (VmRSS) is read after
a warm-up and at the end, for this process and for the `qrt serve` process.

The warm-up lasts until the table's render caches (Textual's, bounded: 10,000 cells, 1,000
rows and lines) are full, at least 200 cycles: filling them took about 750 cycles and
15 MB, then RSS stayed within 1 MB for 2,000 more. What it grew by is reported beside the
figure; the figure is what cycles add once nothing bounded is still filling.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.harness import Figure, Service, rss_mb, running_service, seed_jobs, submit_tiny

CYCLES = 5_000
WARM_UP_CYCLES = 200  # at least; then on until the view's render caches are full
WARM_UP_CYCLES_AT_MOST = 3_000
ACTIVE_JOBS = 100
HISTORY_JOBS = 200
APP_LIMIT_MB = 10.0
SERVICE_LIMIT_MB = 20.0


async def _soak(service: Service) -> dict[str, list[float]]:
    from bench.headless import headless_view
    from tui.monitor import JobMonitor

    client = service.client()
    monitor = JobMonitor(client)
    app_rss: list[float] = []
    service_rss: list[float] = []
    try:
        for _ in range(ACTIVE_JOBS):
            monitor.watch(await submit_tiny(client))
        async with headless_view() as (app, pilot):
            await pilot.pause()
            before_warm_up = rss_mb()
            warm_up = 0
            while warm_up < WARM_UP_CYCLES or (not _caches_full(app.view) and warm_up < WARM_UP_CYCLES_AT_MOST):
                app.view.reconcile((await monitor.poll()).jobs)
                warm_up += 1
            for cycle in range(CYCLES):
                if cycle in (0, CYCLES // 2):
                    await pilot.pause()
                    app_rss.append(rss_mb())
                    service_rss.append(rss_mb(service.pid))
                snapshot = await monitor.poll()
                app.view.reconcile(snapshot.jobs)
            await pilot.pause()
            app_rss.append(rss_mb())
            service_rss.append(rss_mb(service.pid))
        requests = monitor.requests_made
    finally:
        await client.aclose()
    return {"app": app_rss, "service": service_rss, "requests": [float(requests)],
            "warm_up": [float(warm_up), before_warm_up]}


def _caches_full(view: Any) -> bool:
    caches = [getattr(view, name) for name in ("_cell_render_cache", "_row_render_cache", "_line_cache")]
    return all(len(cache) >= cache.maxsize for cache in caches)


def bench_soak(repeats: int) -> list[Figure]:
    """One soak: it is long already, and growth, not speed, is what it measures."""
    with TemporaryDirectory(prefix="qrt-bench-") as scratch:
        data_dir = Path(scratch)
        seed_jobs(data_dir, HISTORY_JOBS)
        with running_service("--faults", "scheduler:hold=1", data_dir=data_dir) as service:
            rss = asyncio.run(_soak(service))
    figures = []
    for side, limit in (("app", APP_LIMIT_MB), ("service", SERVICE_LIMIT_MB)):
        start, middle, end = rss[side]
        growth = end - start
        figures.append(Figure(
            f"7. soak, {CYCLES:,} poll cycles back to back: {side} RSS growth",
            f"{growth:+.2f} MB ({start:.1f} -> {middle:.1f} -> {end:.1f} MB at 0/half/all "
            f"cycles; {rss['requests'][0]:,.0f} monitor requests)",
            f"RSS after {rss['warm_up'][0]:,.0f} warm-up cycles: {start:.0f} MB"
            + (f" (from {rss['warm_up'][1]:.0f} MB: the view's render caches filling)" if side == "app" else ""),
            end / start, f"growth < {limit:g} MB", growth < limit,
        ))
    return figures
