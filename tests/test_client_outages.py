"""The client when its token expires mid-run and when the service dies mid-request.

Each test runs its own `qrt serve`: one issuing tokens that live two seconds, one that is
killed while a submission is in flight and restarted on the same port and data.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import ServiceInfo, drain_output, start_service, stop_service
from tui.api.auth import IamAuthenticator, Secret
from tui.api.client import RetryPolicy, RuntimeClient
from tui.api.errors import InvalidInput, SubmissionInDoubt, Unavailable
from tui.monitor import JobMonitor
from tui.server.iam import TOKEN_LIFETIME_ENV

TOKEN_LIFETIME = 2
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2, max_retry_after=1.5)


class RecordingTransport(httpx.AsyncHTTPTransport):
    """Every request the client sends and what came back: a status, or the error's name."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[str, str, int | str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            self.exchanges.append((request.method, request.url.path, type(exc).__name__))
            raise
        self.exchanges.append((request.method, request.url.path, response.status_code))
        return response

    def count(self, method: str, path_end: str, outcome: int | str | None = None) -> int:
        return sum(1 for m, p, o in self.exchanges
                   if m == method and p.endswith(path_end) and outcome in (None, o))


def recording_client(
    service: ServiceInfo, transport: RecordingTransport, **auth_options: object
) -> RuntimeClient:
    auth = IamAuthenticator(Secret(service.api_key), service.url, **auth_options)  # type: ignore[arg-type]
    return RuntimeClient(f"{service.url}/api/v1", auth, service.instance, retry=FAST_RETRY,
                         transport=transport, timeout=10.0)


@pytest.fixture(scope="module")
def short_token_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInfo]:
    info = start_service(tmp_path_factory.mktemp("short-tokens"), secrets.token_urlsafe(16),
                         env={TOKEN_LIFETIME_ENV: str(TOKEN_LIFETIME)})
    drain_output(info)
    yield info
    stop_service(info)


async def test_tokens_expiring_every_two_seconds_never_fail_a_call(
    short_token_service: ServiceInfo, bell_isa_qasm: str
) -> None:
    transport = RecordingTransport()
    client = recording_client(short_token_service, transport)
    monitor = JobMonitor(client)
    submitted: list[str] = []
    started = time.monotonic()
    try:
        # Until the client has renewed its token three times, however long this machine
        # takes to get there: the count is what matters, not how many cycles fit a time.
        for cycle in itertools.count():
            if transport.count("POST", "/identity/token", 200) >= 4 and len(submitted) >= 2:
                break
            assert time.monotonic() - started < 120, "the client stopped renewing its token"
            await monitor.poll()
            if cycle % 3 == 0:
                submitted.append(await client.submit_sampler_job(
                    "ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["expiry-run"]))
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        page = await client.jobs(tags=["expiry-run"], limit=100)
    finally:
        await client.aclose()
    fetched = transport.count("POST", "/identity/token", 200)
    assert fetched >= 3, transport.exchanges  # renewed as the tokens ran out
    rejected = transport.count("GET", "/jobs", 401) + transport.count("POST", "/jobs", 401)
    assert fetched <= 1 + rejected + elapsed / (0.8 * TOKEN_LIFETIME) + 1, transport.exchanges
    assert len(set(submitted)) == len(submitted) >= 2
    assert sorted(job.id for job in page.jobs) == sorted(submitted)  # none lost, none twice
    assert monitor.stale_since is None and monitor.consecutive_failures == 0


async def test_a_token_that_dies_while_the_client_trusts_it_is_renewed_once(
    short_token_service: ServiceInfo, bell_isa_qasm: str
) -> None:
    """A stopped clock keeps the client from renewing early, as after a suspend or skew."""
    transport = RecordingTransport()
    client = recording_client(short_token_service, transport, clock=lambda: 0.0)
    try:
        await client.jobs(limit=1)
        await asyncio.sleep(TOKEN_LIFETIME + 0.5)
        await client.jobs(limit=1)
        assert [(m, p.rsplit("/", 1)[-1], o) for m, p, o in transport.exchanges[-3:]] == [
            ("GET", "jobs", 401), ("POST", "token", 200), ("GET", "jobs", 200)]
        await asyncio.sleep(TOKEN_LIFETIME + 0.5)
        job_id = await client.submit_sampler_job(
            "ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["expired-on-submit"])
        assert transport.count("POST", "/jobs", 401) == 1 and transport.count("POST", "/jobs", 200) == 1
        page = await client.jobs(tags=["expired-on-submit"])
        assert [job.id for job in page.jobs] == [job_id]
    finally:
        await client.aclose()


async def test_a_service_killed_mid_submission_neither_loses_nor_duplicates_the_job(
    tmp_path: Path, bell_isa_qasm: str
) -> None:
    api_key = secrets.token_urlsafe(16)
    first = start_service(tmp_path, api_key, "--faults", "")
    drain_output(first)
    transport = RecordingTransport()
    client = recording_client(first, transport)
    monitor = JobMonitor(client)
    second: ServiceInfo | None = None
    try:
        # A rejected job first, so the service has its circuit tools loaded and answers fast.
        with pytest.raises(InvalidInput):
            await client.submit_sampler_job("ibm_brisbane", [["OPENQASM 3.0; qubit q; h q;"]])
        fresh = await monitor.poll()
        first.set_faults("/api/v1/jobs:stall=60x1")  # created, then the answer hangs
        submission = asyncio.create_task(client.submit_sampler_job(
            "ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["killed-mid-request"]))
        await asyncio.sleep(1.5)
        first.process.kill()
        first.process.wait()
        with pytest.raises(SubmissionInDoubt) as in_doubt:
            await submission
        assert transport.count("POST", "/jobs") == 2  # the rejected one, and this one: never resent
        polls_before = transport.count("GET", "/jobs")
        with pytest.raises(Unavailable):
            await monitor.poll()
        assert transport.count("GET", "/jobs") - polls_before == FAST_RETRY.attempts  # bounded
        assert monitor.latest is fresh and monitor.stale_since == fresh.fetched_at

        port = str(urlparse(first.url).port)
        second = start_service(tmp_path, api_key, "--port", port)
        drain_output(second)
        job_id = await client.find_submission(in_doubt.value.submission_tag)
        assert job_id is not None
        assert [job.id for job in (await client.jobs(tags=["killed-mid-request"])).jobs] == [job_id]
        recovered = await monitor.poll()  # (that it then runs is test_server_persistence's job)
        assert monitor.stale_since is None and job_id in {job.id for job in recovered.jobs}
    finally:
        await client.aclose()
        for service in (first, second):
            if service is not None and service.process.poll() is None:
                stop_service(service)
