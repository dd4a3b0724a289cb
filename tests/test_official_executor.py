"""The official client's executor-based primitives and Executor, unmodified, against `qrt serve`.

`executor_sampler.Sampler`, `executor_estimator.Estimator` and `Executor` all submit
`program_id: "executor"` with a QuantumProgram (IBM's directed execution model); the
service runs it on the device's noise and answers in IBM's executor result model, which
the client decodes into the same PrimitiveResults as the classic primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="module")
def fez(runtime_service: Any) -> Any:
    return runtime_service.backend("ibm_fez")


def isa(circuit: Any, backend: Any) -> Any:
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(optimization_level=1, backend=backend, seed_transpiler=3).run(circuit)


@pytest.fixture(scope="module")
def bell(fez: Any) -> Any:
    return isa_bell_on(fez)


def assert_bell(counts: dict[str, int], shots: int) -> None:
    assert sum(counts.values()) == shots
    correlated = counts.get("00", 0) + counts.get("11", 0)
    assert 0.85 < correlated / shots < 1, counts  # mostly 00/11, and noisy: not all of them


def test_executor_sampler_bell(fez: Any, bell: Any) -> None:
    from qiskit_ibm_runtime.executor_sampler import Sampler

    job = Sampler(mode=fez).run([bell], shots=2000)
    assert job.primitive_id == "executor"
    result = job.result(timeout=120)
    assert_bell(result[0].data.meas.get_counts(), 2000)
    assert job.status() == "DONE"


def test_executor_sampler_parameter_sweep_and_twirling(fez: Any) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit_ibm_runtime.executor_sampler import Sampler

    theta = Parameter("theta")
    circuit = QuantumCircuit(1)
    circuit.rx(theta, 0)
    circuit.measure_all()
    sweep = np.array([[0.0], [np.pi], [np.pi / 2]])
    result = Sampler(mode=fez).run([(isa(circuit, fez), sweep)], shots=1000).result(timeout=120)
    counts = [result[0].data.meas[i].get_counts() for i in range(3)]
    assert counts[0].get("0", 0) > 900 and counts[1].get("1", 0) > 900
    assert 350 < counts[2].get("1", 0) < 650

    sampler = Sampler(mode=fez)
    sampler.options.twirling.enable_gates = True
    sampler.options.twirling.enable_measure = True
    twirled = sampler.run([isa_bell_on(fez)], shots=1000).result(timeout=120)
    # IBM's "auto" rule: 1000 shots are 16 randomizations of 64 (1024 shots).
    assert_bell(twirled[0].data.meas.get_counts(), 1024)
    assert twirled[0].metadata["num_randomizations"] == 16


def isa_bell_on(backend: Any) -> Any:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return isa(circuit, backend)


def test_executor_estimator_bell(fez: Any) -> None:
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime.executor_estimator import Estimator

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit = isa(circuit, fez)
    observables = [SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "ZI", "XX")]
    estimator = Estimator(mode=fez)
    estimator.options.resilience_level = 0
    result = estimator.run([(circuit, observables)]).result(timeout=300)
    zz, zi, xx = result[0].data.evs
    assert 0.8 < zz < 0.99 and 0.8 < xx < 1.0  # near 1, less the device's noise
    assert abs(zi) < 0.1
    assert all(0 < std < 0.05 for std in result[0].data.stds)


def bell_program(backend: Any, shots: int = 500) -> Any:
    """A QuantumProgram of a parametric circuit item (a 3-point sweep of rx on one qubit)
    and a samplex item (a gate- and measure-twirled Bell pair, 8 randomizations)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit_ibm_runtime import QuantumProgram
    from samplomatic import build
    from samplomatic.transpiler import generate_boxing_pass_manager

    theta = Parameter("theta")
    rotation = QuantumCircuit(1)
    rotation.rx(theta, 0)
    rotation.measure_all()
    boxed = generate_boxing_pass_manager(enable_gates=True, enable_measures=True).run(isa_bell_on(backend))
    template, samplex = build(boxed)
    program = QuantumProgram(shots=shots)
    program.append_circuit_item(isa(rotation, backend), circuit_arguments=np.array([[0.0], [np.pi], [np.pi / 2]]))
    program.append_samplex_item(template, samplex, shape=(8,))
    return program


def check_bell_program(result: Any, shots: int = 500) -> None:
    sweep, twirled = result[0], result[1]
    assert sweep["meas"].shape == (3, shots, 1) and sweep["meas"].dtype == bool
    ones = sweep["meas"][..., 0].mean(axis=1)
    assert ones[0] < 0.1 and ones[1] > 0.9 and 0.35 < ones[2] < 0.65
    bits = twirled["meas"] ^ twirled["measurement_flips.meas"]  # the client undoes the twirl
    assert bits.shape == (8, shots, 2)
    agree = (bits[..., 0] == bits[..., 1]).mean()
    assert 0.85 < agree < 1
    # Without undoing the measurement twirl the bits are scrambled: the flips are real.
    assert (twirled["measurement_flips.meas"].any())


def test_executor_program_alone_in_a_session_and_in_a_batch(runtime_service: Any, fez: Any) -> None:
    from qiskit_ibm_runtime import Batch, Executor, Session

    job = Executor(mode=fez).run(bell_program(fez))
    check_bell_program(job.result(timeout=120))
    with Session(backend=fez) as session:
        in_session = Executor(mode=session).run(bell_program(fez))
        check_bell_program(in_session.result(timeout=120))
        assert in_session.session_id == session.session_id
    with Batch(backend=fez) as batch:
        jobs = [Executor(mode=batch).run(bell_program(fez, shots=100)) for _ in range(2)]
        for batch_job in jobs:
            check_bell_program(batch_job.result(timeout=120), shots=100)
            assert batch_job.session_id == batch.session_id
    listed = {listed_job.job_id() for listed_job in runtime_service.jobs(program_id="executor", limit=20)}
    assert {job.job_id(), in_session.job_id(), *(j.job_id() for j in jobs)} <= listed


def test_executor_job_cancelled(runtime_service: Any, fez: Any, service: Any) -> None:
    import httpx
    from qiskit_ibm_runtime import Executor

    job = Executor(mode=fez).run(bell_program(fez, shots=100_000))
    job.cancel()
    job.wait_for_final_state(timeout=30)
    assert job.status() == "CANCELLED"
    body = httpx.get(f"{service.url}/api/v1/jobs/{job.job_id()}", headers=service.headers()).json()
    assert body["program"]["id"] == "executor" and body["state"]["status"] == "Cancelled"


def test_dry_run_on_a_mock_backend(runtime_service: Any, fez: Any, bell: Any) -> None:
    from qiskit_ibm_runtime import Executor
    from qiskit_ibm_runtime.executor_sampler import Sampler

    job = Executor(mode=fez).run(bell_program(fez), dry_run=True)
    assert job.backend().name == "mock_fez"
    result = job.result(timeout=120)
    assert result[0]["meas"].shape == (3, 500, 1) and result[1]["meas"].shape == (8, 500, 2)
    sampled = Sampler(mode=fez).run([bell], shots=300, dry_run=True).result(timeout=120)
    counts = sampled[0].data.meas.get_counts()
    assert sum(counts.values()) == 300 and len(counts) == 4  # random bits, not a Bell pair
