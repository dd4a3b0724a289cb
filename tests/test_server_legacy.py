"""The origin notebook's REST calls run against `qrt serve` with only the host changed (§5)."""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo, start_service, stop_service
from tests.helpers.service import GHZ_QASM, start_transpile, wait_final, wait_task
from tui.circuits import BELL_QASM

LEGACY_INSTANCE = "ibm-q/open/main"
FINAL = {"Completed", "Failed", "Cancelled"}
CLIENT_APPLICATION = "qiskit-version-2/0.39.2/qrt-tests"
NOTEBOOK_OPTIONS = {
    "dynamical_decoupling": {"enable": True, "sequence_type": "XpXm",
                             "extra_slack_distribution": "middle", "scheduling_method": "alap"},
    "twirling": {"enable_gates": True, "enable_measure": True},
    "transpilation": {"optimization_level": 1},
}


def login(service: ServiceInfo, **extra: Any) -> str:
    response = httpx.post(
        f"{service.url}/api/users/loginWithToken", json={"apiToken": service.api_key, **extra}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def token_headers(token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "x-access-token": token,
            "x-qx-client-application": CLIENT_APPLICATION}


def job_body(pubs: list[Any], **extra: Any) -> dict[str, Any]:
    hub, group, project = LEGACY_INSTANCE.split("/")
    return {"program_id": "sampler", "backend": "ibm_brisbane", "hub": hub, "group": group,
            "project": project, "params": {"pubs": pubs, "version": 2}, **extra}


def submit(service: ServiceInfo, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{service.url}/runtime/jobs", headers=headers, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_legacy(service: ServiceInfo, headers: dict[str, str], job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{service.url}/runtime/jobs/{job_id}", headers=headers).json()
        if job["state"]["status"] in FINAL:
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def counts_of(result: dict[str, Any], pub: int, register: str) -> Counter[str]:
    return Counter(result["results"][pub]["data"][register]["samples"])


@pytest.fixture(scope="module")
def isa_circuits(service: ServiceInfo) -> dict[str, str]:
    """Bell and GHZ for ibm_brisbane, transpiled by the service's own /transpile."""
    task_id = start_transpile(
        service, {"qasm_circuits": [BELL_QASM, GHZ_QASM]},
        backend="ibm_brisbane", optimization_level=3, use_ai=False,
    )
    task = wait_task(service, task_id)
    assert task["state"] == "SUCCESS", task
    bell, ghz = (item["qasm"] for item in task["result"])
    return {"bell": bell, "ghz": ghz}


def test_the_notebook_flow_with_only_the_host_changed(service: ServiceInfo, isa_circuits: dict[str, str]) -> None:
    url = service.url
    token = login(service)
    headers = token_headers(token)

    devices = httpx.get(f"{url}/runtime/backends", headers=headers).json()["devices"]
    assert "ibm_brisbane" in devices and all(isinstance(name, str) for name in devices)

    # A sampler job with two pubs, one with its own shots, and the notebook's options.
    body = job_body([[isa_circuits["bell"]], [isa_circuits["ghz"], None, 500]],
                    start_session="False")
    body["params"]["options"] = NOTEBOOK_OPTIONS
    created = submit(service, headers, body)
    assert set(created) == {"id", "backend"} and created["backend"] == "ibm_brisbane"
    job = wait_legacy(service, headers, created["id"])
    assert job["state"] == {"status": "Completed", "reason": "", "reasonCode": None}, job
    assert job["status"] == "Completed" and job["program"] == {"id": "sampler"} and job["created"]
    assert (job["hub"], job["group"], job["project"]) == tuple(LEGACY_INSTANCE.split("/"))
    assert job["session_id"] is None  # start_session "False" opened none

    result = httpx.get(f"{url}/runtime/jobs/{created['id']}/results", headers=headers).json()
    bell, ghz = counts_of(result, 0, "c"), counts_of(result, 1, "meas")
    assert result["results"][0]["data"]["c"]["num_bits"] == 2
    assert result["results"][1]["data"]["meas"]["num_bits"] == 3
    # Twirled pubs are sized by IBM's rule: max(64, ceil(shots / 32)) shots per randomization.
    assert sum(bell.values()) == 4096 and sum(ghz.values()) == 32 * 16
    assert (bell["0x0"] + bell["0x3"]) / 4096 > 0.85, bell
    assert (ghz["0x0"] + ghz["0x7"]) / sum(ghz.values()) > 0.75, ghz
    assert ghz["0x0"] > 100 and ghz["0x7"] > 100, ghz
    logs = httpx.get(f"{url}/runtime/jobs/{created['id']}/logs", headers=headers).text
    assert "options.transpilation" in logs and "not applied" in logs

    # A dedicated session (the notebook sent its body as a JSON string) with two jobs.
    session_body = json.dumps({"backend": "ibm_brisbane", "instance": LEGACY_INSTANCE})
    session = httpx.post(f"{url}/runtime/sessions", headers=headers, json=session_body)
    assert session.status_code == 200, session.text
    session_id = session.json()["id"]
    in_session = [
        submit(service, headers, job_body([[isa_circuits["bell"], None, 100]], session_id=session_id))
        for _ in range(2)
    ]
    assert all(item["session_id"] == session_id for item in in_session)
    for item in in_session:
        assert wait_legacy(service, headers, item["id"])["state"]["status"] == "Completed"
    details = httpx.get(f"{url}/runtime/sessions/{session_id}", headers=headers).json()
    assert details["mode"] == "dedicated" and details["backend_name"] == "ibm_brisbane"
    assert details["state"] == "active" and details["activated_at"] is not None

    # A batch, then closing both.
    batch = httpx.post(f"{url}/runtime/sessions", headers=headers,
                       json={"backend": "ibm_brisbane", "instance": LEGACY_INSTANCE, "mode": "batch"})
    batch_id = batch.json()["id"]
    batch_job = submit(service, headers, job_body([[isa_circuits["ghz"], None, 100]], session_id=batch_id))
    assert wait_legacy(service, headers, batch_job["id"])["state"]["status"] == "Completed"
    assert httpx.get(f"{url}/runtime/sessions/{batch_id}", headers=headers).json()["mode"] == "batch"
    for closing in (session_id, batch_id):
        closed = httpx.delete(f"{url}/runtime/sessions/{closing}/close", headers={"x-access-token": token})
        assert closed.status_code == 204 and closed.text == ""
        assert httpx.get(f"{url}/runtime/sessions/{closing}", headers=headers).json()["state"] == "closed"

    # Logout, then the token is dead: logout again and runtime calls get 401.
    logout = httpx.post(f"{url}/api/users/logout", headers={"x-access-token": token})
    assert logout.is_success and logout.text == ""
    again = httpx.post(f"{url}/api/users/logout", headers={"x-access-token": token})
    assert again.status_code == 401
    assert again.json()["error"]["statusCode"] == 401 and again.json()["error"]["code"]
    assert httpx.get(f"{url}/runtime/backends", headers=headers).status_code == 401
    assert httpx.get(f"{url}/runtime/jobs/{created['id']}", headers=headers).status_code == 401


def test_wrong_api_token_gets_a_loopback_style_401(service: ServiceInfo) -> None:
    response = httpx.post(f"{service.url}/api/users/loginWithToken", json={"apiToken": "not-the-key"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["statusCode"] == 401 and error["name"] and error["message"] and error["code"]
    assert "not-the-key" not in response.text


def test_login_answer_and_user_info_point_at_this_server(service: ServiceInfo) -> None:
    response = httpx.post(f"{service.url}/api/users/loginWithToken", json={"apiToken": service.api_key})
    body = response.json()
    assert set(body) == {"id", "ttl", "created", "userId"} and body["ttl"] == 1209600
    headers = {"x-access-token": body["id"]}
    me = httpx.get(f"{service.url}/api/users/me", headers=headers).json()
    assert me["urls"]["http"] == service.url
    assert me["urls"]["services"]["runtime"] == f"{service.url}/runtime"
    hubs = httpx.get(f"{service.url}/Network", headers=headers).json()
    hub, group, project = LEGACY_INSTANCE.split("/")
    assert hubs[0]["name"] == hub and project in hubs[0]["groups"][group]["projects"]


def test_bearer_api_key_works_without_login(service: ServiceInfo, isa_circuits: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {service.api_key}"}
    assert "ibm_brisbane" in httpx.get(f"{service.url}/runtime/backends", headers=headers).json()["devices"]
    created = submit(service, headers, job_body([[isa_circuits["bell"], None, 50]]))
    assert wait_legacy(service, headers, created["id"])["state"]["status"] == "Completed"
    configuration = httpx.get(f"{service.url}/runtime/backends/ibm_brisbane/configuration", headers=headers)
    assert configuration.json()["backend_name"] == "ibm_brisbane"
    assert httpx.get(f"{service.url}/runtime/backends/ibm_nowhere/status", headers=headers).status_code == 404


def test_each_api_sees_the_jobs_of_its_own_instance(service: ServiceInfo, isa_circuits: dict[str, str]) -> None:
    legacy_headers = token_headers(login(service))
    legacy_job = submit(service, legacy_headers, job_body([[isa_circuits["bell"], None, 50]], tags=["legacy-side"]))
    cloud_headers = service.headers()
    cloud_body = {"program_id": "sampler", "backend": "ibm_brisbane", "tags": ["cloud-side"],
                  "params": {"pubs": [[isa_circuits["bell"], None, 50]], "version": 2}}
    cloud_job = httpx.post(f"{service.url}/api/v1/jobs", headers=cloud_headers, json=cloud_body, timeout=60).json()
    wait_legacy(service, legacy_headers, legacy_job["id"])
    wait_final(service, cloud_headers, cloud_job["id"])

    listed = httpx.get(f"{service.url}/runtime/jobs", headers=legacy_headers,
                       params={"provider": LEGACY_INSTANCE, "pending": "false", "limit": 200}).json()
    assert set(listed) == {"jobs", "count", "limit", "offset"}
    legacy_ids = {job["id"] for job in listed["jobs"]}
    assert legacy_job["id"] in legacy_ids and cloud_job["id"] not in legacy_ids
    assert all("reasonCode" in job["state"] for job in listed["jobs"])
    tagged = httpx.get(f"{service.url}/runtime/jobs", headers=legacy_headers, params={"tags": "legacy-side"}).json()
    assert [job["id"] for job in tagged["jobs"]] == [legacy_job["id"]] and tagged["count"] == 1
    assert httpx.get(f"{service.url}/api/v1/jobs/{legacy_job['id']}", headers=cloud_headers).status_code == 404
    assert httpx.get(f"{service.url}/runtime/jobs/{cloud_job['id']}", headers=legacy_headers).status_code == 404
    metrics = httpx.get(f"{service.url}/runtime/jobs/{legacy_job['id']}/metrics", headers=legacy_headers).json()
    assert metrics["caller"] == CLIENT_APPLICATION


def test_job_lifecycle_calls_like_api_v1(service: ServiceInfo, isa_circuits: dict[str, str]) -> None:
    headers = token_headers(login(service))
    job = submit(service, headers, job_body([[isa_circuits["bell"], None, 50]]))
    wait_legacy(service, headers, job["id"])
    assert httpx.post(f"{service.url}/runtime/jobs/{job['id']}/cancel", headers=headers).status_code == 409
    assert httpx.delete(f"{service.url}/runtime/jobs/{job['id']}", headers=headers).status_code == 204
    assert httpx.get(f"{service.url}/runtime/jobs/{job['id']}", headers=headers).status_code == 404


def test_start_session_true_opens_a_session_named_after_the_job(
    service: ServiceInfo, isa_circuits: dict[str, str]
) -> None:
    headers = token_headers(login(service))
    first = submit(service, headers, job_body([[isa_circuits["bell"], None, 50]], start_session=True))
    assert first["session_id"] == first["id"]
    second = submit(service, headers, job_body([[isa_circuits["bell"], None, 50]], session_id=first["id"]))
    assert second["session_id"] == first["id"]
    stop = httpx.patch(f"{service.url}/runtime/sessions/{first['id']}", headers=headers,
                       json={"accepting_jobs": False})
    assert stop.status_code == 204
    refused = httpx.post(f"{service.url}/runtime/jobs", headers=headers, timeout=60,
                         json=job_body([[isa_circuits["bell"], None, 50]], session_id=first["id"]))
    assert refused.status_code == 409
    for job in (first, second):
        assert wait_legacy(service, headers, job["id"])["state"]["status"] == "Completed"


@pytest.mark.parametrize(
    ("method", "path", "payload", "params"),
    [
        ("POST", "/runtime/jobs", job_body([["x"]], hub="other-hub"), None),
        ("POST", "/runtime/jobs", job_body([["x"]], project="other-project"), None),
        ("POST", "/runtime/sessions", {"backend": "ibm_brisbane", "instance": "a/b/c"}, None),
        ("POST", "/runtime/sessions", json.dumps({"backend": "ibm_brisbane", "instance": "a/b/c"}), None),
        ("GET", "/runtime/jobs", None, {"provider": "a/b/c"}),
        ("GET", "/runtime/backends", None, {"provider": "a/b/c"}),
    ],
)
def test_a_foreign_hub_group_project_gets_403(
    service: ServiceInfo, method: str, path: str, payload: Any, params: dict[str, str] | None
) -> None:
    headers = token_headers(login(service))
    response = httpx.request(method, f"{service.url}{path}", headers=headers, json=payload, params=params)
    assert response.status_code == 403, response.text
    assert "hub/group/project" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("path", "content", "phrase"),
    [
        ("/runtime/jobs", b"{not json", "Invalid request"),
        ("/runtime/jobs", json.dumps(job_body([["x"]], start_session="maybe")).encode(), "start_session"),
        ("/runtime/jobs", json.dumps({"program_id": "sampler", "hub": "ibm-q"}).encode(), "backend"),
        ("/runtime/jobs", json.dumps(job_body([[BELL_QASM]])).encode(), "not ISA"),
        ("/runtime/sessions", json.dumps("{not json").encode(), "does not hold JSON"),
        ("/runtime/sessions", b"[1, 2]", "Invalid request"),
        ("/runtime/sessions", json.dumps(json.dumps([1])).encode(), "JSON object"),
        ("/runtime/sessions", json.dumps({"backend": "ibm_brisbane", "mode": "weird"}).encode(), "mode"),
        ("/runtime/sessions", json.dumps({"backend": "ibm_brisbane", "max_session_ttl": -1}).encode(), "max_session_ttl"),
    ],
)
def test_malformed_runtime_bodies_get_400_with_an_error_body(
    service: ServiceInfo, path: str, content: bytes, phrase: str
) -> None:
    response = httpx.post(f"{service.url}{path}", headers=token_headers(login(service)), content=content, timeout=60)
    assert response.status_code == 400, response.text
    assert phrase in response.json()["errors"][0]["message"], response.text


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"apiToken": 5}', b'{"apiToken": ""}', b'"just a string"', b'{"apiToken": "k", "ttl": 0}'],
)
def test_malformed_login_gets_400_in_loopback_style(service: ServiceInfo, content: bytes) -> None:
    response = httpx.post(f"{service.url}/api/users/loginWithToken", content=content,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["statusCode"] == 400


def test_unknown_session_and_missing_credentials(service: ServiceInfo) -> None:
    headers = token_headers(login(service))
    assert httpx.get(f"{service.url}/runtime/sessions/nope", headers=headers).status_code == 404
    anonymous = httpx.get(f"{service.url}/runtime/backends")
    assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["message"]
    assert httpx.post(f"{service.url}/api/users/logout").status_code == 401
    assert httpx.get(f"{service.url}/api/users/me", headers={"x-access-token": "forged"}).status_code == 401


def test_tokens_survive_a_restart_and_expire_and_the_instance_is_the_flag(tmp_path: Path) -> None:
    api_key = secrets.token_urlsafe(16)
    flags = ("--legacy-instance", "my-hub/my-group/my-project")
    first = start_service(tmp_path, api_key, *flags)
    try:
        long_lived = login(first)
        short_lived = login(first, ttl=1)
    finally:
        stop_service(first)
    second = start_service(tmp_path, api_key, *flags)
    try:
        headers = {"x-access-token": long_lived}
        assert httpx.get(f"{second.url}/runtime/backends", headers=headers).status_code == 200
        time.sleep(1.2)
        expired = httpx.get(f"{second.url}/runtime/backends", headers={"x-access-token": short_lived})
        assert expired.status_code == 401
        mine = httpx.get(f"{second.url}/runtime/jobs", headers=headers,
                         params={"provider": "my-hub/my-group/my-project"})
        assert mine.status_code == 200 and mine.json()["count"] == 0
        default = httpx.post(f"{second.url}/runtime/sessions", headers=headers,
                             json={"backend": "ibm_brisbane", "instance": LEGACY_INSTANCE})
        assert default.status_code == 403
        session = httpx.post(f"{second.url}/runtime/sessions", headers=headers,
                             json={"backend": "ibm_brisbane", "instance": "my-hub/my-group/my-project"})
        assert session.status_code == 200
    finally:
        stop_service(second)


def test_a_malformed_legacy_instance_flag_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="hub/group/project"):
        start_service(tmp_path, "key", "--legacy-instance", "just-a-hub")


def test_options_are_handled_as_api_v1_handles_them(service: ServiceInfo, isa_circuits: dict[str, str]) -> None:
    seeded = {"simulator": {"seed_simulator": 99}}
    legacy_headers = token_headers(login(service))
    legacy_body = job_body([[isa_circuits["bell"], None, 200]], start_session="false")
    legacy_body["params"]["options"] = {**NOTEBOOK_OPTIONS, **seeded}
    legacy_job = submit(service, legacy_headers, legacy_body)
    cloud_headers = service.headers()
    cloud_options = {k: v for k, v in NOTEBOOK_OPTIONS.items() if k != "transpilation"}
    cloud_body = {"program_id": "sampler", "backend": "ibm_brisbane",
                  "params": {"pubs": [[isa_circuits["bell"], None, 200]], "version": 2,
                             "options": {**cloud_options, **seeded}}}
    cloud_job = httpx.post(f"{service.url}/api/v1/jobs", headers=cloud_headers, json=cloud_body, timeout=60)
    assert cloud_job.status_code == 200, cloud_job.text
    wait_legacy(service, legacy_headers, legacy_job["id"])
    wait_final(service, cloud_headers, cloud_job.json()["id"])
    legacy_result = httpx.get(f"{service.url}/runtime/jobs/{legacy_job['id']}/results", headers=legacy_headers).json()
    cloud_result = httpx.get(f"{service.url}/api/v1/jobs/{cloud_job.json()['id']}/results", headers=cloud_headers).json()
    for result in (legacy_result, cloud_result):
        result["metadata"].pop("execution")  # when each ran, which differs
    assert legacy_result == cloud_result  # same options, same seed: the same run
