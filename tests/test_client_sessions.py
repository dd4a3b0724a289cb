"""RuntimeClient sessions, batches, estimator jobs, tags and usage against `qrt serve`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import make_client, wait_final
from tui.api.client import SUBMISSION_TAG_PREFIX, RuntimeClient
from tui.api.errors import ApiError, Conflict, InvalidInput
from tui.api.models import Session
from tui.results import estimator_values, sampler_counts

BELL_STATE_QASM = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'


@pytest.fixture
async def client(service: ServiceInfo) -> AsyncIterator[RuntimeClient]:
    runtime = make_client(service)
    yield runtime
    await runtime.aclose()


@pytest.fixture(scope="module")
def bell_state_isa(service: ServiceInfo) -> tuple[str, tuple[int, ...], int]:
    """An unmeasured Bell pair on ibm_brisbane: its QASM, physical qubits, circuit width."""
    headers = service.headers()
    base = f"{service.url}/api/v1/backends/ibm_brisbane"
    configuration = httpx.get(f"{base}/configuration", headers=headers).json()
    properties = httpx.get(f"{base}/properties", headers=headers).json()
    from tui.circuits import parse_qasm, transpile_qasm

    isa = transpile_qasm(BELL_STATE_QASM, "ibm_brisbane", configuration, properties, seed=3)
    return isa.qasm, isa.physical_qubits, parse_qasm(isa.qasm).num_qubits


def pauli_on(letter: str, qubits: tuple[int, ...], width: int) -> str:
    """A Pauli label with `letter` on the given device qubits (qubit 0 is the last char)."""
    chars = ["I"] * width
    for qubit in qubits:
        chars[width - 1 - qubit] = letter
    return "".join(chars)


async def test_dedicated_session_runs_sampler_and_estimator_then_closes(
    client: RuntimeClient, bell_isa_qasm: str, bell_state_isa: tuple[str, tuple[int, ...], int]
) -> None:
    session = await client.create_session("ibm_brisbane", "dedicated", max_ttl=600)
    assert (session.mode, session.state, session.backend, session.max_ttl) == (
        "dedicated", "open", "ibm_brisbane", 600)
    assert session.accepting_jobs and session.status == "Pending"

    sampler_id = await client.submit_sampler_job(
        "ibm_brisbane", [[bell_isa_qasm, None, 200]], session_id=session.id)
    qasm, physical, width = bell_state_isa
    observables = [pauli_on("Z", physical[:2], width), pauli_on("X", physical[:2], width)]
    estimator_id = await client.submit_estimator_job(
        "ibm_brisbane", [[qasm, observables]], precision=0.05, session_id=session.id)
    assert await wait_final(client, sampler_id) == "Completed"
    assert await wait_final(client, estimator_id) == "Completed"
    assert {job.id for job in (await client.jobs(session_id=session.id)).jobs} == {
        sampler_id, estimator_id}
    assert sampler_counts(await client.job_results(sampler_id))[0].shots == 200
    (values,) = estimator_values(await client.job_results(estimator_id))
    assert values.shape == (2,)
    assert [round(value) for value in values.values] == [1, 1]  # <ZZ> and <XX> of a Bell pair
    assert all(0 < std < 0.2 for std in values.stds)

    idle = await client.session(session.id)
    now = datetime.now(timezone.utc)
    assert idle.state == "active" and idle.interactive_ttl is not None
    to_inactive, to_close = idle.seconds_to_inactive(now), idle.seconds_to_max_ttl(now)
    assert to_inactive is not None and 0 < to_inactive <= idle.interactive_ttl
    assert to_close is not None and 0 < to_close <= 600
    later = now + timedelta(seconds=5)
    assert idle.seconds_to_max_ttl(later) == pytest.approx(to_close - 5)
    assert idle.seconds_to_inactive(later) == pytest.approx(max(0.0, to_inactive - 5))

    await client.close_session(session.id)
    closed = await client.session(session.id)
    assert not closed.accepting_jobs and closed.is_closed
    with pytest.raises(Conflict) as refused:
        await client.submit_sampler_job(
            "ibm_brisbane", [[bell_isa_qasm, None, 10]], session_id=session.id)
    assert "closed" in str(refused.value)


def test_the_idle_clock_stops_while_a_job_runs_and_a_closed_session_has_no_clocks() -> None:
    t0 = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    idle = Session("s", "dedicated", "active", "ibm_fez", interactive_ttl=60, active_ttl=500,
                   last_job_started=t0, last_job_completed=t0 + timedelta(seconds=10), received_at=t0)
    now = t0 + timedelta(seconds=40)
    assert idle.seconds_to_inactive(now) == 30 and idle.seconds_to_max_ttl(now) == 460
    running = replace(idle, last_job_started=t0 + timedelta(seconds=20))
    assert running.seconds_to_inactive(now) is None
    assert replace(idle, state="inactive").seconds_to_inactive(now) is None
    closed = replace(idle, state="closed")
    assert closed.seconds_to_max_ttl(now) is None and closed.seconds_to_inactive(now) is None
    assert idle.seconds_to_max_ttl(t0 + timedelta(hours=1)) == 0


async def test_batch_cancel_drops_queued_jobs(
    client: RuntimeClient, service: ServiceInfo, bell_isa_qasm: str
) -> None:
    batch = await client.create_session("ibm_brisbane", "batch")
    assert batch.mode == "batch" and batch.max_ttl == 28800
    service.set_faults("scheduler:hold=1")  # keep the jobs queued until the cancel
    try:
        job_ids = [
            await client.submit_sampler_job(
                "ibm_brisbane", [[bell_isa_qasm, None, 10]], session_id=batch.id)
            for _ in range(2)
        ]
        await client.cancel_session(batch.id)
    finally:
        service.set_faults("")
    cancelled = await client.session(batch.id)
    assert cancelled.is_closed and cancelled.state_reason == "cancelled by the user"
    assert [await wait_final(client, job_id) for job_id in job_ids] == ["Cancelled", "Cancelled"]
    with pytest.raises(Conflict):
        await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], session_id=batch.id)


async def test_closing_an_unknown_session_is_a_no_op_but_reading_it_is_not_found(
    client: RuntimeClient,
) -> None:
    await client.close_session("no-such-session")
    with pytest.raises(ApiError) as missing:
        await client.session("no-such-session")
    assert missing.value.status == 404


async def test_usage_of_the_instance(client: RuntimeClient, service: ServiceInfo) -> None:
    usage = await client.usage()
    assert usage.instance == service.instance
    assert usage.consumed_seconds >= 0 and usage.limit_reached is False


async def test_job_tags_are_replaced_and_the_submission_tag_kept(
    client: RuntimeClient, bell_isa_qasm: str
) -> None:
    job_id = await client.submit_sampler_job(
        "ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["before"])
    await client.set_job_tags(job_id, ["after", "experiment-7"])
    tags = (await client.job(job_id)).tags
    assert "before" not in tags and {"after", "experiment-7"} <= set(tags)
    assert any(tag.startswith(SUBMISSION_TAG_PREFIX) for tag in tags)


async def test_seven_tags_fit_beside_the_submission_tag_and_eight_are_refused_before_sending(
    client: RuntimeClient, bell_isa_qasm: str
) -> None:
    """IBM allows 8 tags a job; qrt's submission tag once made a user's 8 into 9."""
    seven = [f"t{i}" for i in range(7)]
    job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=seven)
    tags = (await client.job(job_id)).tags
    assert len(tags) == 8 and set(seven) <= set(tags)
    with pytest.raises(InvalidInput, match="at most 7"):
        await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=[*seven, "eighth"])
    with pytest.raises(InvalidInput, match="at most 7"):
        await client.set_job_tags(job_id, [*seven, "eighth"])
    with pytest.raises(InvalidInput, match="1 to 86"):
        await client.set_job_tags(job_id, ["x" * 87])


async def test_type_tagged_results_of_the_service_read_like_qiskits_decoder(
    client: RuntimeClient, bell_isa_qasm: str
) -> None:
    """A job submitted as the official client does (`support_qiskit`) reads the same."""
    from qiskit_ibm_runtime.json import RuntimeDecoder

    params = {"pubs": [[bell_isa_qasm, None, 300]], "version": 2, "support_qiskit": True}
    job_id = await client.submit_job("sampler", "ibm_brisbane", params)
    assert await wait_final(client, job_id) == "Completed"
    body = await client.job_results(job_id)
    assert body["__type__"] == "PrimitiveResult"
    (table,) = sampler_counts(body)
    decoded = json.loads(json.dumps(body), cls=RuntimeDecoder)
    assert {row.bitstring: row.count for row in table.rows} == decoded[0].data.c.get_counts()
    assert table.shots == 300
