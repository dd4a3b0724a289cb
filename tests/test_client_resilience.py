"""The client under faults injected by the real service: bounded retries, no duplicates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import FAST_RETRY, CountingTransport, sent
from tui.api.auth import IamAuthenticator, Secret
from tui.api.client import RuntimeClient
from tui.api.errors import Unavailable
from tui.monitor import JobMonitor


@pytest.fixture
async def counted(service: ServiceInfo) -> AsyncIterator[tuple[RuntimeClient, CountingTransport]]:
    # A cold service builds its catalogue on the first call, which can outlast the short
    # timeout below on a busy machine and add a retry the test did not inject.
    httpx.get(f"{service.url}/api/v1/backends", headers=service.headers(), timeout=60)
    transport = CountingTransport()
    client = RuntimeClient(
        f"{service.url}/api/v1", IamAuthenticator(Secret(service.api_key), service.url),
        service.instance, retry=FAST_RETRY, transport=transport, timeout=1.0,
    )
    yield client, transport
    service.set_faults("")
    await client.aclose()




async def test_a_burst_of_503_is_retried_within_bounds(service: ServiceInfo, counted: Any) -> None:
    client, transport = counted
    service.set_faults("/api/v1/backends:status=503x2")
    assert await client.backends()
    assert sent(transport, "GET", "/backends") == 3


async def test_persistent_503_gives_up_after_the_bounded_attempts(service: ServiceInfo, counted: Any) -> None:
    client, transport = counted
    service.set_faults("/api/v1/backends:status=503")
    with pytest.raises(Unavailable):
        await client.backends()
    assert sent(transport, "GET", "/backends") == FAST_RETRY.attempts


async def test_429_is_retried_after_retry_after(service: ServiceInfo, counted: Any) -> None:
    import time

    client, transport = counted
    service.set_faults("/api/v1/jobs:status=429x1")
    started = time.monotonic()
    await client.jobs(limit=1)
    assert time.monotonic() - started >= 1.0  # the server said Retry-After: 1
    assert sent(transport, "GET", "/jobs") == 2


async def test_rejected_submission_is_resent_once_safe_and_never_duplicated(
    service: ServiceInfo, counted: Any, bell_isa_qasm: str
) -> None:
    client, _ = counted
    service.set_faults("/api/v1/jobs:status=503x1")
    await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["resilience-503"])
    page = await client.jobs(tags=["resilience-503"])
    assert page.count == 1


async def test_lost_response_finds_the_created_job_instead_of_resubmitting(
    service: ServiceInfo, counted: Any, bell_isa_qasm: str
) -> None:
    client, transport = counted
    service.set_faults("/api/v1/jobs:stall=1.5x1")  # created, but the answer comes too late
    job_id = await client.submit_sampler_job(
        "ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["resilience-lost"]
    )
    page = await client.jobs(tags=["resilience-lost"])
    assert page.count == 1 and page.jobs[0].id == job_id
    assert sent(transport, "POST", "/jobs") == 1


async def test_expired_token_is_renewed_once(service: ServiceInfo, counted: Any) -> None:
    client, transport = counted
    await client.jobs(limit=1)
    client._auth._token = Secret("expired.or.revoked")  # as if the token died mid-run
    await client.jobs(limit=1)
    assert sent(transport, "POST", "/identity/token") == 2


async def test_monitor_keeps_last_data_and_says_since_when_it_is_stale(
    service: ServiceInfo, counted: Any
) -> None:
    client, _ = counted
    monitor = JobMonitor(client)
    first = await monitor.poll()
    service.set_faults("/api/v1/jobs:status=503")
    with pytest.raises(Unavailable):
        await monitor.poll()
    assert monitor.latest is first
    assert monitor.stale_since == first.fetched_at
    assert monitor.next_delay() > monitor.intervals.active
    service.set_faults("")
    await monitor.poll()
    assert monitor.stale_since is None and monitor.consecutive_failures == 0


async def test_dropped_connections_are_retried_within_bounds(service: ServiceInfo, counted: Any) -> None:
    """The service closes the connection without an answer, twice: a read is retried."""
    client, transport = counted
    service.set_faults("/api/v1/jobs:drop=0x2")
    page = await client.jobs(limit=5)
    assert page.count >= 0
    assert sent(transport, "GET", "/jobs") == 3


async def test_persistently_dropped_connections_give_up_and_say_so(service: ServiceInfo, counted: Any) -> None:
    client, transport = counted
    service.set_faults("/api/v1/jobs:drop=0")
    with pytest.raises(Unavailable):
        await client.jobs(limit=5)
    assert sent(transport, "GET", "/jobs") == FAST_RETRY.attempts
