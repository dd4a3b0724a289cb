"""Estimator resilience level 1 as TREX (twirled readout error extinction).

TREX (twirled readout error extinction): with measurements
twirled, readout error acts on each measured qubit as a symmetric bit flip with some
probability e_q, which shrinks the expectation value of a Pauli over qubits S by
f_S = prod over S of (1 - 2 e_q). The e_q are learnt on the same noisy simulator from
twirled measurements of |0...0>, and each Pauli's expectation value is divided by its f_S.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qiskit.primitives import BackendEstimatorV2

from tui.server.options import (
    TwirlingPlan,
    calibration_shape,
    twirling_plan,
    wants_measure_mitigation,
)
from tui.server.twirling import TwirlingAerSimulator, noisy_simulator

if TYPE_CHECKING:
    from qiskit_aer.noise import NoiseModel

_SMALLEST_SHRINKAGE = 1e-3  # below this a readout is noise; dividing by it would only amplify

def readout_flip_rates(
    noise: NoiseModel, num_qubits: int, seed: int | None, options: dict[str, Any]
) -> list[float]:
    """Each qubit's symmetric readout flip probability, from twirled measurements of |0>."""
    from qiskit import QuantumCircuit

    randomizations, each = calibration_shape(options)
    plan = TwirlingPlan(gates=False, measure=True, num_randomizations=randomizations,
                        shots_per_randomization=each)
    calibration = QuantumCircuit(num_qubits, num_qubits)
    calibration.measure(range(num_qubits), range(num_qubits))
    simulator = TwirlingAerSimulator(plan, noise, seed)
    result = simulator.run(calibration, shots=randomizations * each, seed_simulator=seed).result()
    memory = [int(shot, 16) for shot in result.results[0].data.memory]
    return [sum((shot >> qubit) & 1 for shot in memory) / len(memory) for qubit in range(num_qubits)]


class TrexEstimator(BackendEstimatorV2):
    """qiskit's BackendEstimatorV2, with each Pauli's readout shrinkage divided out."""

    def __init__(self, *, flip_rates: list[float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flip_rates = flip_rates

    def _shrinkage(self, pauli_label: str) -> float:
        factor = 1.0
        for qubit, letter in enumerate(reversed(pauli_label)):
            if letter != "I":
                factor *= 1 - 2 * self.flip_rates[qubit]
        return factor

    def _calc_expval_map(self, counts: Any, metadata: Any) -> dict[Any, tuple[float, float]]:
        expvals = super()._calc_expval_map(counts, metadata)
        for key, (value, variance) in expvals.items():
            factor = self._shrinkage(key[1])
            if abs(factor) >= _SMALLEST_SHRINKAGE:
                expvals[key] = (value / factor, variance / factor**2)
        return expvals


def noisy_estimator(
    noise: NoiseModel,
    num_qubits: int,
    params: dict[str, Any],
    options: dict[str, Any],
    estimator_options: dict[str, Any],
    memory_mib: int | None = None,
) -> tuple[BackendEstimatorV2, dict[str, Any]]:
    """The estimator a job's options ask for, and what it applies (for the result metadata)."""
    seed = estimator_options.get("seed_simulator")
    plan = twirling_plan("estimator", params)
    applied: dict[str, Any] = {}
    if not wants_measure_mitigation(params, options):
        estimator = BackendEstimatorV2(
            backend=noisy_simulator(noise, plan, seed, memory_mib=memory_mib), options=estimator_options
        )
    else:
        plan = replace(plan, measure=True) if plan else TwirlingPlan(False, True, None, None)
        flip_rates = readout_flip_rates(noise, num_qubits, seed, options)
        applied["resilience"] = {
            "measure_mitigation": "TREX: twirled readout, divided by its calibrated shrinkage",
            "readout_flip_rates": [round(rate, 5) for rate in flip_rates],
        }
        estimator = TrexEstimator(
            flip_rates=flip_rates, backend=noisy_simulator(noise, plan, seed, memory_mib=memory_mib), options=estimator_options
        )
    if plan:
        applied["twirling"] = plan.describe()
    return estimator, applied
