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


def test_zero_noise_extrapolation_at_level_2_brings_bell_zz_closer_to_1(
    runtime_service: Any, service: Any
) -> None:
    """Level 2 is ZNE (gate folding at 1, 3, 5 on the same noisy simulator, exponential
    then linear) with gate and measurement twirling and TREX, as IBM documents it."""
    import httpx
    import numpy as np
    from ibm_quantum_schemas.estimator import version_0_1 as estimator_models
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import EstimatorV2

    fez = runtime_service.backend("ibm_fez")
    circuit = QuantumCircuit(2)
    circuit.h(0)
    for _ in range(4):  # four CNOT pairs (an identity each) make the gate noise worth removing
        circuit.cx(0, 1)
        circuit.cx(0, 1)
    circuit.cx(0, 1)
    isa = generate_preset_pass_manager(optimization_level=0, backend=fez, seed_transpiler=3).run(circuit)
    zz = SparsePauliOp("ZZ").apply_layout(isa.layout)

    def estimate(level: int) -> Any:
        estimator = EstimatorV2(mode=fez)
        estimator.options.resilience_level = level
        estimator.options.default_precision = 0.01
        estimator.options.simulator.seed_simulator = 5
        job = estimator.run([(isa, [zz, zz])])
        return job, job.result(timeout=180)

    _, raw = estimate(0)
    _, trex = estimate(1)
    job, mitigated = estimate(2)
    unmitigated, extrapolated = float(raw[0].data.evs[0]), float(mitigated[0].data.evs[0])
    assert abs(1 - extrapolated) < abs(1 - unmitigated), (unmitigated, extrapolated)
    assert abs(1 - extrapolated) < abs(1 - float(trex[0].data.evs[0]))  # ZNE's own share
    data = mitigated[0].data
    assert data.evs_noise_factors.shape == (2, 3) and data.stds_noise_factors.shape == (2, 3)
    assert data.evs_extrapolated.shape == (2, 2, 4)  # 2 extrapolators at 0, 1, 3, 5
    factors_evs = data.evs_noise_factors[0]
    assert factors_evs[0] > factors_evs[1] > factors_evs[2]  # more folding, more noise
    zne = mitigated.metadata["resilience"]["zne"]
    assert zne["noise_factors"] == [1, 3, 5] and zne["extrapolator"] == ["exponential", "linear"]
    assert mitigated.metadata["resilience"]["zne_mitigation"] is True
    chosen = mitigated[0].metadata["resilience"]["zne"]["extrapolator"]
    assert len(chosen) == 2 and set(chosen) <= {"exponential", "linear"}
    # evs is the chosen extrapolator's value at noise factor 0
    assert np.isclose(data.evs[0], data.evs_extrapolated[0, ["exponential", "linear"].index(chosen[0]), 0])
    assert mitigated.metadata["options_applied"]["twirling"]  # gate twirling at level 2
    text = httpx.get(f"{service.url}/api/v1/jobs/{job.job_id()}/results", headers=service.headers()).text
    estimator_models.PrimitiveResultWrapperModel.model_validate_json(text)


def test_dynamic_circuit_backends_are_found(runtime_service: Any) -> None:
    """`backends(dynamic_circuits=True)` once left out every device, ibm_brisbane (if_else) too."""
    dynamic = {backend.name for backend in runtime_service.backends(dynamic_circuits=True)}
    assert {"ibm_brisbane", "ibm_fez"} <= dynamic
    assert "ibm_oslo" not in dynamic  # no if_else in its instructions


