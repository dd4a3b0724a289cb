"""Target 2: a 10,000-job history in the app's jobs view (headless), fed by the JobMonitor.

- First page: a signed-in client, one monitor poll, the snapshot shown and rendered;
  the baseline is the obvious way, every job fetched (pages of 200) and shown.
- The rest on demand: any further page (the oldest, at offset 9,950) fetched and shown.
- A poll cycle that changes 50 rows, while the view holds the whole history: 50 queued
  jobs are cancelled in the service's database, then one monitor poll, the snapshot merged
  into the history by job id and the view reconciled and rendered. The baseline is
  rebuilding the view: a new one, given the same jobs.
- Resident memory of this process with the whole history shown, against the same
  headless app with an empty view.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

from bench.harness import Figure, Service, insert_jobs, rss_mb, running_service, seed_jobs, spread

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from bench.headless import JobsViewApp
    from tui.api.client import RuntimeClient
    from tui.api.models import Job
    from tui.monitor import JobsSnapshot

STORED_JOBS = 10_000
PAGE = 50
CHANGED_ROWS = 50
FIRST_PAGE_LIMIT_S = 1.0
CYCLE_LIMIT = 0.05
RSS_LIMIT_MB = 200.0


def merged(history: list[Job], snapshot: JobsSnapshot) -> list[Job]:
    """The history with the snapshot's jobs replacing theirs, new ones first (newest first)."""
    fresh = {job.id: job for job in snapshot.jobs}
    known = {job.id for job in history}
    return [job for job in snapshot.jobs if job.id not in known] + [
        fresh.get(job.id, job) for job in history
    ]


async def show(app: JobsViewApp, pilot: Pilot[None], jobs: list[Job]) -> None:
    app.view.reconcile(tuple(jobs))
    await pilot.pause()


async def rebuild(app: JobsViewApp, pilot: Pilot[None], jobs: list[Job]) -> None:
    """The obvious refresh: throw the view away and build a new one with every row."""
    from bench.headless import make_view

    await app.query_one("#jobs").remove()
    await app.mount(make_view())
    await show(app, pilot, jobs)


async def _timed(action: Awaitable[object]) -> float:
    started = time.perf_counter()
    await action
    return time.perf_counter() - started


async def _first_page(service: Service) -> tuple[float, float, int]:
    """Seconds to the first page shown, seconds to everything shown, and rows shown."""
    from bench.headless import headless_view
    from tui.monitor import JobMonitor

    async with headless_view() as (app, pilot):
        client = service.client()
        try:
            async def first() -> None:
                snapshot = await JobMonitor(client, page_size=PAGE).poll()
                await show(app, pilot, list(snapshot.jobs))

            first_seconds = await _timed(first())
        finally:
            await client.aclose()
    async with headless_view() as (app, pilot):
        client = service.client()
        try:
            async def everything() -> None:
                await show(app, pilot, [job async for job in client.iter_jobs(page_size=200)])

            all_seconds = await _timed(everything())
            rows = app.query_one("#jobs").row_count  # type: ignore[attr-defined]
        finally:
            await client.aclose()
    return first_seconds, all_seconds, rows


async def _oldest_page(client: RuntimeClient, app: JobsViewApp, pilot: Pilot[None]) -> None:
    page = await client.jobs(limit=PAGE, offset=STORED_JOBS - PAGE)
    await show(app, pilot, list(page.jobs))


async def _history(service: Service, repeats: int) -> dict[str, list[float]]:
    from bench.headless import headless_view
    from tui.monitor import JobMonitor
    from tui.server.store import Store

    figures: dict[str, list[float]] = {"first": [], "all": [], "rows": []}
    for _ in range(repeats):
        first, everything, rows = await _first_page(service)
        figures["first"].append(first)
        figures["all"].append(everything)
        figures["rows"].append(rows)
    store = Store(service.data_dir / "qrt-serve.sqlite3")
    client = service.client()
    monitor = JobMonitor(client, page_size=PAGE)
    figures.update(oldest=[], cycle=[], rebuild=[], changed=[])
    try:
        async with headless_view() as (app, pilot):
            await pilot.pause()
            figures["rss_empty"] = [rss_mb()]
            figures["oldest"] = [await _timed(_oldest_page(client, app, pilot)) for _ in range(repeats)]
            history = [job async for job in client.iter_jobs(page_size=200)]
            await show(app, pilot, history)
            for _ in range(repeats):
                queued = insert_jobs(store, CHANGED_ROWS, "Queued")
                history = merged(history, await monitor.poll())
                await show(app, pilot, history)
                for job_id in queued:
                    store.cancel_job(job_id)
                started = time.perf_counter()
                snapshot = await monitor.poll()
                history = merged(history, snapshot)
                await show(app, pilot, history)
                figures["cycle"].append(time.perf_counter() - started)
                figures["changed"].append(
                    sum(job.id in queued and job.status == "Cancelled" for job in snapshot.jobs)
                )
                figures["rebuild"].append(await _timed(rebuild(app, pilot, history)))
            figures["rss_full"] = [rss_mb()]
            figures["rows_full"] = [float(len(history))]
    finally:
        await client.aclose()
        store.close()
    return figures


def bench_history(repeats: int) -> list[Figure]:
    with TemporaryDirectory(prefix="qrt-bench-") as scratch:
        data_dir = Path(scratch)
        seed_jobs(data_dir, STORED_JOBS)
        with running_service("--faults", "scheduler:hold=1", data_dir=data_dir) as service:
            f = asyncio.run(_history(service, repeats))
    first, everything = statistics.median(f["first"]), statistics.median(f["all"])
    oldest = statistics.median(f["oldest"])
    cycle, rebuilt = statistics.median(f["cycle"]), statistics.median(f["rebuild"])
    rss_full, rss_empty = f["rss_full"][0], f["rss_empty"][0]
    return [
        Figure(
            f"2a. history of {STORED_JOBS:,} jobs: first page ({PAGE} rows) shown",
            spread(f["first"], 1000, " ms"),
            f"every job fetched and shown ({f['rows'][0]:.0f} rows): {spread(f['all'], 1000, ' ms')}",
            first / everything, f"< {FIRST_PAGE_LIMIT_S:g} s", first < FIRST_PAGE_LIMIT_S,
        ),
        Figure(
            "2a'. the rest on demand: the oldest page fetched and shown",
            spread(f["oldest"], 1000, " ms"),
            f"first page: {first * 1000:.0f} ms",
            oldest / first, f"< {FIRST_PAGE_LIMIT_S:g} s", oldest < FIRST_PAGE_LIMIT_S,
        ),
        Figure(
            f"2b. poll cycle changing {CHANGED_ROWS} of {f['rows_full'][0]:,.0f} rows "
            "(poll, merge, reconcile, render)",
            f"{spread(f['cycle'], 1000, ' ms')}; rows changed per cycle: "
            f"{min(f['changed']):.0f}",
            f"rebuilding the view: {spread(f['rebuild'], 1000, ' ms')}",
            cycle / rebuilt, f"<= {CYCLE_LIMIT:g}x",
            cycle <= CYCLE_LIMIT * rebuilt and min(f["changed"]) == CHANGED_ROWS,
        ),
        Figure(
            f"2c. app RSS with {f['rows_full'][0]:,.0f} jobs shown",
            f"{rss_full:.0f} MB", f"same app, empty view: {rss_empty:.0f} MB",
            rss_full / rss_empty, f"< {RSS_LIMIT_MB:g} MB", rss_full < RSS_LIMIT_MB,
        ),
    ]
