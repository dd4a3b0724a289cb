"""`/transpile` answers as the transpiler service of the origin notebook did (reference §4)."""

from __future__ import annotations

import base64
import secrets
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo, start_service, stop_service
from tests.helpers.service import GHZ_QASM, api_key_headers, start_transpile, wait_final, wait_task
from tui.circuits import BELL_QASM


def transpile(service: ServiceInfo, circuits: str | list[str], **params: Any) -> dict[str, Any]:
    task_id = start_transpile(service, {"qasm_circuits": circuits}, **params)
    return wait_task(service, task_id)


def test_transpiled_bell_is_isa_and_runs_through_api_v1(service: ServiceInfo) -> None:
    task = transpile(service, BELL_QASM, backend="ibm_brisbane", optimization_level=3, use_ai=False)
    assert task["state"] == "SUCCESS", task
    (item,) = task["result"]
    assert item["success"] is True and item["qpy"]  # QPY beside the OpenQASM 3
    assert item["qasm"].startswith("OPENQASM 3.0;")
    initial, final = item["layout"]["initial"], item["layout"]["final"]
    assert sorted(initial) == list(range(127))  # every device qubit, a permutation
    assert len(final) == 2 and initial[:2] == final  # no routing swaps for a Bell pair
    assert all(f"${q}" in item["qasm"] for q in final)

    headers = service.headers()
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[item["qasm"], None, 200]], "version": 2}}
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    job = wait_final(service, headers, created.json()["id"])
    assert job["state"]["status"] == "Completed", job


