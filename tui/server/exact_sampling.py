"""Shots drawn from a circuit's exact outcome distribution, instead of simulated one by one.

For a small circuit whose measurements all come last, the noisy outcome distribution can
be computed once: one density-matrix run (Aer, gate noise as exact superoperators) gives
the probabilities of the measured qubits, and each measured qubit's readout error, a 2x2
confusion matrix, turns them into the probabilities of what is recorded. The shots are
then i.i.d. draws from that distribution. Aer's own shot sampling ends up doing the same
(measure sampling on the final density matrix), but flips each shot's bits through the
readout errors one shot at a time, which is most of the cost of a big-shot job.

Anything else (mid-circuit measurement, reset, control flow, more than `MAX_EXACT_QUBITS`
qubits, a noise model with quantum errors on measurements or correlated readout errors)
runs through Aer's shots unchanged. Each experiment's `metadata["simulation"]` says which
way it ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qiskit_aer import AerSimulator

from tui.server.methods import DEFAULT_MEMORY_MIB

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.result import Result
    from qiskit_aer.noise import NoiseModel

EXACT = "exact distribution, sampled"
AER_SHOTS = "aer shots"
MIXED = "mixed"
# A density matrix of n qubits holds 4^n entries: 10 qubits is 16 MB. Measured on a
# 10-qubit circuit of 123 noisy gates: ~0.28 s exact against 0.41 s (1,024 shots), 0.28 s
# (4,096) and 0.53 s (100,000) of Aer's own shots; beyond that the density matrix grows 4x
# per qubit while Aer's shots grow 2x.
MAX_EXACT_QUBITS = 10


class DoneJob:
    """What `backend.run(...)` callers need from a job whose result is already there."""

    def __init__(self, result: Result) -> None:
        self._result = result

    def result(self) -> Result:
        return self._result


@dataclass(frozen=True)
class FinalMeasurements:
    """A circuit split into its quantum part and where its final measurements record."""

    unitary_part: QuantumCircuit  # the circuit without its measurements, clbits kept
    qubits: tuple[int, ...]  # measured qubits, in order of measurement
    clbits: tuple[int, ...]  # the clbit each of them is recorded into


def simulation_of(experiments: list[Any]) -> str:
    """How a group of experiments (a pub's parameter sets, or twirled copies) was simulated."""
    ways = {(getattr(experiment, "metadata", None) or {}).get("simulation", AER_SHOTS)
            for experiment in experiments}
    return ways.pop() if len(ways) == 1 else MIXED


class DeviceSimulator(AerSimulator):
    """An AerSimulator that samples small circuits' shots from their exact distribution."""

    def __init__(
        self, noise_model: NoiseModel, exact: bool = True, memory_mib: int | None = None
    ) -> None:
        super().__init__(noise_model=noise_model)
        self.exact = exact
        self._noise = noise_model
        self.memory_mib = memory_mib or DEFAULT_MEMORY_MIB
        self._pauli_noise: NoiseModel | None = None
        # What ran, for the result's metadata: Aer's methods, and what was approximated.
        self.methods_used: set[str] = set()
        self.approximations: set[str] = set()

    def run(self, circuits: Any, shots: int = 1024, **options: Any) -> Any:
        from qiskit import QuantumCircuit

        if isinstance(circuits, QuantumCircuit):
            circuits = [circuits]
        shots = int(shots)
        plans = [self._exact_plan(circuit, shots) for circuit in circuits]
        exact = [i for i, plan in enumerate(plans) if plan is not None]
        experiments: list[Any] = [None] * len(circuits)
        fallback = [i for i, plan in enumerate(plans) if plan is None]
        if fallback:
            for i, experiment in zip(fallback, self._run_on_aer([circuits[i] for i in fallback], shots, options)):
                experiments[i] = experiment
        if not exact:
            return DoneJob(_result(experiments, self.name, self.backend_version))
        self.methods_used.add("density_matrix")
        sampled = self._sampled([plans[i] for i in exact], shots,  # type: ignore[misc]
                                options.get("seed_simulator"), bool(options.get("memory")))
        for i, experiment in zip(exact, sampled):
            experiments[i] = experiment
        return DoneJob(_result(experiments, self.name, self.backend_version))

    def _run_on_aer(self, circuits: list[QuantumCircuit], shots: int, options: dict[str, Any]) -> list[Any]:
        """Aer's shots, each circuit on the method `tui.server.methods` plans for it.

        An experiment Aer could not run fails the job with Aer's reason, never reads as
        empty memory (which the sampler once turned into all-zero shots).
        """
        from tui.server.methods import MethodPlan, plan_method

        experiments: list[Any] = [None] * len(circuits)
        by_method: dict[str, list[tuple[int, MethodPlan]]] = {}
        for i, circuit in enumerate(circuits):
            plan = plan_method(circuit, self.memory_mib)
            by_method.setdefault(plan.method, []).append((i, plan))
            self.approximations.update(plan.approximations)
        for method, planned in by_method.items():
            run_options = dict(options, max_memory_mb=self.memory_mib)
            if method == "stabilizer":
                run_options.update(method="stabilizer", noise_model=self._pauli_noise_model())
            indices = [i for i, _ in planned]
            batch = [plan.circuit for _, plan in planned]
            raw = super().run(batch, shots=shots, **run_options).result()
            for i, experiment in zip(indices, raw.results):
                if not experiment.success:
                    raise SimulationFailed(_aer_reason(experiment.status))
                self.methods_used.add(str((experiment.metadata or {}).get("method", method)))
                experiments[i] = experiment
        return experiments

    def _pauli_noise_model(self) -> NoiseModel:
        if self._pauli_noise is None:
            from tui.server.noise import pauli_approximation

            self._pauli_noise = pauli_approximation(self._noise)
        return self._pauli_noise

    def _exact_plan(self, circuit: QuantumCircuit, shots: int) -> FinalMeasurements | None:
        """The circuit's final measurements if its shots are to be drawn exactly, else None."""
        if not self.exact or not exact_is_cheaper(circuit, shots):
            return None
        plan = final_measurements(circuit)
        return plan if plan and noise_allows_exact(self._noise, plan.qubits) else None

    def _sampled(
        self, plans: list[FinalMeasurements], shots: int, seed: int | None, memory: bool
    ) -> list[Any]:
        import numpy as np

        rng = np.random.default_rng(None if seed is None else int(seed) % 2**64)  # as Aer reads it
        return [
            _sampled_experiment(
                plan, with_readout_errors(probabilities, readout_matrices(self._noise, plan.qubits)),
                shots, rng, memory,
            )
            for plan, probabilities in zip(plans, self.measured_probabilities(plans))
        ]

    def measured_probabilities(self, plans: list[FinalMeasurements]) -> list[Any]:
        """Per plan, the exact probabilities of its measured qubits' states, before readout.

        Outcome index bit k is `plan.qubits[k]`. All plans run as one density-matrix call.
        """
        import numpy as np

        measuring = [plan for plan in plans if plan.qubits]
        probability_circuits = []
        for plan in measuring:
            circuit = plan.unitary_part.copy()
            circuit.save_probabilities(list(plan.qubits), label="probabilities")
            probability_circuits.append(circuit)
        exact: dict[int, Any] = {}
        if probability_circuits:
            from tui.server.noise import channel_form

            raw = super().run(probability_circuits, shots=1, method="density_matrix",
                              noise_model=channel_form(self._noise)).result()
            for plan, experiment in zip(measuring, raw.results):
                exact[id(plan)] = np.asarray(experiment.data.probabilities, dtype=float)
        return [exact[id(plan)] if plan.qubits else np.ones(1) for plan in plans]


class SimulationFailed(RuntimeError):
    """Aer could not run an experiment; the message is Aer's reason, tidied."""


def _aer_reason(status: str) -> str:
    reason = " ".join(str(status).replace("ERROR:", "").split())
    return f"the simulator could not run the circuit: {reason[:300]}"


def exact_is_cheaper(circuit: QuantumCircuit, shots: int) -> bool:
    """One density matrix (4^n) against `shots` statevectors (2^n each): Aer's own trade-off."""
    return circuit.num_qubits <= MAX_EXACT_QUBITS and 2**circuit.num_qubits <= max(shots, 1)


def final_measurements(circuit: QuantumCircuit) -> FinalMeasurements | None:
    """The circuit's measurements if they all come last, else None.

    Only gates, delays, barriers and measurements qualify; each qubit is measured at most
    once and each clbit written at most once. An operation after a measurement acting only
    on measured qubits cannot change what was recorded and is dropped (twirled
    measurements end in such an X); one also touching an unmeasured qubit disqualifies.
    """
    from qiskit.circuit import Barrier, Delay, Gate, Measure

    if circuit.num_vars or circuit.num_stretches:
        return None
    unitary_part = circuit.copy_empty_like()
    measured: dict[int, int] = {}
    written: set[int] = set()
    for item in circuit.data:
        operation = item.operation
        qubits = [circuit.find_bit(qubit).index for qubit in item.qubits]
        if isinstance(operation, Measure):
            clbit = circuit.find_bit(item.clbits[0]).index
            if qubits[0] in measured or clbit in written:
                return None
            measured[qubits[0]] = clbit
            written.add(clbit)
            continue
        if not isinstance(operation, (Gate, Barrier, Delay)) or item.clbits:
            return None
        if isinstance(operation, Barrier):
            unitary_part._append(item)  # qiskit's documented fast path: item is the circuit's own
            continue
        done = [qubit in measured for qubit in qubits]
        if all(done):
            continue
        if any(done):
            return None
        unitary_part._append(item)
    return FinalMeasurements(unitary_part, tuple(measured), tuple(measured.values()))


def noise_allows_exact(noise: NoiseModel, qubits: tuple[int, ...]) -> bool:
    """No quantum error on measuring `qubits`, and only single-qubit readout errors."""
    from qiskit.circuit import Measure

    if "measure" in noise._default_quantum_errors:
        return False
    on_measure = noise._local_quantum_errors.get("measure", {})
    if any(set(error_qubits) & set(qubits) for error_qubits in on_measure):
        return False
    if any(len(error_qubits) != 1 for error_qubits in noise._local_readout_errors):
        return False
    default = noise._default_readout_error
    if default is not None and default.number_of_qubits != 1:
        return False
    # A custom noise pass with no operation types, or with measurements among them, adds
    # noise to measurements that the circuit without them would not get.
    return not any(
        not noise_pass._ops or any(issubclass(Measure, op_type) for op_type in noise_pass._ops)
        for noise_pass in noise._custom_noise_passes
    )


def readout_matrices(noise: NoiseModel, qubits: tuple[int, ...]) -> list[Any]:
    """Each qubit's confusion matrix P(read j | prepared i); a qubit's own error wins over
    the all-qubit one, as in Aer."""
    import numpy as np

    matrices = []
    for qubit in qubits:
        error = noise._local_readout_errors.get((qubit,), noise._default_readout_error)
        matrices.append(np.eye(2) if error is None else np.asarray(error.probabilities, dtype=float))
    return matrices


def with_readout_errors(probabilities: Any, matrices: list[Any]) -> Any:
    """The distribution of recorded outcomes: each qubit's bit pushed through its matrix.

    Outcome index bit k belongs to `matrices[k]`; reshaped in C order, bit k is axis m-1-k.
    """
    import numpy as np

    m = len(matrices)
    tensor = probabilities.reshape((2,) * m)
    for k, matrix in enumerate(matrices):
        tensor = np.moveaxis(np.tensordot(tensor, matrix, axes=([m - 1 - k], [0])), -1, m - 1 - k)
    recorded = np.clip(tensor.reshape(-1), 0.0, None)
    return recorded / recorded.sum()


def clbit_values(clbits: tuple[int, ...]) -> list[int]:
    """For each outcome index over the measured qubits, the value of the whole clbit memory."""
    return [
        sum(1 << clbit for k, clbit in enumerate(clbits) if (outcome >> k) & 1)
        for outcome in range(2 ** len(clbits))
    ]


def _sampled_experiment(
    plan: FinalMeasurements, distribution: Any, shots: int, rng: Any, memory: bool
) -> Any:
    import numpy as np
    from qiskit.result.models import ExperimentResult, ExperimentResultData

    outcomes = rng.choice(len(distribution), size=shots, p=distribution)
    hex_table = np.array([hex(value) for value in clbit_values(plan.clbits)], dtype=object)
    tally = np.bincount(outcomes, minlength=len(distribution))
    counts = {hex_table[i]: int(n) for i, n in enumerate(tally.tolist()) if n}
    data = ExperimentResultData(
        counts=counts, memory=hex_table[outcomes].tolist() if memory else None
    )
    return ExperimentResult(
        shots=shots, success=True, data=data, header=_header(plan.unitary_part),
        metadata={"simulation": EXACT, "method": "density_matrix"},
    )


def _header(circuit: QuantumCircuit) -> dict[str, Any]:
    """The header Aer gives an experiment, which `Result.get_counts` formats keys by."""
    return {
        "name": circuit.name,
        "n_qubits": circuit.num_qubits,
        "qreg_sizes": [[register.name, register.size] for register in circuit.qregs],
        "memory_slots": circuit.num_clbits,
        "creg_sizes": [[register.name, register.size] for register in circuit.cregs],
        "global_phase": float(circuit.global_phase),
        "metadata": circuit.metadata,
    }


def _result(experiments: list[Any], backend_name: str, backend_version: str) -> Result:
    from qiskit.result import Result

    return Result(
        backend_name=backend_name, backend_version=backend_version, job_id="",
        success=all(experiment.success for experiment in experiments), results=experiments,
    )
