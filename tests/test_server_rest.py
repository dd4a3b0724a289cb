"""`qrt serve` answers a plain REST user as IBM's service does (reference §1)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY_GRANT, ServiceInfo
from tests.helpers.service import error_message, wait_final


def test_versions_need_no_auth(service: ServiceInfo) -> None:
    response = httpx.get(f"{service.url}/api/v1/versions")
    assert response.status_code == 200
    versions = {v["version"]: v["status"] for v in response.json()["versions"]}
    assert versions["2026-04-15"] == "live"


def test_token_exchange_returns_a_jwt_with_expiry(service: ServiceInfo) -> None:
    import jwt

    response = httpx.post(
        f"{service.url}/identity/token", data={"grant_type": API_KEY_GRANT, "apikey": service.api_key}
    )
    assert response.status_code == 200
    body = response.json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"


def test_wrong_api_key_is_refused(service: ServiceInfo) -> None:
    response = httpx.post(
        f"{service.url}/identity/token", data={"grant_type": API_KEY_GRANT, "apikey": "not-the-key"}
    )
    assert response.status_code == 400
    assert "could not be found" in response.json()["errorMessage"]


@pytest.mark.parametrize(
    ("headers", "status", "phrase"),
    [
        ({}, 401, "Missing bearer token"),
        ({"Authorization": "Bearer forged.jwt.token"}, 401, "not valid"),
    ],
)
def test_requests_without_a_valid_token_get_401(
    service: ServiceInfo, headers: dict[str, str], status: int, phrase: str
) -> None:
    response = httpx.get(f"{service.url}/api/v1/backends", headers={"Service-CRN": service.instance, **headers})
    assert response.status_code == status
    assert phrase in error_message(response)


def test_foreign_instance_gets_403(service: ServiceInfo) -> None:
    headers = {**service.headers(), "Service-CRN": "crn:v1:bluemix:public:quantum-computing:us-east:a/x:y::"}
    response = httpx.get(f"{service.url}/api/v1/backends", headers=headers)
    assert response.status_code == 403
    assert "instance" in error_message(response)


def test_unknown_api_version_gets_400(service: ServiceInfo) -> None:
    headers = {**service.headers(), "IBM-API-Version": "1999-01-01"}
    response = httpx.get(f"{service.url}/api/v1/backends", headers=headers)
    assert response.status_code == 400
    assert "IBM-API-Version" in error_message(response)


def test_backends_are_the_device_snapshots_under_real_names(service: ServiceInfo) -> None:
    headers = service.headers()
    devices = httpx.get(f"{service.url}/api/v1/backends", headers=headers).json()["devices"]
    by_name = {device["name"]: device for device in devices}
    assert {"ibm_brisbane", "ibm_fez", "ibm_torino"} <= set(by_name)
    brisbane = by_name["ibm_brisbane"]
    assert brisbane["qubits"] == 127
    assert brisbane["status"]["name"] == "online"
    assert brisbane["processor_type"]["family"] == "Eagle"
    assert 0 < brisbane["performance_metrics"]["two_q_error_median"]["value"] < 0.1
    configuration = httpx.get(f"{service.url}/api/v1/backends/ibm_brisbane/configuration", headers=headers).json()
    assert configuration["backend_name"] == "ibm_brisbane"
    assert "ecr" in configuration["basis_gates"]
    status = httpx.get(f"{service.url}/api/v1/backends/ibm_brisbane/status", headers=headers).json()
    assert status["state"] is True and "length_queue" in status
    missing = httpx.get(f"{service.url}/api/v1/backends/ibm_nowhere/status", headers=headers)
    assert missing.status_code == 404
    assert "ibm_nowhere" in error_message(missing)


def test_bell_job_end_to_end_gives_noisy_bell_counts(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    body = {
        "program_id": "sampler",
        "backend": "ibm_brisbane",
        "params": {"pubs": [[bell_isa_qasm, None, 4000]], "version": 2},
    }
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    job_id = created.json()["id"]
    assert created.json()["backend"] == "ibm_brisbane"

    job = wait_final(service, headers, job_id)
    assert job["state"]["status"] == "Completed", job
    results = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=headers).json()
    register = results["results"][0]["data"]["c"]
    assert register["num_bits"] == 2
    counts = Counter(register["samples"])
    assert sum(counts.values()) == 4000
    bell = counts["0x0"] + counts["0x3"]
    assert bell / 4000 > 0.9, counts  # mostly |00> and |11>
    assert 0.4 < counts["0x3"] / bell < 0.6, counts  # an even superposition
    assert counts["0x1"] + counts["0x2"] > 0, counts  # and the device's noise is there

    listed = httpx.get(f"{service.url}/api/v1/jobs", headers=headers, params={"limit": 200}).json()
    assert job_id in {item["id"] for item in listed["jobs"]}
    metrics = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/metrics", headers=headers).json()
    assert metrics["timestamps"]["finished"] >= metrics["timestamps"]["running"] >= metrics["timestamps"]["created"]


def test_non_isa_circuit_is_rejected_naming_instruction_and_qubits(service: ServiceInfo) -> None:
    from tui.circuits import BELL_QASM

    body = {"program_id": "sampler", "backend": "ibm_brisbane", "params": {"pubs": [[BELL_QASM]], "version": 2}}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body, timeout=60)
    assert response.status_code == 400
    message = error_message(response)
    assert "'h' on qubits [0]" in message and "ibm_brisbane" in message


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"{not json", "Invalid request"),
        (b'{"program_id": "sampler"}', "backend"),
        (b'{"program_id": "sampler", "backend": "ibm_brisbane", "params": {"pubs": "x"}}', "pubs"),
        (b'{"program_id": "sampler", "backend": "ibm_brisbane", "params": {"pubs": [["OPENQASM 3.0; qubit q; foo q;"]]}}', "does not parse"),
    ],
)
def test_malformed_job_requests_get_400_with_an_error_body(
    service: ServiceInfo, content: bytes, phrase: str
) -> None:
    headers = {**service.headers(), "Content-Type": "application/json"}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, content=content, timeout=60)
    assert response.status_code == 400
    assert phrase in error_message(response)


def test_oversized_body_gets_413(service: ServiceInfo) -> None:
    headers = {**service.headers(), "Content-Type": "application/json"}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, content=b" " * (17 * 1024 * 1024))
    assert response.status_code == 413
    assert "over" in error_message(response)


def test_unknown_job_is_404_and_final_job_cannot_be_cancelled(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    assert httpx.get(f"{service.url}/api/v1/jobs/nope", headers=headers).status_code == 404
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[bell_isa_qasm, None, 100]], "version": 2}}
    job_id = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60).json()["id"]
    wait_final(service, headers, job_id)
    cancel = httpx.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", headers=headers)
    assert cancel.status_code == 409
    assert httpx.delete(f"{service.url}/api/v1/jobs/{job_id}", headers=headers).status_code == 204
    assert httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=headers).status_code == 404


def test_seeded_runs_repeat_and_unseeded_runs_differ(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()

    def run(options: dict[str, Any]) -> list[str]:
        body = {"program_id": "sampler", "backend": "ibm_brisbane",
                "params": {"pubs": [[bell_isa_qasm, None, 500]], "version": 2, "options": options}}
        job_id = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60).json()["id"]
        assert wait_final(service, headers, job_id)["state"]["status"] == "Completed"
        result = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=headers).json()
        return result["results"][0]["data"]["c"]["samples"]

    seeded = {"simulator": {"seed_simulator": 1234}}
    assert run(seeded) == run(seeded)
    assert run({}) != run({})


def test_options_that_are_not_simulated_are_reported(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[bell_isa_qasm, None, 50]], "version": 2,
                       "options": {"dynamical_decoupling": {"enable": True}}}}
    job_id = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60).json()["id"]
    wait_final(service, headers, job_id)
    result = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=headers).json()
    assert [entry.split(":")[0] for entry in result["metadata"]["options_not_applied"]] == ["dynamical_decoupling"]
    assert "dynamical_decoupling" in httpx.get(f"{service.url}/api/v1/jobs/{job_id}/logs", headers=headers).text
