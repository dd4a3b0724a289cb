"""The job engine under control: a running job stops when asked, a dead worker fails only
its own job, nothing outlives the service, and wide circuits are simulated honestly."""

from __future__ import annotations

import secrets
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo, drain_output, start_service, stop_service
from tests.helpers.service import SLOW_SHOTS, error_message, ghz_qasm, isa, submit, wait_final, worker_pid
from tests.processes import alive, cpu_seconds, descendants, wait_until


def status(service: ServiceInfo, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=headers).json())




# A GHZ on 12 qubits with a mid-circuit measurement: Aer's shots one by one, minutes for 200,000
# (two pubs of ibm_brisbane's max_shots, 100,000).


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[ServiceInfo]:
    info = start_service(tmp_path, secrets.token_urlsafe(16), "--workers", "1")
    drain_output(info)
    yield info
    stop_service(info)


def test_cancelling_a_running_job_stops_its_simulation_and_frees_its_backend(engine: ServiceInfo) -> None:
    headers = engine.headers()
    slow = submit(engine, headers, isa(ghz_qasm(12)), SLOW_SHOTS).json()["id"]
    pid = worker_pid(engine, headers, slow)
    assert status(engine, headers, slow)["status"] == "Running"
    nxt = submit(engine, headers, isa(ghz_qasm(2, False)), 1000).json()["id"]
    assert status(engine, headers, nxt)["status"] == "Queued"  # one job at a time per backend

    assert httpx.post(f"{engine.url}/api/v1/jobs/{slow}/cancel", headers=headers).status_code == 204
    cancelled = time.monotonic()
    assert wait_until(lambda: status(engine, headers, nxt)["status"] != "Queued", 5)
    assert time.monotonic() - cancelled < 1.0, "the next job did not start within 1 s"
    assert wait_until(lambda: not alive(pid), 1.0), "the cancelled job's simulator is still alive"
    job = status(engine, headers, slow)
    assert job["status"] == "Cancelled" and job["state"]["reason"]
    assert wait_final(engine, headers, nxt)["status"] == "Completed"

    # No simulator is left busy: once the replacement worker has warmed up (imports), the
    # service's processes burn next to no CPU over half a second.
    assert wait_until(lambda: quiet(engine.process.pid), 60), "a worker stays busy"


def quiet(pid: int) -> bool:
    tree = descendants(pid)
    before = {p: cpu_seconds(p) for p in tree}
    time.sleep(0.5)
    return all(cpu_seconds(p) - before[p] < 0.1 for p in tree if alive(p))


def test_cancelling_a_session_stops_its_running_job(engine: ServiceInfo) -> None:
    headers = engine.headers()
    session = httpx.post(f"{engine.url}/api/v1/sessions", headers=headers,
                         json={"backend": "ibm_brisbane", "mode": "batch"}).json()["id"]
    slow = submit(engine, headers, isa(ghz_qasm(12)), SLOW_SHOTS, session_id=session).json()["id"]
    pid = worker_pid(engine, headers, slow)
    assert httpx.delete(f"{engine.url}/api/v1/sessions/{session}/close", headers=headers).status_code == 204
    assert wait_until(lambda: not alive(pid), 1.0)
    assert status(engine, headers, slow)["status"] == "Cancelled"


def test_a_job_past_its_max_execution_time_is_stopped_with_ibms_reason(engine: ServiceInfo) -> None:
    headers = engine.headers()
    slow = submit(engine, headers, isa(ghz_qasm(12)), SLOW_SHOTS, cost=1).json()["id"]
    pid = worker_pid(engine, headers, slow)
    job = wait_final(engine, headers, slow, timeout=30)
    assert job["state"]["status"] == "Cancelled" and job["state"]["reason_code"] == 1305, job
    assert "maximum execution time" in job["state"]["reason"]
    assert not alive(pid)
    assert wait_final(engine, headers, submit(engine, headers, isa(ghz_qasm(2, False)), 100).json()["id"])[
        "status"] == "Completed"


def test_a_worker_killed_mid_job_fails_only_that_job(tmp_path: Path) -> None:
    info = start_service(tmp_path, secrets.token_urlsafe(16), "--workers", "2")
    drain_output(info)
    try:
        headers = info.headers()
        victim = submit(info, headers, isa(ghz_qasm(12)), SLOW_SHOTS).json()["id"]
        other = submit(info, headers, isa(ghz_qasm(12), "ibm_kyiv"), SLOW_SHOTS, backend="ibm_kyiv").json()["id"]
        victim_pid = worker_pid(info, headers, victim)
        other_pid = worker_pid(info, headers, other)
        assert victim_pid != other_pid
        subprocess.run(["kill", "-9", str(victim_pid)], check=True)
        job = wait_final(info, headers, victim, timeout=30)
        assert job["state"]["status"] == "Failed"
        assert job["state"]["reason"] == "the simulator process was killed (SIGKILL)", job
        assert status(info, headers, other)["status"] == "Running" and alive(other_pid)
        after = submit(info, headers, isa(ghz_qasm(2, False)), 1000).json()["id"]
        assert wait_final(info, headers, after)["status"] == "Completed"
        httpx.post(f"{info.url}/api/v1/jobs/{other}/cancel", headers=headers)
    finally:
        stop_service(info)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_nothing_outlives_the_service_however_it_is_stopped(tmp_path: Path, how: signal.Signals) -> None:
    info = start_service(tmp_path, secrets.token_urlsafe(16), "--workers", "1")
    drain_output(info)
    headers = info.headers()
    slow = submit(info, headers, isa(ghz_qasm(12)), SLOW_SHOTS).json()["id"]
    worker_pid(info, headers, slow)
    tree = descendants(info.process.pid)
    assert len(tree) >= 2  # the busy worker and its warm spare
    info.process.send_signal(how)
    info.process.wait(timeout=5)
    assert wait_until(lambda: not any(alive(pid) for pid in tree), 2.0), [p for p in tree if alive(p)]


