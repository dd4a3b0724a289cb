"""The transpiler service client against `qrt serve`'s `/transpile`, on each channel's credential."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import FAST_RETRY, CountingTransport, legacy_profile, sent, stored_key, wait_final
from tui.api.auth import BearerAuthenticator, IamAuthenticator
from tui.api.client import RuntimeClient
from tui.api.errors import TranspileFailed, Unauthorized
from tui.circuits import BELL_QASM, ghz_qasm
from tui.connection import Connection, connect_profile, connect_to_local_service
from tui.results import sampler_counts
from tui.secret import Secret

BACKEND = "ibm_brisbane"


@pytest.fixture
async def local(service: ServiceInfo) -> AsyncIterator[Connection]:
    connection = connect_to_local_service(service.url, Secret(service.api_key), service.instance)
    yield connection
    await connection.close()


async def test_service_transpiles_to_isa_that_the_runtime_runs(local: Connection) -> None:
    outcome = await local.transpiler.transpile([BELL_QASM, ghz_qasm(3)], BACKEND, 2)
    bell, ghz = outcome.circuits
    assert len(bell.final_layout) == 2 and len(ghz.final_layout) == 3
    assert len(set(ghz.final_layout)) == 3  # three distinct physical qubits
    assert "not applied" in outcome.ai_note or "no AI" in outcome.ai_note
    # The service's output is ISA: the runtime takes it as is, and the Bell pair is correlated.
    job_id = await local.client.submit_sampler_job(BACKEND, [[bell.qasm]], shots=400)
    assert await wait_final(local.client, job_id) == "Completed"
    [counts] = sampler_counts(await local.client.job_results(job_id))
    correlated = sum(row.count for row in counts.rows if row.bitstring in ("00", "11"))
    assert correlated / counts.shots > 0.85


async def test_layout_options_reach_the_service(local: Connection) -> None:
    outcome = await local.transpiler.transpile(
        [BELL_QASM], BACKEND, 1, transpile_options={"layout_method": "trivial"}
    )
    assert outcome.circuits[0].initial_layout[:2] == (0, 1)


async def test_invalid_qasm_fails_with_the_line(local: Connection) -> None:
    bad = BELL_QASM.replace("cx q[0], q[1];", "cx q[0], q[7];")
    with pytest.raises(TranspileFailed) as failure:
        await local.transpiler.transpile([bad], BACKEND, 1)
    assert "line" in str(failure.value)


async def test_a_wrong_key_is_unauthorized(service: ServiceInfo) -> None:
    client = RuntimeClient(
        f"{service.url}/api/v1", IamAuthenticator(Secret(service.api_key), service.url), service.instance
    )
    transpiler = client.transpiler_service(service.url, BearerAuthenticator(Secret("not-the-key-0123")))
    try:
        with pytest.raises(Unauthorized) as failure:
            await transpiler.transpile([BELL_QASM], BACKEND, 1)
        assert "not-the-key" not in str(failure.value)
    finally:
        await client.aclose()


async def test_legacy_profile_transpiles_with_its_api_token(
    service: ServiceInfo, tmp_path: Path, no_keyring: None
) -> None:
    connection = await connect_profile(legacy_profile(service), await stored_key(service))
    try:
        outcome = await connection.transpiler.transpile([BELL_QASM], BACKEND, 1)
    finally:
        await connection.close()
    assert len(outcome.circuits) == 1


async def test_a_burst_of_503_on_the_task_is_retried(service: ServiceInfo) -> None:
    transport = CountingTransport()
    client = RuntimeClient(
        f"{service.url}/api/v1", IamAuthenticator(Secret(service.api_key), service.url),
        service.instance, retry=FAST_RETRY, transport=transport,
    )
    transpiler = client.transpiler_service(service.url, BearerAuthenticator(Secret(service.api_key)))
    service.set_faults("/transpile:status=503x2")
    try:
        outcome = await transpiler.transpile([BELL_QASM], BACKEND, 1)
    finally:
        service.set_faults("")
        await client.aclose()
    assert len(outcome.circuits) == 1
    assert sent(transport, "POST", "/transpile") == 3


async def test_the_instance_and_api_version_headers_go_to_the_runtime_host_only(service: ServiceInfo) -> None:
    """Service-CRN, IBM-API-Version and the client's name are the runtime API's; IAM's
    /identity/token and the transpiler service must not get them."""
    transport = CountingTransport()
    client = RuntimeClient(
        f"{service.url}/api/v1", IamAuthenticator(Secret(service.api_key), service.url),
        service.instance, retry=FAST_RETRY, transport=transport,
    )
    transpiler = client.transpiler_service(service.url, BearerAuthenticator(Secret(service.api_key)))
    try:
        await client.jobs(limit=1)
        await transpiler.transpile([BELL_QASM], BACKEND, 1)
    finally:
        await client.aclose()
    runtime_only = {"service-crn", "ibm-api-version", "x-qx-client-application"}
    by_place: dict[str, set[str]] = {"iam": set(), "runtime": set(), "transpiler": set()}
    for path, names in transport.header_names:
        place = "iam" if path.startswith("/identity") else "runtime" if path.startswith("/api/v1") else "transpiler"
        by_place[place] |= names & runtime_only
    assert by_place == {"iam": set(), "runtime": runtime_only, "transpiler": set()}
    assert any(path.startswith("/transpile") for path, _ in transport.header_names)


async def test_a_transpiler_service_that_is_not_there_says_to_transpile_here(
    local: Connection, service: ServiceInfo
) -> None:
    import dataclasses

    from tui.circuits import TranspileSettings
    from tui.workspace import Workspace

    gone = local.client.transpiler_service(f"{service.url}/gone", BearerAuthenticator(Secret(service.api_key)))
    workspace = Workspace(dataclasses.replace(local, transpiler=gone))
    with pytest.raises(TranspileFailed) as failure:
        await workspace.transpile(BELL_QASM, BACKEND, TranspileSettings(where="service"))
    assert f"{service.url}/gone is not there" in str(failure.value) and "Ctrl+L" in str(failure.value)
