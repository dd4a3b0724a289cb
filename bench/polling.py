"""Target 3: requests per poll cycle of the app's JobMonitor, counted on the service.

Jobs are held in the queue (`scheduler:hold=1`) so 1, 10 and 100 of them stay active, on
top of a stored history. The baseline is the obvious poller: one read per active job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.harness import Figure, Service, running_service, seed_jobs, submit_tiny

ACTIVE_COUNTS = (1, 10, 100)
HISTORY_JOBS = 200
CYCLES = 20
LIMIT = 2.0


async def _requests_per_cycle(
    service: Service, cycle: Callable[[], Awaitable[object]], cycles: int
) -> float:
    before = service.requests_served()
    for _ in range(cycles):
        await cycle()
    return (service.requests_served() - before) / cycles


async def _measure(service: Service) -> list[Figure]:
    from tui.monitor import JobMonitor

    client = service.client()
    monitor = JobMonitor(client)
    active: list[str] = []
    figures = []
    try:
        for target_count in ACTIVE_COUNTS:
            while len(active) < target_count:
                job_id = await submit_tiny(client)
                monitor.watch(job_id)
                active.append(job_id)
            snapshot = await monitor.poll()  # settles what the monitor knows
            seen = {job.id for job in snapshot.active_jobs}
            missing = len(set(active) - seen)
            per_cycle = await _requests_per_cycle(service, monitor.poll, CYCLES)

            async def naive_cycle() -> None:
                for job_id in active:
                    await client.job(job_id)

            naive = await _requests_per_cycle(service, naive_cycle, 3)
            figures.append(Figure(
                f"3. polling, {target_count} active job(s): requests per monitor cycle",
                f"{per_cycle:.2f} req/cycle (served, over {CYCLES} cycles); "
                f"{missing} active job(s) missing from the snapshot",
                f"{naive:.0f} req/cycle (one read per active job)",
                per_cycle / naive, f"<= {LIMIT:g} req/cycle",
                per_cycle <= LIMIT and missing == 0,
            ))
    finally:
        await client.aclose()
    return figures


def bench_polling(repeats: int) -> list[Figure]:
    """Request counts are deterministic, so one run is enough whatever `repeats` says."""
    with TemporaryDirectory(prefix="qrt-bench-") as scratch:
        data_dir = Path(scratch)
        seed_jobs(data_dir, HISTORY_JOBS)
        with running_service(
            "--faults", "scheduler:hold=1", "--count-requests", data_dir=data_dir
        ) as service:
            return asyncio.run(_measure(service))
