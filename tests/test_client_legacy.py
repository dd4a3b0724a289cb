"""The `legacy` channel: RuntimeClient on the older API of `qrt serve` (`/api/users`, `/runtime`)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.client import legacy_profile, stored_key, wait_final
from tui.accounts import Accounts
from tui.api.auth import BearerAuthenticator
from tui.api.errors import Unauthorized
from tui.connection import Connection, ProfileError, connect_profile, legacy_client
from tui.local_defaults import LEGACY_INSTANCE
from tui.results import sampler_counts
from tui.secret import Secret


class RequestRecorder(httpx.AsyncHTTPTransport):
    """Real HTTP, noting each `x-access-token` (so a test can reuse it raw), the header
    names, and the bodies of job submissions."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.header_names: set[str] = set()
        self.job_bodies: list[dict[str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.header_names.update(name.lower() for name in request.headers)
        if request.method == "POST" and request.url.path == "/runtime/jobs":
            self.job_bodies.append(json.loads(request.content))
        token = request.headers.get("x-access-token")
        if token and token not in self.seen:
            self.seen.append(token)
        return await super().handle_async_request(request)






async def test_legacy_profile_lists_submits_fetches_and_runs_a_session(
    service: ServiceInfo, bell_isa_qasm: str, no_keyring: None
) -> None:
    connection = await connect_profile(legacy_profile(service), await stored_key(service))
    client = connection.client
    try:
        assert client.base_url == f"{service.url}/runtime" and not connection.is_local
        backends = {backend.name: backend for backend in await client.backends()}
        assert backends["ibm_brisbane"].status == "online"
        assert backends["ibm_brisbane"].qubits == 0  # unknown on the older API, not guessed

        job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 500]])
        assert await wait_final(client, job_id) == "Completed"
        tables = sampler_counts(await client.job_results(job_id))
        assert tables[0].shots == 500
        assert {row.bitstring for row in tables[0].rows[:2]} == {"00", "11"}
        assert job_id in {job.id for job in (await client.jobs(limit=20)).jobs}
        document = await client.job_document(job_id)
        assert (document["hub"], document["group"], document["project"]) == ("ibm-q", "open", "main")

        session = await client.create_session("ibm_brisbane", "batch", max_ttl=300)
        assert (session.mode, session.max_ttl, session.accepting_jobs) == ("batch", 300, True)
        in_session = await client.submit_sampler_job(
            "ibm_brisbane", [[bell_isa_qasm, None, 100]], session_id=session.id
        )
        assert (await client.job(in_session)).session_id == session.id
        await client.close_session(session.id)
        assert not (await client.session(session.id)).accepting_jobs
        assert await wait_final(client, in_session) == "Completed"
    finally:
        await connection.close()


async def test_legacy_jobs_are_not_visible_on_todays_api(
    service: ServiceInfo, bell_isa_qasm: str
) -> None:
    """Jobs carry the profile's hub/group/project, which scopes them: /api/v1 does not see them."""
    recorder = RequestRecorder()
    client = legacy_client(service.url, Secret(service.api_key), LEGACY_INSTANCE, transport=recorder)
    try:
        job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 50]])
        [body] = recorder.job_bodies
        assert (body["hub"], body["group"], body["project"]) == ("ibm-q", "open", "main")
        response = httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=service.headers())
        assert response.status_code == 404
    finally:
        await client.aclose()


async def test_sign_out_revokes_the_access_token(service: ServiceInfo) -> None:
    recorder = RequestRecorder()
    client = legacy_client(service.url, Secret(service.api_key), LEGACY_INSTANCE, transport=recorder)
    try:
        await client.jobs(limit=1)
        [access_token] = recorder.seen
        assert access_token != service.api_key
        assert not {"service-crn", "ibm-api-version", "authorization"} & recorder.header_names
        raw = {"x-access-token": access_token}
        assert httpx.get(f"{service.url}/runtime/jobs", headers=raw).status_code == 200

        await client.sign_out()
        assert httpx.get(f"{service.url}/runtime/jobs", headers=raw).status_code == 401
        with pytest.raises(Unauthorized, match="logged out"):
            await client.jobs(limit=1)
        assert recorder.seen == [access_token]  # no quiet second login after sign-out
    finally:
        await client.aclose()


async def test_an_access_token_revoked_elsewhere_is_replaced_by_one_new_login(
    service: ServiceInfo,
) -> None:
    """An expired or externally revoked token costs one 401 and one login, not an error."""
    recorder = RequestRecorder()
    client = legacy_client(service.url, Secret(service.api_key), LEGACY_INSTANCE, transport=recorder)
    try:
        await client.jobs(limit=1)
        [first] = recorder.seen
        revoked = httpx.post(f"{service.url}/api/users/logout", headers={"x-access-token": first})
        assert revoked.status_code == 204
        await client.jobs(limit=1)
        assert len(recorder.seen) == 2 and recorder.seen[1] != first
    finally:
        await client.aclose()

async def test_accounts_log_out_revokes_and_forgets(
    service: ServiceInfo, tmp_path: Path, no_keyring: None
) -> None:
    recorder = RequestRecorder()
    accounts = Accounts(tmp_path / "config.toml", await stored_key(service))
    client = legacy_client(service.url, Secret(service.api_key), LEGACY_INSTANCE, transport=recorder)
    await client.backends()
    [access_token] = recorder.seen

    transpiler = client.transpiler_service(service.url, BearerAuthenticator(Secret(service.api_key)))
    await accounts.log_out("classic", Connection("classic", client, False, service.url, transpiler))
    assert await accounts.tokens.load("classic") is None
    logout_again = httpx.post(
        f"{service.url}/api/users/logout", headers={"x-access-token": access_token}
    )
    assert logout_again.status_code == 401


async def test_a_wrong_api_token_is_unauthorized_and_not_echoed(service: ServiceInfo) -> None:
    client = legacy_client(service.url, Secret("not-the-key-0123"), LEGACY_INSTANCE)
    try:
        with pytest.raises(Unauthorized) as failure:
            await client.backends()
        assert "not-the-key-0123" not in str(failure.value)
    finally:
        await client.aclose()


@pytest.mark.parametrize("instance", [None, "ibm-q/open", "ibm-q//main", "crn:v1:bluemix:x"])
async def test_a_legacy_profile_needs_hub_group_project(
    service: ServiceInfo, instance: str | None, no_keyring: None
) -> None:
    profile = legacy_profile(service, instance)  # type: ignore[arg-type]
    with pytest.raises(ProfileError, match="hub/group/project"):
        await connect_profile(profile, await stored_key(service))

