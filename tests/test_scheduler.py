"""The Scheduler, the one poller of jobs and sessions, against the real service: which
requests each cycle sends, and when the sessions fall due (on a clock the test turns)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import FAST_RETRY, CountingTransport
from tui.api.auth import BearerAuthenticator, IamAuthenticator
from tui.api.client import RuntimeClient
from tui.connection import Connection
from tui.scheduler import MAX_TRACKED_SESSIONS, Scheduler
from tui.secret import Secret
from tui.workspace import Workspace


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Polled:
    scheduler: Scheduler
    transport: CountingTransport
    clock: Clock
    workspace: Workspace

    async def cycle_reads(self) -> tuple[list[str], bool]:
        """The sessions one cycle read, and whether it read the jobs."""
        before = len(self.transport.requests)
        refresh = await self.scheduler.cycle()
        new = self.transport.requests[before:]
        sessions = [path.rsplit("/", 1)[1] for method, path in new if method == "GET" and "/sessions/" in path]
        return sessions, refresh.jobs is not None and any(path.endswith("/jobs") for _, path in new)


@pytest.fixture
async def polled(service: ServiceInfo) -> AsyncIterator[Polled]:
    transport = CountingTransport()
    api_key = Secret(service.api_key)
    client = RuntimeClient(
        f"{service.url}/api/v1", IamAuthenticator(api_key, service.url), service.instance, transport=transport, retry=FAST_RETRY
    )
    connection = Connection(
        "test", client, is_local=True, service_url=service.url,
        transpiler=client.transpiler_service(f"{service.url}/transpiler", BearerAuthenticator(api_key)),
    )
    workspace = Workspace(connection)
    clock = Clock()
    scheduler = Scheduler.for_workspace(workspace)
    scheduler.clock = clock
    yield Polled(scheduler, transport, clock, workspace)
    await workspace.close()


async def test_a_cycle_reads_the_sessions_only_when_they_are_due(polled: Polled) -> None:
    scheduler = polled.scheduler
    first, read_jobs = await polled.cycle_reads()
    assert scheduler.jobs.latest is not None
    named = list(dict.fromkeys(job.session_id for job in scheduler.jobs.latest.jobs if job.session_id))
    assert read_jobs and sorted(first) == sorted(named[-MAX_TRACKED_SESSIONS:])  # found once, from the jobs
    second, read_jobs = await polled.cycle_reads()
    assert read_jobs and second == []  # not due again until the interval has passed
    if not scheduler.sessions_to_read(scheduler.jobs.latest):
        assert scheduler.next_delay() == scheduler.jobs.next_delay()  # nothing open: the jobs' pace alone


async def test_an_open_session_is_read_at_the_background_pace_and_faster_when_watched(polled: Polled) -> None:
    scheduler, clock = polled.scheduler, polled.clock
    session = await polled.workspace.open_session("ibm_brisbane", "batch")
    try:
        scheduler.remember(session)
        assert session.id in (await polled.cycle_reads())[0]  # just remembered: read at once
        assert (await polled.cycle_reads())[0] == []  # not due again yet
        idle = scheduler.session_intervals.background
        assert scheduler.next_delay() <= scheduler.jobs.next_delay()
        clock.now += idle - 1
        assert (await polled.cycle_reads())[0] == []
        clock.now += 1
        assert session.id in (await polled.cycle_reads())[0]

        scheduler.sessions_watched = True  # the sessions screen is shown
        clock.now += scheduler.session_intervals.watched
        assert scheduler.next_delay() == scheduler.jobs.intervals.floor  # due now: the next cycle comes soon
        assert session.id in (await polled.cycle_reads())[0]
        clock.now += scheduler.session_intervals.watched / 2
        assert scheduler.next_delay() <= scheduler.session_intervals.watched / 2
    finally:
        await polled.workspace.cancel_session(session.id)


async def test_a_closed_session_is_read_once_more_then_only_remembered(polled: Polled) -> None:
    scheduler, clock = polled.scheduler, polled.clock
    session = await polled.workspace.open_session("ibm_brisbane", "batch")
    scheduler.remember(session)
    await polled.cycle_reads()
    await polled.workspace.cancel_session(session.id)
    scheduler.sessions_changed()  # what the app says after cancelling one
    assert session.id in (await polled.cycle_reads())[0]
    assert scheduler.sessions[session.id].is_closed
    clock.now += 10 * scheduler.session_intervals.background
    scheduler.sessions_watched = True
    assert session.id not in (await polled.cycle_reads())[0]  # closed: it cannot change again
    assert session.id in scheduler.sessions


async def test_the_session_of_a_job_is_found_once_from_the_jobs(
    polled: Polled, bell_isa_qasm: str
) -> None:
    scheduler = polled.scheduler
    client = polled.workspace.client
    session = await client.create_session("ibm_brisbane", "batch")  # opened elsewhere: unknown here
    job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], session_id=session.id)
    await client.cancel_session(session.id)
    reads, _ = await polled.cycle_reads()
    assert session.id in reads and scheduler.sessions[session.id].id == session.id
    assert scheduler.jobs.latest is not None and job_id in {job.id for job in scheduler.jobs.latest.jobs}
    assert session.id not in (await polled.cycle_reads())[0]  # closed now, and known


async def test_a_failed_jobs_read_is_reported_and_backs_off(service: ServiceInfo, polled: Polled) -> None:
    service.set_faults("/api/v1/jobs:status=503")
    try:
        refresh = await polled.scheduler.cycle()
    finally:
        service.set_faults("")
    assert refresh.jobs is None and refresh.jobs_error is not None and refresh.sessions is None
    assert polled.scheduler.next_delay() > polled.scheduler.jobs.intervals.active