def qpy_text(*circuits: Any) -> str:
    import io

    from qiskit import qpy

    buffer = io.BytesIO()
    qpy.dump(list(circuits), buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def test_circuits_sent_as_qpy_come_back_as_qpy_and_qasm(service: ServiceInfo) -> None:
    """What qiskit-ibm-transpiler 0.13 (the REST client) does: GET /version to pick the
    QPY version, POST all circuits as one base64 QPY file with `qasm_circuits` null, then
    read each result's `qpy` (`utils.deserialize_circuit_from_qpy_or_qasm`)."""
    import io

    from qiskit import qasm3, qpy

    version = httpx.get(f"{service.url}/version", headers=api_key_headers(service))
    assert version.status_code == 200 and version.json()["qiskit"].count(".") == 2
    bell, ghz = qasm3.loads(BELL_QASM), qasm3.loads(GHZ_QASM)
    body = {"qasm_circuits": None, "qpy_circuits": qpy_text(bell, ghz), "optimization_preferences": None}
    task = wait_task(service, start_transpile(service, body, backend="ibm_fez", optimization_level=1))
    assert task["state"] == "SUCCESS", task
    basis = {"cz", "rz", "sx", "x", "measure", "barrier", "id", "delay", "reset"}
    for item, source in zip(task["result"], (bell, ghz), strict=True):
        (isa,) = qpy.load(io.BytesIO(base64.b64decode(item["qpy"])))
        assert {op.operation.name for op in isa.data} <= basis
        assert isa.count_ops() == qasm3.loads(item["qasm"]).count_ops()
        assert len(item["layout"]["final"]) == source.num_qubits


@pytest.mark.parametrize(
    ("qpy_circuits", "phrase"),
    [
        ("not base64!", "not base64"),
        (base64.b64encode(b"PICKLE" + bytes(40)).decode(), "not QPY"),
        (base64.b64encode(b"QISKIT\x0c\x01\x00\x00" + (500).to_bytes(8, "big")).decode(), "500 circuits"),
    ],
)
def test_qpy_that_is_not_qpy_is_refused_before_anything_is_built(
    service: ServiceInfo, qpy_circuits: str, phrase: str
) -> None:
    response = httpx.post(f"{service.url}/transpile", headers=api_key_headers(service),
                          params={"backend": "ibm_brisbane"}, json={"qpy_circuits": qpy_circuits})
    assert response.status_code == 400, response.text
    assert phrase in response.json()["detail"] and "qpy_circuits" in response.json()["detail"]


def test_damaged_qpy_fails_its_task_with_a_plain_reason(service: ServiceInfo) -> None:
    from qiskit import qasm3

    whole = base64.b64decode(qpy_text(qasm3.loads(GHZ_QASM)))
    damaged = base64.b64encode(whole[:40] + bytes(len(whole) - 40)).decode()
    task = wait_task(service, start_transpile(service, {"qpy_circuits": damaged}, backend="ibm_brisbane"))
    assert task["state"] == "FAILURE"
    assert task["result"].startswith("qpy_circuits cannot be read as QPY"), task["result"]
    assert "Traceback" not in task["result"] and "Error:" not in task["result"]


def test_a_list_of_circuits_with_qiskit_options_is_reproducible(service: ServiceInfo) -> None:
    def run() -> list[str]:
        body = {
            "qasm_circuits": [BELL_QASM, GHZ_QASM],
            "qiskit_transpile_options": {"seed_transpiler": 11, "layout_method": "sabre"},
        }
        task = wait_task(service, start_transpile(service, body, backend="ibm_fez", optimization_level=1))
        assert task["state"] == "SUCCESS", task
        assert [len(item["layout"]["final"]) for item in task["result"]] == [2, 3]
        return [item["qasm"] for item in task["result"]]

    first = run()
    assert "cz" in first[1] and "cx" not in first[1]  # Heron's basis, not the input's gates
    assert run() == first


def test_coupling_map_without_a_backend(service: ServiceInfo) -> None:
    from qiskit import qasm3

    task_id = start_transpile(service, {"qasm_circuits": GHZ_QASM, "backend_coupling_map": [[0, 1], [1, 2]]})
    task = wait_task(service, task_id)
    assert task["state"] == "SUCCESS", task
    circuit = qasm3.loads(task["result"][0]["qasm"])
    pairs = {
        tuple(circuit.find_bit(q).index for q in instruction.qubits)
        for instruction in circuit.data
        if instruction.operation.num_qubits == 2
    }
    assert pairs and pairs <= {(0, 1), (1, 2)}, pairs
    assert set(circuit.count_ops()) <= {"cx", "rz", "sx", "x", "measure", "barrier"}


def test_invalid_qasm_fails_the_task_with_a_line_number(service: ServiceInfo) -> None:
    bad = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nfoo q[0];\n"
    task = transpile(service, [BELL_QASM, bad], backend="ibm_brisbane")
    assert task["state"] == "FAILURE", task
    assert "qasm_circuits[1]" in task["result"] and "line 4" in task["result"], task


def test_ai_requests_are_reported_as_not_applied(service: ServiceInfo) -> None:
    asked = transpile(service, BELL_QASM, backend="ibm_brisbane", ai="true", ai_layout_mode="KEEP")
    assert asked["state"] == "SUCCESS"
    assert asked["ai"]["requested"] == "true" and asked["ai"]["layout_mode"] == "keep"
    assert asked["ai"]["applied"] is False and "no AI" in asked["ai"]["reason"]
    deprecated = transpile(service, BELL_QASM, backend="ibm_brisbane", use_ai="True")
    assert deprecated["ai"]["requested"] == "true" and deprecated["ai"]["use_ai"] is True
    assert transpile(service, BELL_QASM, backend="ibm_brisbane")["ai"]["requested"] == "auto"


def test_access_token_from_the_legacy_login_is_accepted(service: ServiceInfo) -> None:
    login = httpx.post(f"{service.url}/api/users/loginWithToken", json={"apiToken": service.api_key})
    headers = {"Authorization": f"Bearer {login.json()['id']}"}
    task_id = start_transpile(service, {"qasm_circuits": BELL_QASM}, headers=headers, backend="ibm_brisbane")
    assert wait_task(service, task_id, headers=headers)["state"] == "SUCCESS"


@pytest.mark.parametrize(
    ("headers", "body", "params", "status", "phrase"),
    [
        ({}, {"qasm_circuits": BELL_QASM}, {"backend": "ibm_brisbane"}, 401, "Bearer"),
        ({"Authorization": "Bearer not-the-key"}, {"qasm_circuits": BELL_QASM}, {"backend": "ibm_brisbane"}, 401, "Bearer"),
        (None, {"qasm_circuits": BELL_QASM}, {"backend": "ibm_nowhere"}, 404, "ibm_nowhere"),
        (None, {"qasm": BELL_QASM}, {"backend": "ibm_brisbane"}, 400, "qasm_circuits"),
        (None, {"qasm_circuits": 7}, {"backend": "ibm_brisbane"}, 400, "qasm_circuits"),
        (None, {"qasm_circuits": []}, {"backend": "ibm_brisbane"}, 400, "qasm_circuits"),
        (None, {"qasm_circuits": BELL_QASM}, {"backend": "ibm_brisbane", "optimization_level": 0}, 400, "optimization_level"),
        (None, {"qasm_circuits": BELL_QASM}, {"backend": "ibm_brisbane", "ai": "maybe"}, 400, "ai must be"),
        (None, {"qasm_circuits": BELL_QASM}, {"backend": "ibm_brisbane", "ai_layout_mode": "x"}, 400, "ai_layout_mode"),
        (None, {"qasm_circuits": BELL_QASM}, {}, 400, "backend"),
        (None, {"qasm_circuits": BELL_QASM, "backend_coupling_map": [[0, 1]]}, {"backend": "ibm_brisbane"}, 400, "not both"),
        (None, {"qasm_circuits": BELL_QASM, "backend_coupling_map": [[0, 1, 2]]}, {}, 400, "backend_coupling_map"),
        (None, {"qasm_circuits": BELL_QASM, "qiskit_transpile_options": {"callback": "x"}}, {"backend": "ibm_brisbane"}, 400, "callback"),
        (None, {"qasm_circuits": BELL_QASM, "qpy_circuits": "AAAA"}, {"backend": "ibm_brisbane"}, 400, "qpy_circuits"),
        (None, {"qasm_circuits": BELL_QASM, "qiskit_transpile_options": {"basis_gates": ["cx"]}}, {"backend": "ibm_brisbane"}, 400, "basis_gates"),
        (None, {"qasm_circuits": BELL_QASM, "backend_coupling_map": [[0, 1]], "qiskit_transpile_options": {"basis_gates": "cx"}}, {}, 400, "basis_gates"),
        (None, {"qasm_circuits": BELL_QASM, "backend_coupling_map": [[0, 5000]]}, {}, 400, "backend_coupling_map"),
    ],
)
def test_bad_requests_get_4xx_with_a_detail(
    service: ServiceInfo,
    headers: dict[str, str] | None,
    body: dict[str, Any],
    params: dict[str, Any],
    status: int,
    phrase: str,
) -> None:
    response = httpx.post(
        f"{service.url}/transpile", headers=api_key_headers(service) if headers is None else headers,
        json=body, params=params,
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"detail"} and phrase in response.json()["detail"], response.text


def test_unknown_task_is_404(service: ServiceInfo) -> None:
    response = httpx.get(f"{service.url}/transpile/no-such-task", headers=api_key_headers(service))
    assert response.status_code == 404 and "no-such-task" in response.json()["detail"]


def test_tasks_left_unfinished_by_a_kill_9_finish_after_restart(tmp_path: Path) -> None:
    api_key = secrets.token_urlsafe(16)
    first = start_service(tmp_path, api_key)
    try:
        # The transpiler process takes seconds to spawn, so these are still queued at the kill.
        task_ids = [
            start_transpile(first, {"qasm_circuits": [BELL_QASM, GHZ_QASM]}, backend="ibm_brisbane")
            for _ in range(3)
        ]
        last = httpx.get(f"{first.url}/transpile/{task_ids[-1]}", headers=api_key_headers(first)).json()
        assert last["state"] in {"PENDING", "STARTED"}, last  # the kill interrupts real work
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        if first.process.poll() is None:
            stop_service(first)

    second = start_service(tmp_path, api_key)
    try:
        for task_id in task_ids:
            task = wait_task(second, task_id, timeout=300)
            assert task["state"] == "SUCCESS", task
            assert len(task["result"]) == 2
    finally:
        stop_service(second)


def test_unknown_basis_gate_fails_the_task_with_the_reason(service: ServiceInfo) -> None:
    body = {"qasm_circuits": BELL_QASM, "backend_coupling_map": [[0, 1]],
            "qiskit_transpile_options": {"basis_gates": ["cx", "nosuchgate"]}}
    task = wait_task(service, start_transpile(service, body))
    assert task["state"] == "FAILURE" and "nosuchgate" in task["result"], task

