"""Shots drawn from the exact outcome distribution: the same statistics as Aer's, right bits.

`tui.server.exact_sampling.DeviceSimulator` replaces Aer's per-shot simulation for small
circuits with final measurements. Its counts must match Aer's own on a noisy circuit with
asymmetric per-qubit readout errors (and the comparison must be sharp enough to catch a
skipped readout error or a reversed bit order), outcomes must land in the right clbits,
everything else must still run through Aer unchanged, and seeds must repeat. Over HTTP,
the job's metadata says which way each pub ran.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.service import wait_final

SHOTS = 200_000
# Counts of 8 outcomes from 200k shots each differ by about 0.004 in total variation
# distance; the mistakes checked for below move it by 0.03 or more.
SAME = 0.01
DIFFERENT = 0.03


def _noise(measure_error: bool = False) -> Any:
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error

    noise = NoiseModel()
    noise.add_all_qubit_quantum_error(depolarizing_error(0.04, 1), ["x", "h", "ry", "sx"])
    noise.add_all_qubit_quantum_error(depolarizing_error(0.08, 2), ["cx"])
    for qubit, (p01, p10) in enumerate([(0.02, 0.15), (0.12, 0.03), (0.06, 0.25)]):
        noise.add_readout_error(ReadoutError([[1 - p01, p01], [p10, 1 - p10]]), [qubit])
    if measure_error:
        noise.add_quantum_error(depolarizing_error(0.1, 1), "measure", [0])
    return noise


def _lopsided_circuit() -> Any:
    """Three qubits measured into scrambled clbits, with unequal marginals on every bit."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(3, 3)
    circuit.ry(0.7, 0)
    circuit.cx(0, 1)
    circuit.ry(2.1, 2)
    circuit.x(1)
    circuit.barrier()
    circuit.measure([0, 1, 2], [2, 0, 1])
    return circuit


def _distribution(counts: dict[str, int], num_bits: int) -> Any:
    import numpy as np

    distribution = np.zeros(2**num_bits)
    for outcome, count in counts.items():
        distribution[int(outcome, 16) if outcome.startswith("0x") else int(outcome, 2)] += count
    return distribution / distribution.sum()


def _tvd(p: Any, q: Any) -> float:
    return float(abs(p - q).sum() / 2)


def test_exact_counts_match_aers_own_and_would_catch_the_likely_mistakes() -> None:
    import numpy as np
    from qiskit_aer import AerSimulator

    from tui.server.exact_sampling import (
        EXACT,
        DeviceSimulator,
        clbit_values,
        final_measurements,
        readout_matrices,
        with_readout_errors,
    )

    noise, circuit = _noise(), _lopsided_circuit()
    aer = AerSimulator(noise_model=noise).run(circuit, shots=SHOTS, seed_simulator=5).result()
    exact = DeviceSimulator(noise).run(circuit, shots=SHOTS, seed_simulator=6).result()
    assert exact.results[0].metadata["simulation"] == EXACT
    aer_counts = _distribution(aer.get_counts(), 3)
    assert _tvd(_distribution(exact.get_counts(), 3), aer_counts) < SAME

    # The same comparison against what the likely mistakes would give.
    plan = final_measurements(circuit)
    assert plan is not None
    unread = DeviceSimulator(noise).measured_probabilities([plan])[0]
    matrices = readout_matrices(noise, plan.qubits)
    ideal = with_readout_errors(unread, matrices)

    def by_clbits(over_qubits: Any, clbits: tuple[int, ...]) -> Any:
        mapped = np.zeros(8)
        mapped[clbit_values(clbits)] = over_qubits
        return mapped

    assert _tvd(by_clbits(ideal, plan.clbits), aer_counts) < SAME
    assert _tvd(by_clbits(unread, plan.clbits), aer_counts) > DIFFERENT  # readout skipped
    assert _tvd(by_clbits(with_readout_errors(unread, matrices[::-1]), plan.clbits), aer_counts) > DIFFERENT
    assert _tvd(by_clbits(ideal, plan.clbits[::-1]), aer_counts) > DIFFERENT  # clbits reversed
    assert _tvd(by_clbits(ideal, (0, 1, 2)), aer_counts) > DIFFERENT  # measure map ignored


def test_outcomes_land_in_permuted_scattered_clbits_of_several_registers() -> None:
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit import Clbit
    from qiskit_aer.noise import NoiseModel

    from tui.server.exact_sampling import EXACT, DeviceSimulator
    from tui.server.sampling import run_sampler_pubs

    clbits = [Clbit() for _ in range(7)]
    circuit = QuantumCircuit(5)
    circuit.add_bits(clbits)
    circuit.add_register(ClassicalRegister(bits=[clbits[6], clbits[1], clbits[4]], name="first"))
    circuit.add_register(ClassicalRegister(bits=[clbits[0], clbits[5]], name="second"))
    circuit.add_register(ClassicalRegister(bits=[clbits[2], clbits[3]], name="third"))
    circuit.x([0, 3, 4])
    circuit.measure([0, 1, 2, 3, 4], [clbits[4], clbits[0], clbits[6], clbits[5], clbits[3]])
    (pub,) = run_sampler_pubs(DeviceSimulator(NoiseModel()), [(circuit, None, 50)], 50, 3)
    assert pub.simulation == EXACT
    # Set: clbit 4 (qubit 0), clbit 5 (qubit 3), clbit 3 (qubit 4); clbit 2 is never measured.
    assert pub.nested("first") == ["0x4"] * 50  # (clbit 6, 1, 4) = 0b100
    assert pub.nested("second") == ["0x2"] * 50  # (clbit 0, 5) = 0b10
    assert pub.nested("third") == ["0x2"] * 50  # (clbit 2, 3) = 0b10


