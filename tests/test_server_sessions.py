"""Sessions and batches on a real clock: open -> active -> inactive -> closed."""

from __future__ import annotations

import time

import httpx

from tests.conftest import ServiceInfo
from tests.helpers.service import error_message, wait_final


def create_session(service: ServiceInfo, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = httpx.post(f"{service.url}/api/v1/sessions", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def get_session(service: ServiceInfo, headers: dict[str, str], session_id: object) -> dict[str, object]:
    return httpx.get(f"{service.url}/api/v1/sessions/{session_id}", headers=headers).json()


def submit(service: ServiceInfo, headers: dict[str, str], qasm: str, **extra: object) -> httpx.Response:
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[qasm, None, 50]], "version": 2}, **extra}
    return httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)


def test_session_lifecycle_and_interactive_ttl(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    session = create_session(service, headers, mode="dedicated", backend="ibm_brisbane", interactive_ttl=1)
    assert session["state"] == "open" and session["accepting_jobs"] is True
    job = submit(service, headers, bell_isa_qasm, session_id=session["id"])
    assert job.json()["session_id"] == session["id"]
    wait_final(service, headers, job.json()["id"])
    details = get_session(service, headers, session["id"])
    assert details["state"] in {"active", "inactive"} and details["activated_at"]
    time.sleep(1.2)
    assert get_session(service, headers, session["id"])["state"] == "inactive"

    patched = httpx.patch(f"{service.url}/api/v1/sessions/{session['id']}", headers=headers,
                          json={"accepting_jobs": False})
    assert patched.status_code == 204
    closed = get_session(service, headers, session["id"])
    assert closed["state"] == "closed" and closed["accepting_jobs"] is False
    assert [stamp["status"] for stamp in closed["timestamps"]] == ["open", "active", "inactive", "closed"]
    refused = submit(service, headers, bell_isa_qasm, session_id=session["id"])
    assert refused.status_code == 409
    assert "closed" in error_message(refused)


def test_max_ttl_closes_the_session(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    session = create_session(service, headers, mode="batch", backend="ibm_brisbane", max_ttl=1)
    time.sleep(1.1)
    details = get_session(service, headers, session["id"])
    assert details["state"] == "closed" and details["state_reason"] == "max_ttl reached"


def test_backend_must_match_the_session(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    session = create_session(service, headers, mode="batch", backend="ibm_kyiv")
    response = submit(service, headers, bell_isa_qasm, session_id=session["id"])
    assert response.status_code == 400
    assert "ibm_kyiv" in error_message(response)
    unknown = submit(service, headers, bell_isa_qasm, session_id="no-such-session")
    assert unknown.status_code == 404


def test_cancelling_a_session_drops_its_queued_jobs(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    session = create_session(service, headers, mode="batch", backend="ibm_brisbane")
    service.set_faults("scheduler:hold=1")  # nothing starts until the rule is lifted
    try:
        job_ids = [submit(service, headers, bell_isa_qasm, session_id=session["id"]).json()["id"]
                   for _ in range(3)]
        response = httpx.delete(f"{service.url}/api/v1/sessions/{session['id']}/close", headers=headers)
        assert response.status_code == 204
    finally:
        service.set_faults("")
    statuses = [wait_final(service, headers, job_id)["state"]["status"] for job_id in job_ids]
    assert statuses == ["Cancelled"] * 3
    assert get_session(service, headers, session["id"])["state"] == "closed"


def test_malformed_session_requests_get_400(service: ServiceInfo) -> None:
    headers = service.headers()
    response = httpx.post(f"{service.url}/api/v1/sessions", headers=headers, json={"mode": "party"})
    assert response.status_code == 400
    assert "mode" in error_message(response)
    missing = httpx.get(f"{service.url}/api/v1/sessions/nope", headers=headers)
    assert missing.status_code == 404
