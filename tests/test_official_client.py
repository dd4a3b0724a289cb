"""The official qiskit-ibm-runtime client, unmodified, against `qrt serve` (reference §6.1)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def brisbane(runtime_service: Any) -> Any:
    return runtime_service.backend("ibm_brisbane")


@pytest.fixture(scope="module")
def isa_bell(brisbane: Any) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager

    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return generate_preset_pass_manager(optimization_level=1, backend=brisbane, seed_transpiler=3).run(circuit)


def assert_bell(counts: dict[str, int], shots: int) -> None:
    assert sum(counts.values()) == shots
    assert (counts.get("00", 0) + counts.get("11", 0)) / shots > 0.85, counts


def test_backends_and_backend(runtime_service: Any, brisbane: Any) -> None:
    names = {backend.name for backend in runtime_service.backends()}
    assert {"ibm_brisbane", "ibm_fez"} <= names
    assert brisbane.num_qubits == 127
    assert "ecr" in brisbane.target.operation_names


def test_sampler_job_with_results(brisbane: Any, isa_bell: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    job = SamplerV2(mode=brisbane).run([isa_bell], shots=600)
    result = job.result(timeout=120)
    assert_bell(result[0].data.c.get_counts(), 600)
    assert job.status() == "DONE"
    # IBM's docs read the spans from the metadata (it raised KeyError here once).
    spans = result.metadata["execution"]["execution_spans"]
    assert len(spans) == 1 and spans.start <= spans.stop
    assert spans[0].size == 600 and spans[0].pub_idxs == [0]


def test_session_and_batch(runtime_service: Any, brisbane: Any, isa_bell: Any) -> None:
    from qiskit_ibm_runtime import Batch, SamplerV2, Session

    with Session(backend=brisbane, max_time=600) as session:
        job = SamplerV2(mode=session).run([isa_bell], shots=300)
        assert_bell(job.result(timeout=120)[0].data.c.get_counts(), 300)
        assert job.session_id == session.session_id
        status = session.status()
        assert status in {"In progress, accepting new jobs", "Pending"}, (status, session.details())
    details = session.details()
    assert details["mode"] == "dedicated" and details["backend_name"] == "ibm_brisbane", details

    with Batch(backend=brisbane) as batch:
        jobs = [SamplerV2(mode=batch).run([isa_bell], shots=200) for _ in range(2)]
        for job in jobs:
            assert_bell(job.result(timeout=120)[0].data.c.get_counts(), 200)
    assert batch.details()["mode"] == "batch", batch.details()


def test_jobs_job_cancel_and_delete(runtime_service: Any, brisbane: Any, isa_bell: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import RuntimeInvalidStateError

    job = SamplerV2(mode=brisbane).run([isa_bell], shots=100)
    job.result(timeout=120)
    assert job.job_id() in {listed.job_id() for listed in runtime_service.jobs(limit=50)}
    again = runtime_service.job(job.job_id())
    assert again.status() == "DONE"
    with pytest.raises(RuntimeInvalidStateError):
        again.cancel()
    runtime_service.delete_job(job.job_id())
    assert job.job_id() not in {listed.job_id() for listed in runtime_service.jobs(limit=50)}


def test_estimator_bell_expectations_are_near_ideal_less_noise(brisbane: Any) -> None:
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import EstimatorV2

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    isa = generate_preset_pass_manager(optimization_level=1, backend=brisbane, seed_transpiler=3).run(circuit)
    observables = [SparsePauliOp(label).apply_layout(isa.layout) for label in ("ZZ", "XX", "IZ")]
    estimator = EstimatorV2(mode=brisbane)
    estimator.options.default_precision = 0.01
    estimator.options.simulator.seed_simulator = 11
    result = estimator.run([(isa, observables)]).result(timeout=120)
    zz, xx, iz = result[0].data.evs
    assert 0.8 < zz < 1.02 and 0.8 < xx < 1.02, (zz, xx)  # ideal 1, less the device's gate noise
    assert abs(iz) < 0.1, iz  # ideal 0
    assert all(0 < std < 0.05 for std in result[0].data.stds)
    # the default resilience level 1 is TREX: readout error is mitigated, gate noise is not
    assert result.metadata["options_applied"]["resilience"]["measure_mitigation"].startswith("TREX")


def test_dynamic_circuit_backends_are_found(runtime_service: Any) -> None:
    """`backends(dynamic_circuits=True)` once left out every device, ibm_brisbane (if_else) too."""
    dynamic = {backend.name for backend in runtime_service.backends(dynamic_circuits=True)}
    assert {"ibm_brisbane", "ibm_fez"} <= dynamic
    assert "ibm_oslo" not in dynamic  # no if_else in its instructions


def test_properties_before_the_snapshot_are_none(runtime_service: Any) -> None:
    """`properties(datetime=...)` once ignored the date and answered today's calibration;
    older than the one calibration there is, IBM's answer is none."""
    from datetime import datetime, timezone

    fez = runtime_service.backend("ibm_fez")
    assert fez.properties(datetime=datetime(2020, 1, 1, tzinfo=timezone.utc)) is None
    later = fez.properties(datetime=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert later is not None and later.backend_name == "ibm_fez"
