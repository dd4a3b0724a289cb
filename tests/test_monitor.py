"""JobMonitor against the real service: what a poll cycle reports, and at what cost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import make_client
from tui.api.client import RuntimeClient
from tui.monitor import JobMonitor


@pytest.fixture
async def client(service: ServiceInfo) -> AsyncIterator[RuntimeClient]:
    runtime = make_client(service)
    yield runtime
    await runtime.aclose()


async def test_a_watched_job_finishing_off_the_first_page_is_still_reported(
    service: ServiceInfo, client: RuntimeClient, bell_isa_qasm: str
) -> None:
    monitor = JobMonitor(client, page_size=3)
    service.set_faults("scheduler:hold=1")
    newer: list[str] = []
    try:
        watched = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]])
        monitor.watch(watched)
        newer = [await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]]) for _ in range(4)]
        first = await monitor.poll()
        assert watched in {job.id for job in first.jobs}  # found through the pending list
        await client.cancel_job(watched)
        before = monitor.requests_made
        reported = await monitor.poll()
        assert [job.id for job in reported.newly_final] == [watched]
        assert reported.newly_final[0].status == "Cancelled"
        assert monitor.requests_made - before == 3  # first page, pending list, the one finished job
        steady = monitor.requests_made
        await monitor.poll()
        assert monitor.requests_made - steady == 2  # page + pending list (the oldest newer job is off the page)
    finally:
        for job_id in newer:
            await client.cancel_job(job_id)
        service.set_faults("")