def test_a_circuit_measuring_nothing_reads_zeros_without_simulating_shots() -> None:
    from qiskit import QuantumCircuit

    from tui.server.exact_sampling import EXACT, DeviceSimulator

    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.x(1)
    result = DeviceSimulator(_noise()).run(circuit, shots=64, memory=True, seed_simulator=1).result()
    assert result.results[0].metadata["simulation"] == EXACT
    assert result.get_memory() == ["00"] * 64


def _fallback_circuits() -> dict[str, Any]:
    from qiskit import QuantumCircuit

    mid = QuantumCircuit(2, 2)
    mid.h(0)
    mid.measure(0, 0)
    mid.cx(0, 1)
    mid.measure(1, 1)
    reset = QuantumCircuit(2, 2)
    reset.x(0)
    reset.reset(0)
    reset.h(1)
    reset.measure([0, 1], [0, 1])
    twice = QuantumCircuit(1, 2)
    twice.h(0)
    twice.measure(0, 0)
    twice.measure(0, 1)
    return {"mid-circuit measurement": mid, "reset": reset, "measured twice": twice}


@pytest.mark.parametrize("name", list(_fallback_circuits()))
def test_circuits_it_cannot_do_exactly_run_through_aer_unchanged(name: str) -> None:
    from qiskit_aer import AerSimulator

    from tui.server.exact_sampling import AER_SHOTS, DeviceSimulator, simulation_of

    circuit, noise = _fallback_circuits()[name], _noise()
    ours = DeviceSimulator(noise).run(circuit, shots=300, memory=True, seed_simulator=9).result()
    aer = AerSimulator(noise_model=noise).run(circuit, shots=300, memory=True, seed_simulator=9).result()
    assert simulation_of(ours.results) == AER_SHOTS
    assert ours.get_memory() == aer.get_memory()  # Aer's own shots, seed for seed


def test_noise_on_measurements_or_too_few_shots_keep_aers_shots() -> None:
    from tui.server.exact_sampling import AER_SHOTS, EXACT, DeviceSimulator, simulation_of

    circuit = _lopsided_circuit()
    measured_noisily = DeviceSimulator(_noise(measure_error=True)).run(circuit, shots=100).result()
    assert simulation_of(measured_noisily.results) == AER_SHOTS
    assert simulation_of(DeviceSimulator(_noise()).run(circuit, shots=4).result().results) == AER_SHOTS
    assert simulation_of(DeviceSimulator(_noise()).run(circuit, shots=8).result().results) == EXACT
    assert simulation_of(DeviceSimulator(_noise(), exact=False).run(circuit, shots=100).result().results) == AER_SHOTS


def test_gates_after_a_measurement_only_disqualify_if_they_reach_unmeasured_qubits() -> None:
    from qiskit import QuantumCircuit

    from tui.server.exact_sampling import final_measurements

    dead = QuantumCircuit(2, 2)
    dead.h(0)
    dead.measure(0, 0)
    dead.x(0)  # what a twirled measurement ends with
    dead.measure(1, 1)
    plan = final_measurements(dead)
    assert plan is not None and plan.qubits == (0, 1) and plan.clbits == (0, 1)
    assert [item.operation.name for item in plan.unitary_part.data] == ["h"]
    reaching = QuantumCircuit(2, 2)
    reaching.measure(0, 0)
    reaching.cx(0, 1)
    reaching.measure(1, 1)
    assert final_measurements(reaching) is None


def test_measurement_twirled_copies_are_sampled_exactly_too() -> None:
    from tui.server.exact_sampling import EXACT
    from tui.server.options import TwirlingPlan
    from tui.server.twirling import noisy_simulator

    plan = TwirlingPlan(gates=True, measure=True, num_randomizations=8, shots_per_randomization=100)
    simulator = noisy_simulator(_noise(), plan, seed=4, exact=True)
    result = simulator.run(_lopsided_circuit(), shots=800, seed_simulator=4).result()
    assert result.results[0].metadata["simulation"] == EXACT
    assert len(result.results[0].data.memory) == 800


def test_a_seed_repeats_its_shots_and_another_seed_does_not() -> None:
    from tui.server.exact_sampling import DeviceSimulator

    simulator = DeviceSimulator(_noise())
    circuit = _lopsided_circuit()

    def memory(seed: int) -> list[str]:
        return simulator.run([circuit, circuit], shots=500, memory=True, seed_simulator=seed).result().get_memory(1)

    assert memory(21) == memory(21)
    assert memory(21) != memory(22)
    assert memory(-1) == memory(2**64 - 1)  # a negative seed wraps around, as in Aer


RESET_QASM = """OPENQASM 3.0;
include "stdgates.inc";
bit[2] c;
x $0;
reset $0;
x $1;
c[0] = measure $0;
c[1] = measure $1;
"""
FINAL_QASM = """OPENQASM 3.0;
include "stdgates.inc";
bit[2] c;
x $1;
c[0] = measure $0;
c[1] = measure $1;
"""


def test_job_metadata_says_how_each_pub_was_simulated(service: ServiceInfo) -> None:
    headers = service.headers()
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[FINAL_QASM, None, 400], [RESET_QASM, None, 400]], "version": 2}}
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    job = wait_final(service, headers, created.json()["id"])
    assert job["state"]["status"] == "Completed", job
    result = httpx.get(f"{service.url}/api/v1/jobs/{job['id']}/results", headers=headers).json()
    assert result["metadata"]["simulator"]["simulation"] == ["exact distribution, sampled", "aer shots"]
    for pub in result["results"]:  # both read 0b10 but for the device's readout errors
        samples = pub["data"]["c"]["samples"]
        assert Counter(samples)["0x2"] / len(samples) > 0.85