def test_fractional_gates_on_heron_run_and_keep_ibms_angle_rule(runtime_service: Any) -> None:
    """`use_fractional_gates=True` gives Heron devices `rx` and `rzz` (IBM serves them
    there; the snapshots' configurations predate them), and such circuits run on their
    calibrated noise; Eagle has none, and an `rzz` angle outside [0, pi/2] is refused."""
    import math

    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import IBMInputValueError

    fez = runtime_service.backend("ibm_fez", use_fractional_gates=True)
    assert {"rx", "rzz"} <= set(fez.target.operation_names)
    assert "rzz" not in runtime_service.backend("ibm_fez").target.operation_names  # IBM's default
    with pytest.raises(IBMInputValueError, match="does not support fractional gates"):
        runtime_service.backend("ibm_brisbane", use_fractional_gates=True)

    theta = 1.2  # <Z0 Z1> after rx(theta) on both, then rzz: P(00) + P(11) = (1 + cos^2 theta) / 2
    circuit = QuantumCircuit(2)
    circuit.rx(theta, [0, 1])
    circuit.rzz(0.7, 0, 1)
    circuit.measure_all()
    pair = sorted(fez.target["rzz"])[0]  # a pair on which the device offers rzz
    isa = generate_preset_pass_manager(
        optimization_level=1, backend=fez, seed_transpiler=5, initial_layout=list(pair)
    ).run(circuit)
    assert {"rx", "rzz"} <= set(isa.count_ops())
    shots = 4000
    result = SamplerV2(mode=fez).run([isa], shots=shots).result(timeout=120)
    counts = result[0].data.meas.get_counts()
    even = (counts.get("00", 0) + counts.get("11", 0)) / shots
    assert abs(even - (1 + math.cos(theta) ** 2) / 2) < 0.05, counts

    negative = isa.copy_empty_like()
    for instruction in isa.data:
        if instruction.operation.name == "rzz":
            negative.rzz(-0.7, *instruction.qubits)
        else:
            negative.append(instruction)
    with pytest.raises(Exception, match=r"range \[0, pi/2\]"):
        SamplerV2(mode=fez, options={"simulator": {"seed_simulator": 1}}).run([negative]).result(timeout=60)


def test_properties_before_the_snapshot_are_none(runtime_service: Any) -> None:
    """`properties(datetime=...)` once ignored the date and answered today's calibration;
    older than the one calibration there is, IBM's answer is none."""
    from datetime import datetime, timezone

    fez = runtime_service.backend("ibm_fez")
    assert fez.properties(datetime=datetime(2020, 1, 1, tzinfo=timezone.utc)) is None
    later = fez.properties(datetime=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert later is not None and later.backend_name == "ibm_fez"


def test_measure_all_on_a_device_wide_circuit_runs_exactly_block_by_block(runtime_service: Any) -> None:
    """An ISA circuit measured with `measure_all` measures all 127 qubits of ibm_brisbane.
    Non-Clifford, it was refused (no statevector of 127 qubits); Clifford, it ran on the
    stabilizer method with its noise twirled, in 33 s. Only two qubits interact, so it runs
    as independent blocks: exact, in a second, and the idle qubits read 0 but for readout."""
    import math
    import warnings

    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import SamplerV2

    brisbane = runtime_service.backend("ibm_brisbane")
    theta = 1.0
    circuit = QuantumCircuit(2)
    circuit.rx(theta, 0)
    circuit.cx(0, 1)
    isa = generate_preset_pass_manager(optimization_level=1, backend=brisbane, seed_transpiler=3).run(circuit)
    isa.measure_all()
    assert isa.num_clbits == 127
    layout = isa.layout.final_index_layout()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = SamplerV2(mode=brisbane).run([isa], shots=4000).result(timeout=120)
    bits = result[0].data.meas
    both = bits.slice_bits(layout[:2]).get_counts()
    expected_11 = math.sin(theta / 2) ** 2  # 0.23
    assert abs(both.get("11", 0) / 4000 - expected_11) < 0.05, both
    assert (both.get("01", 0) + both.get("10", 0)) / 4000 < 0.1
    idle_qubits = [q for q in range(127) if q not in layout[:2]][:20]
    idle = bits.slice_bits(idle_qubits).get_counts()
    # 20 idle qubits read all 0 but for each one's chance of reading 1 when prepared in 0.
    properties = brisbane.properties()

    def reads_one(qubit: int) -> float:
        named = {item.name: item.value for item in properties.qubits[qubit]}
        return float(named.get("prob_meas1_prep0", named["readout_error"]))

    all_zero = math.prod(1 - reads_one(q) for q in idle_qubits)
    assert abs(idle.get("0" * 20, 0) / 4000 - all_zero) < 0.04, (idle.get("0" * 20), all_zero)
    methods = result.metadata.get("simulator", {}).get("methods", [])
    assert "stabilizer" not in methods, result.metadata
