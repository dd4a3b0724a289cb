"""Where the service once differed from IBM's documented behaviour (issue 13), each point
against the real service."""

from __future__ import annotations

import httpx

from tests.conftest import ServiceInfo
from tests.helpers.service import wait_final


def run_sampler(service: ServiceInfo, qasm: str, shots: int, **extra: object) -> dict[str, object]:
    headers = service.headers()
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[qasm, None, shots]], "version": 2, **extra.pop("params", {})}, **extra}  # type: ignore[dict-item]
    job_id = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body).json()["id"]
    assert wait_final(service, headers, job_id)["status"] == "Completed"
    return {"id": job_id, "headers": headers}


def test_auto_twirling_is_sized_by_ibms_rule(service: ServiceInfo, bell_isa_qasm: str) -> None:
    """Both "auto": max(64, ceil(shots/32)) shots per randomization, ceil(shots/that) of them
    (not 32 x ceil(shots/32), which gave 32 randomizations of one shot for 10 shots)."""
    twirled = {"options": {"twirling": {"enable_gates": True, "enable_measure": True}}}
    for shots, expected in [(10, (1, 64)), (1000, (16, 64)), (4096, (32, 128))]:
        job = run_sampler(service, bell_isa_qasm, shots, params=twirled)
        result = httpx.get(f"{service.url}/api/v1/jobs/{job['id']}/results", headers=job["headers"]).json()
        [per_pub] = result["metadata"]["options_applied"]["twirling"]["per_pub"]
        assert (per_pub["num_randomizations"], per_pub["shots_per_randomization"]) == expected, shots
        assert len(result["results"][0]["data"]["c"]["samples"]) == expected[0] * expected[1]


def test_a_private_jobs_results_can_be_read_once(service: ServiceInfo, bell_isa_qasm: str) -> None:
    job = run_sampler(service, bell_isa_qasm, 100, private=True)
    url = f"{service.url}/api/v1/jobs/{job['id']}/results"
    first = httpx.get(url, headers=job["headers"])
    assert first.status_code == 200 and first.json()["results"]
    second = httpx.get(url, headers=job["headers"])
    assert second.status_code == 404 and "read already" in second.json()["errors"][0]["message"]


def test_a_closed_sessions_elapsed_time_is_a_number(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    session = httpx.post(f"{service.url}/api/v1/sessions", headers=headers,
                         json={"backend": "ibm_brisbane", "mode": "batch"}).json()["id"]
    run_sampler(service, bell_isa_qasm, 100, session_id=session)
    assert httpx.delete(f"{service.url}/api/v1/sessions/{session}/close", headers=headers).status_code == 204
    closed = httpx.get(f"{service.url}/api/v1/sessions/{session}", headers=headers).json()
    assert closed["state"] == "closed"
    assert isinstance(closed["elapsed_time"], (int, float)) and closed["elapsed_time"] >= 0


def test_rzz_is_refused_outside_its_pairs_and_angles(service: ServiceInfo) -> None:
    """What the service itself refuses (the official client checks angles before sending,
    but a REST user does not): rzz where the device does not offer it, on Eagle or on an
    uncalibrated Heron pair, and angles outside IBM's [0, pi/2], bound values included."""
    headers = service.headers()
    fez = httpx.get(f"{service.url}/api/v1/backends/ibm_fez/configuration", headers=headers).json()
    (rzz,) = [gate for gate in fez["gates"] if gate["name"] == "rzz"]
    a, b = rzz["coupling_map"][0]
    cz_pairs = {tuple(pair) for gate in fez["gates"] if gate["name"] == "cz" for pair in gate["coupling_map"]}
    c, d = sorted(cz_pairs - {tuple(pair) for pair in rzz["coupling_map"]})[0]

    def submit(backend: str, qasm: str, values: object = None) -> httpx.Response:
        body = {"program_id": "sampler", "backend": backend,
                "params": {"pubs": [[qasm, values, 10]], "version": 2}}
        return httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body)

    def program(angle: str, q: tuple[int, int], inputs: str = "") -> str:
        return (f'OPENQASM 3.0; include "stdgates.inc"; {inputs}bit[2] c; '
                "gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; } "  # as qiskit's exporter writes it
                f"rzz({angle}) ${q[0]}, ${q[1]}; c[0] = measure ${q[0]}; c[1] = measure ${q[1]};")

    accepted = submit("ibm_fez", program("0.5", (a, b)))
    assert accepted.status_code == 200, accepted.text
    refusals = [
        (submit("ibm_fez", program("-0.5", (a, b))), "range [0, pi/2]"),
        (submit("ibm_fez", program("theta", (a, b), "input float theta; "), [[0.3], [2.0]]), "range [0, pi/2]"),
        (submit("ibm_fez", program("0.5", (c, d))), "not on a coupled pair"),
        (submit("ibm_brisbane", program("0.5", (0, 1))), "not supported by ibm_brisbane"),
    ]
    for response, phrase in refusals:
        assert response.status_code == 400 and phrase in response.json()["errors"][0]["message"], response.text
