"""RuntimeClient against a real `qrt serve` over HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import make_client, wait_final
from tui.api.auth import IamAuthenticator, Secret
from tui.api.client import SUBMISSION_TAG_PREFIX, RetryPolicy, RuntimeClient
from tui.api.errors import InvalidInput, NotFound, Unauthorized, Unavailable
from tui.monitor import JobMonitor
from tui.results import sampler_counts


async def test_backends_submit_poll_results(service: ServiceInfo, bell_isa_qasm: str) -> None:
    client = make_client(service)
    try:
        names = {backend.name for backend in await client.backends()}
        assert "ibm_brisbane" in names
        job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 2000]])
        monitor = JobMonitor(client)
        monitor.watch(job_id)
        assert await wait_final(client, job_id) == "Completed"
        snapshot = await monitor.poll()
        assert job_id in {job.id for job in snapshot.newly_final}
        tables = sampler_counts(await client.job_results(job_id))
        assert [table.register for table in tables] == ["c"]
        top_two = {row.bitstring for row in tables[0].rows[:2]}
        assert top_two == {"00", "11"}
        assert tables[0].shots == 2000
        job = await client.job(job_id)
        assert any(tag.startswith(SUBMISSION_TAG_PREFIX) for tag in job.tags)
    finally:
        await client.aclose()


async def test_errors_are_typed_and_say_what_to_do(service: ServiceInfo) -> None:
    client = make_client(service)
    try:
        with pytest.raises(NotFound):
            await client.job("does-not-exist")
        with pytest.raises(InvalidInput) as invalid:
            await client.submit_sampler_job("ibm_brisbane", [['OPENQASM 3.0; include "stdgates.inc"; qubit q; h q;']])
        assert "not ISA" in str(invalid.value)
    finally:
        await client.aclose()


async def test_bad_api_key_is_unauthorized_and_never_shown(service: ServiceInfo) -> None:
    secret_key = "wrong-key-0123456789"
    client = make_client(service, api_key=secret_key)
    try:
        with pytest.raises(Unauthorized) as refused:
            await client.backends()
        assert "API key" in str(refused.value)
        assert secret_key not in str(refused.value) and secret_key not in repr(refused.value)
    finally:
        await client.aclose()


async def test_unreachable_service_is_unavailable_after_bounded_retries() -> None:
    auth = IamAuthenticator(Secret("k"), "http://127.0.0.1:9")
    client = RuntimeClient("http://127.0.0.1:9/api/v1", auth, "crn:x",
                           retry=RetryPolicy(attempts=2, base_delay=0.01))
    try:
        with pytest.raises(Unavailable):
            await client.backends()
    finally:
        await client.aclose()


def test_secret_never_shows_in_repr() -> None:
    secret = Secret("s3cr3t-value")
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret) and "s3cr3t" not in f"{secret}"
    assert secret.reveal() == "s3cr3t-value"