def test_a_wide_clifford_circuit_runs_on_the_stabilizer_method_and_says_so(service: ServiceInfo) -> None:
    headers = service.headers()
    job = submit(service, headers, isa(ghz_qasm(40)), 400, options={"simulator": {"seed_simulator": 3}})
    assert job.status_code == 200, job.text
    job_id = job.json()["id"]
    assert wait_final(service, headers, job_id, timeout=120)["status"] == "Completed"
    result = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=headers).json()
    samples = result["results"][0]["data"]["c"]["samples"]
    weights = [bin(int(sample, 16)).count("1") for sample in samples]
    # A GHZ state: each shot reads (nearly) all zeros or all ones, about half each. Noise
    # flips a few bits of some shots (brisbane reads a few of these qubits poorly).
    near_zeros = sum(weight <= 6 for weight in weights)
    near_ones = sum(weight >= 34 for weight in weights)
    assert near_zeros + near_ones > 0.7 * 400, Counter(weights).most_common(8)
    assert 0.25 * 400 < near_zeros < 0.75 * 400, (near_zeros, near_ones)
    assert len(set(samples)) > 2  # noisy, not ideal
    simulator = result["metadata"]["simulator"]
    assert simulator["methods"] == ["stabilizer"]
    assert any("Pauli twirl" in note for note in simulator["approximations"]), simulator


def test_a_wide_non_clifford_circuit_is_refused_naming_the_limit(service: ServiceInfo) -> None:
    source = ghz_qasm(40).replace("h q[0];", "h q[0]; ry(0.3) q[1];")
    response = submit(service, service.headers(), isa(source), 100)
    assert response.status_code == 400
    message = error_message(response)
    assert "40 qubits" in message and "not a Clifford circuit" in message and "at most 27 qubits" in message


def test_a_narrow_job_names_its_exact_method(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    job_id = submit(service, headers, bell_isa_qasm + "\n", 100).json()["id"]
    wait_final(service, headers, job_id)
    result = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=headers).json()
    simulator = result["metadata"]["simulator"]
    assert simulator["methods"] and set(simulator["methods"]) <= {"density_matrix", "statevector"}
    assert simulator["approximations"] == []


def test_a_job_over_the_memory_cap_fails_cleanly(tmp_path: Path) -> None:
    info = start_service(tmp_path, secrets.token_urlsafe(16), "--workers", "1", "--worker-memory", "64")
    drain_output(info)
    try:
        headers = info.headers()
        # 21 qubits pass the method check (a statevector of 32 MiB within 64 MiB) but their
        # 100,000 shots' memory does not fit.
        job_id = submit(info, headers, isa(ghz_qasm(21)), 100_000).json()["id"]
        job = wait_final(info, headers, job_id, timeout=120)
        assert job["state"]["status"] == "Failed"
        assert "64 MiB" in job["state"]["reason"], job
        after = submit(info, headers, isa(ghz_qasm(2, False)), 100).json()["id"]
        assert wait_final(info, headers, after)["status"] == "Completed"
    finally:
        stop_service(info)


def test_the_pauli_twirled_noise_of_the_stabilizer_method_matches_the_exact_noise() -> None:
    """What the stabilizer method approximates, measured where both methods run: a noisy
    8-qubit GHZ with a mid-circuit measurement, statevector with the device noise against
    stabilizer with its Pauli twirl. Total variation distance within shot noise."""
    from qiskit import qasm3
    from qiskit_aer import AerSimulator

    from tui.server.backends import Catalogue
    from tui.server.job_worker import compact, cut_device, touched_qubits
    from tui.server.noise import pauli_approximation
    from tui.server.pubs import physical_qubits

    device = Catalogue().get("ibm_brisbane")
    assert device is not None
    circuit = qasm3.loads(isa(ghz_qasm(8)))
    physical = physical_qubits(circuit)
    cut = cut_device(device, touched_qubits(circuit, physical))
    compacted = compact(circuit, physical, cut.index)
    shots = 20_000
    exact = AerSimulator(method="statevector", noise_model=cut.noise).run(
        compacted, shots=shots, seed_simulator=11).result().get_counts()
    twirled = AerSimulator(method="stabilizer", noise_model=pauli_approximation(cut.noise)).run(
        compacted, shots=shots, seed_simulator=12).result().get_counts()
    distance = sum(abs(exact.get(k, 0) - twirled.get(k, 0)) for k in set(exact) | set(twirled)) / (2 * shots)
    assert distance < 0.04, distance
    assert max(exact, key=exact.__getitem__) in {"1 11111111", "0 00000000"}
