"""The ideal distribution of a Sampler pub's circuit, beside its noisy counts.

What researchers ask of every noisy result: how far is it from the noiseless answer? For
a circuit small enough and measured only at its end, the exact distribution comes from
its statevector (no sampling, so no shot noise of its own), on the qubits it touches
only (an ISA circuit names all of a device's 156 qubits and uses three). The distance is
given as IBM and qiskit give it: Hellinger fidelity (qiskit's `hellinger_fidelity`
formula) and total variation distance.

When a circuit is out of reach (mid-circuit measurements, resets, classical control, a
parameter sweep, too many qubits) the comparison says why instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.results import RegisterCounts

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

MAX_IDEAL_QUBITS = 20  # 2**20 amplitudes: 16 MB and a fraction of a second


@dataclass(frozen=True)
class RegisterComparison:
    pub_index: int
    register: str
    ideal: dict[int, float]  # outcome value -> exact probability (those above 1e-12)
    hellinger_fidelity: float
    total_variation_distance: float


@dataclass(frozen=True)
class IdealComparison:
    registers: tuple[RegisterComparison, ...] = ()
    not_computed: tuple[str, ...] = ()  # per pub left out, why ("pub 1: a parameter sweep")

    def of(self, pub_index: int, register: str) -> RegisterComparison | None:
        return next((r for r in self.registers if (r.pub_index, r.register) == (pub_index, register)), None)


class NoIdeal(ValueError):
    """This circuit's ideal distribution is not computed here; the message says why."""


def compare(pubs_param: Any, tables: Sequence[RegisterCounts]) -> IdealComparison:
    """Each pub's registers against the exact distribution of its circuit."""
    from tui.circuits import QasmError, parse_qasm

    registers: list[RegisterComparison] = []
    reasons: list[str] = []
    pubs = pubs_param if isinstance(pubs_param, list) else []
    for pub_index, pub in enumerate(pubs):
        counted = [table for table in tables if table.pub_index == pub_index]
        if not counted:
            continue
        try:
            if not isinstance(pub, list) or not pub or not isinstance(pub[0], str):
                raise NoIdeal("its circuit is not OpenQASM text")
            circuit = parse_qasm(pub[0])
            bound = _bound(circuit, pub[1] if len(pub) > 1 else None)
            by_register = register_distributions(bound)
        except (NoIdeal, QasmError) as exc:
            reasons.append(f"pub {pub_index}: {exc}")
            continue
        for table in counted:
            ideal = by_register.get(table.register)
            if ideal is None:
                reasons.append(f"pub {pub_index}: no register {table.register} in its circuit")
                continue
            measured = {row.value: row.probability for row in table.rows}
            registers.append(RegisterComparison(
                pub_index, table.register, ideal,
                hellinger_fidelity(ideal, measured), total_variation_distance(ideal, measured),
            ))
    return IdealComparison(tuple(registers), tuple(reasons))


def _bound(circuit: QuantumCircuit, values: Any) -> QuantumCircuit:
    if not circuit.parameters:
        return circuit
    if isinstance(values, dict) and "__value__" in values:
        raise NoIdeal("its parameter values are an array (a sweep)")
    if not isinstance(values, list) or any(isinstance(v, list) for v in values):
        raise NoIdeal("a parameter sweep (the ideal is computed for one binding)")
    if len(values) != len(circuit.parameters):
        raise NoIdeal("its parameter values do not match its parameters")
    return circuit.assign_parameters(dict(zip(circuit.parameters, values)))


def register_distributions(circuit: QuantumCircuit) -> dict[str, dict[int, float]]:
    """The exact outcome distribution of each classical register, for a circuit whose
    measurements all come last. Raises NoIdeal otherwise."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    measured: dict[int, int] = {}  # clbit index -> qubit index
    touched: set[int] = set()
    body: list[tuple[Any, list[int]]] = []
    done: set[int] = set()  # qubits measured already
    for instruction in circuit.data:
        operation = instruction.operation
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if operation.name == "barrier":
            continue
        if operation.name == "measure":
            clbit = circuit.find_bit(instruction.clbits[0]).index
            measured[clbit] = qubits[0]
            done.add(qubits[0])
        elif operation.name == "reset":
            raise NoIdeal("it resets a qubit")
        elif instruction.clbits or getattr(operation, "condition", None) is not None or operation.name in (
            "if_else", "while_loop", "for_loop", "switch_case", "box",
        ):
            raise NoIdeal("it has classical control flow")
        elif done.intersection(qubits):
            raise NoIdeal("it measures mid-circuit")
        elif operation.name != "delay":
            body.append((operation, qubits))
        touched.update(qubits)
    used = sorted(touched)
    if len(used) > MAX_IDEAL_QUBITS:
        raise NoIdeal(f"it uses {len(used)} qubits (the ideal is computed up to {MAX_IDEAL_QUBITS})")
    position = {qubit: i for i, qubit in enumerate(used)}
    small = QuantumCircuit(max(1, len(used)))
    for operation, qubits in body:
        small.append(operation, [position[q] for q in qubits])
    probabilities = Statevector(small).probabilities()
    clbit_of_register = {
        register.name: [circuit.find_bit(bit).index for bit in register] for register in circuit.cregs
    }
    outcomes: dict[str, dict[int, float]] = {name: {} for name in clbit_of_register}
    for state, probability in enumerate(probabilities):
        if probability < 1e-12:
            continue
        for name, clbits in clbit_of_register.items():
            value = 0
            for bit_position, clbit in enumerate(clbits):
                qubit = measured.get(clbit)
                if qubit is not None and state >> position[qubit] & 1:
                    value |= 1 << bit_position
            outcomes[name][value] = outcomes[name].get(value, 0.0) + float(probability)
    return outcomes


def hellinger_fidelity(p: dict[int, float], q: dict[int, float]) -> float:
    """(1 - H²)², qiskit's `hellinger_fidelity`: 1 for equal distributions, 0 for disjoint."""
    overlap = sum(math.sqrt(p[k] * q[k]) for k in p.keys() & q.keys())
    distance_squared = max(0.0, 1.0 - overlap)
    return (1.0 - distance_squared) ** 2


def total_variation_distance(p: dict[int, float], q: dict[int, float]) -> float:
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in p.keys() | q.keys())
