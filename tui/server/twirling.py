"""Pauli twirling as IBM's primitives apply it: around 2-qubit gates, and around measurements.

A twirled pub runs as `num_randomizations` randomized copies of each of its circuits, each
for `shots_per_randomization` shots, and the copies' shots are pooled. Gate twirls come
from qiskit's `pauli_twirl_2q_gates`; the inserted Paulis are then merged into the
device's own single-qubit gates, so they carry that device's noise as they would on the
hardware. A twirled measurement is an X before and after the measure, with the recorded
bit flipped back, which turns any readout error into a symmetric one.

The twirling lives in a simulator (`TwirlingAerSimulator`), so that the Sampler's runs
(`tui.server.sampling`) and qiskit's own `BackendEstimatorV2` keep doing the bookkeeping
of pubs, shapes and observables on top of it. It is a `DeviceSimulator`, so with `exact`
each twirled copy's shots come from that copy's exact distribution where they can.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from tui.server.exact_sampling import DeviceSimulator, DoneJob, simulation_of
from tui.server.options import TwirlingPlan

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.result import Result
    from qiskit_aer.noise import NoiseModel

ONE_QUBIT_GATES = frozenset({"rz", "sx", "x", "u1", "u2", "u3"})


def noisy_simulator(
    noise: NoiseModel,
    plan: TwirlingPlan | None,
    seed: int | None,
    exact: bool = False,
    memory_mib: int | None = None,
) -> DeviceSimulator:
    """The device's noisy simulator, twirling as `plan` says if there is a plan.

    `exact` samples eligible circuits from their exact distribution (the Sampler's runs);
    without it every shot is Aer's (the Estimator's runs, unchanged).
    """
    if plan is None:
        return DeviceSimulator(noise, exact, memory_mib)
    return TwirlingAerSimulator(plan, noise, seed, exact, memory_mib)


class TwirlingAerSimulator(DeviceSimulator):
    """A DeviceSimulator that runs every circuit as pooled twirled copies of itself."""

    def __init__(
        self,
        plan: TwirlingPlan,
        noise_model: NoiseModel,
        seed: int | None = None,
        exact: bool = False,
        memory_mib: int | None = None,
    ) -> None:
        super().__init__(noise_model, exact, memory_mib)
        self.plan = plan
        self._twirl_seed = seed
        self._one_qubit_basis = sorted(ONE_QUBIT_GATES & set(noise_model.basis_gates))

    def run(self, circuits: Any, shots: int = 1024, **options: Any) -> DoneJob:
        import numpy as np
        from qiskit import QuantumCircuit

        if isinstance(circuits, QuantumCircuit):
            circuits = [circuits]
        randomizations, each = self.plan.split(int(shots))
        rng = np.random.default_rng(self._twirl_seed)
        copies: list[QuantumCircuit] = []
        flip_masks: list[list[int]] = []
        for circuit in circuits:
            variants, masks = self._twirled_copies(circuit, randomizations, rng)
            copies.extend(variants)
            flip_masks.append(masks)
        options["memory"] = True
        raw = super().run(copies, shots=each, **options).result()
        return DoneJob(_pooled(raw, flip_masks))

    def _twirled_copies(
        self, circuit: QuantumCircuit, randomizations: int, rng: Any
    ) -> tuple[list[QuantumCircuit], list[int]]:
        from qiskit.circuit import pauli_twirl_2q_gates
        from qiskit.transpiler import PassManager
        from qiskit.transpiler.passes import Optimize1qGatesDecomposition

        if self.plan.gates:
            seed = int(rng.integers(2**63))
            variants = pauli_twirl_2q_gates(circuit, seed=seed, num_twirls=randomizations)
            merge = PassManager([Optimize1qGatesDecomposition(basis=self._one_qubit_basis)])
            variants = [merge.run(variant) for variant in variants]
        else:
            variants = [circuit] * randomizations
        if not self.plan.measure or not measurements_can_be_twirled(circuit):
            return variants, [0] * randomizations
        flips = balanced_flips(randomizations, circuit.num_clbits, rng)
        twirled = [twirl_measurements(variant, row) for variant, row in zip(variants, flips)]
        return [variant for variant, _ in twirled], [mask for _, mask in twirled]


def balanced_flips(randomizations: int, num_clbits: int, rng: Any) -> Any:
    """Which clbits each randomization flips: every clbit in half of them, in random order.

    Independent coin flips would leave a clbit flipped in, say, 12 of 32 copies, and its
    readout error only partly symmetrized; balancing makes the symmetrization exact.
    """
    import numpy as np

    half = np.arange(randomizations) < randomizations // 2
    columns = np.array([rng.permutation(half) for _ in range(num_clbits)], dtype=bool)
    return columns.T.reshape(randomizations, num_clbits)


def measurements_can_be_twirled(circuit: QuantumCircuit) -> bool:
    """Flipping bits back after the run is only right if no operation reads them first."""
    from qiskit.circuit import ControlFlowOp

    return not any(isinstance(item.operation, ControlFlowOp) for item in circuit.data)


def twirl_measurements(circuit: QuantumCircuit, flips: Any) -> tuple[QuantumCircuit, int]:
    """A copy with X around the final measurements into the clbits `flips` marks, and the mask.

    Only a clbit's last measurement is twirled, so that the flip mask applies to what the
    clbit finally holds.
    """
    last_write = {}
    for position, item in enumerate(circuit.data):
        if item.operation.name == "measure":
            last_write[circuit.find_bit(item.clbits[0]).index] = position
    twirled = circuit.copy_empty_like()
    mask = 0
    for position, item in enumerate(circuit.data):
        clbit = circuit.find_bit(item.clbits[0]).index if item.clbits else None
        flip = (
            item.operation.name == "measure"
            and last_write.get(clbit) == position
            and bool(flips[clbit])
        )
        if flip:
            twirled.x(item.qubits[0])
        twirled.append(item.operation, item.qubits, item.clbits, copy=False)
        if flip:
            twirled.x(item.qubits[0])
            mask |= 1 << clbit  # type: ignore[operator]
    return twirled, mask


def _pooled(raw: Result, flip_masks: list[list[int]]) -> Result:
    """One experiment per original circuit: its copies' shots, flipped back and pooled."""
    from qiskit.result import Result
    from qiskit.result.models import ExperimentResult, ExperimentResultData

    experiments = []
    position = 0
    for masks in flip_masks:
        memory: list[str] = []
        for mask in masks:
            shots = raw.results[position].data.memory
            flipped_back = {shot: hex(int(shot, 16) ^ mask) for shot in dict.fromkeys(shots)}
            memory.extend(map(flipped_back.__getitem__, shots))
            position += 1
        copies = raw.results[position - len(masks):position]
        experiments.append(
            ExperimentResult(
                shots=len(memory),
                success=True,
                data=ExperimentResultData(counts=dict(Counter(memory)), memory=memory),
                header=copies[0].header,
                metadata={"simulation": simulation_of(copies)},
            )
        )
    return Result(
        backend_name=raw.backend_name, backend_version=raw.backend_version, job_id=raw.job_id,
        success=raw.success, results=experiments,
    )
