"""Which Aer method simulates a circuit, and what it approximates: never a silent guess.

Aer's `automatic` method picks an exact method (density matrix, statevector, or stabilizer
when circuit and noise are Clifford) but, past the memory a statevector needs, it fails
the experiment; the service once read that failure as 100 all-zero shots. So:

- a circuit whose statevector fits a worker's memory runs on Aer's own (exact) choice;
- a wider Clifford circuit runs on the stabilizer method at any width, its device noise
  replaced by each error's Pauli twirl, which the result says;
- a wider non-Clifford circuit is refused at submission, naming the limit and what fits.

The plan is made at submission (to refuse there, with a 400) and again in the worker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

DEFAULT_MEMORY_MIB = 4096
# Aer holds a statevector of 2^n complex doubles and needs room beside it.
_BYTES_PER_AMPLITUDE = 16
_HEADROOM = 2

CLIFFORD_GATES = frozenset({
    "id", "x", "y", "z", "h", "s", "sdg", "sx", "sxdg", "cx", "cy", "cz", "swap", "ecr",
    "measure", "reset", "barrier", "delay",
})
# Gates that are Clifford when every angle is a multiple of pi/2.
QUARTER_TURN_GATES = frozenset({"rz", "rx", "ry", "p", "u1", "rzz"})
CONTROL_FLOW = frozenset({"if_else", "for_loop", "while_loop", "switch_case"})
LOOP_CONTROL = frozenset({"break_loop", "continue_loop"})


class SimulationRefused(ValueError):
    """The circuit cannot be simulated exactly here, nor with a stated approximation."""


@dataclass(frozen=True)
class MethodPlan:
    method: str  # an Aer method name, or "automatic" (Aer's exact choice; it says which)
    circuit: QuantumCircuit  # what to run: the circuit, or its Clifford form for the stabilizer
    approximations: tuple[str, ...] = field(default=())


def max_statevector_qubits(memory_mib: int | None) -> int:
    budget = (memory_mib or DEFAULT_MEMORY_MIB) * 1024 * 1024 / _HEADROOM
    return int(math.floor(math.log2(budget / _BYTES_PER_AMPLITUDE)))


def non_clifford_instruction(circuit: QuantumCircuit) -> str | None:
    """The first instruction that makes the circuit non-Clifford, described; None if Clifford."""
    for item in circuit.data:
        operation = item.operation
        name = operation.name
        if name in CLIFFORD_GATES or name in LOOP_CONTROL:
            continue
        if name in CONTROL_FLOW:
            for block in operation.blocks:
                found = non_clifford_instruction(block)
                if found:
                    return found
            continue
        if name in QUARTER_TURN_GATES and all(_is_quarter_turn(p) for p in operation.params):
            continue
        qubits = [circuit.find_bit(q).index for q in item.qubits]
        params = ", ".join(_short(p) for p in operation.params)
        return f"{name}({params}) on qubits {qubits}" if params else f"{name} on qubits {qubits}"
    return None


DIAGONAL_ONE_QUBIT = frozenset({"rz", "p", "u1", "z", "s", "sdg", "t", "tdg"})


def without_unseen_phases(circuit: QuantumCircuit) -> QuantumCircuit:
    """`circuit` without the diagonal gates no outcome can see: those on a qubit that is
    still in a basis state (at the start, after a reset or a measurement) and those just
    before a measurement. Exact: such a gate only multiplies a basis state by a phase.

    Transpilers leave arbitrary `rz` angles there (optimization level 2 put rz(3.004) before
    a mid-circuit measurement of a GHZ circuit), which would hide that it is Clifford.
    """
    if any(item.operation.name in CONTROL_FLOW for item in circuit.data):
        return circuit
    data = list(circuit.data)
    # Forward: a basis state from the start, a reset or a measurement; backward: a
    # measurement to come. A diagonal gate met while its qubit is in either is unseen.
    dropped = _unseen_diagonals(enumerate(data), circuit, {"measure", "reset"})
    dropped |= _unseen_diagonals(reversed(list(enumerate(data))), circuit, {"measure"}, settled=False)
    if not dropped:
        return circuit
    kept = circuit.copy_empty_like()
    for position, item in enumerate(data):
        if position not in dropped:
            kept.append(item, copy=False)
    return kept


def _unseen_diagonals(
    items: Any, circuit: QuantumCircuit, settling: set[str], settled: bool = True
) -> set[int]:
    """Positions of diagonal gates on a qubit that is settled in a basis state, walking
    `items` (position, instruction) in their order; `settling` operations settle a qubit,
    any other non-barrier operation on it unsettles it. Qubits start `settled` or not."""
    state = dict.fromkeys(circuit.qubits, settled)
    unseen: set[int] = set()
    for position, item in items:
        name = item.operation.name
        if name in settling:
            state[item.qubits[0]] = True
        elif name == "barrier":
            continue
        elif name in DIAGONAL_ONE_QUBIT and state[item.qubits[0]]:
            unseen.add(position)
        else:
            for qubit in item.qubits:
                state[qubit] = False
    return unseen


def _is_quarter_turn(value: object) -> bool:
    try:
        turns = float(value) / (math.pi / 2)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False  # an unbound parameter
    return abs(turns - round(turns)) < 1e-9


def _short(value: object) -> str:
    try:
        return f"{float(value):.4g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def plan_method(circuit: QuantumCircuit, memory_mib: int | None) -> MethodPlan:
    """How `circuit` (compacted onto the qubits it touches) is simulated; or refused."""
    limit = max_statevector_qubits(memory_mib)
    width = circuit.num_qubits
    if width <= limit:
        return MethodPlan("automatic", circuit)
    clifford = clifford_form(circuit, width, memory_mib)
    from tui.server.noise import DELAYS_DROPPED_NOTE, PAULI_TWIRL_NOTE

    notes = [f"method: stabilizer ({width} qubits; a statevector fits {limit})", PAULI_TWIRL_NOTE]
    if any(item.operation.name == "delay" for item in circuit.data):
        notes.append(DELAYS_DROPPED_NOTE)
    return MethodPlan("stabilizer", clifford, approximations=tuple(notes))


def check_simulable(circuits: list[QuantumCircuit], width: int, memory_mib: int | None) -> None:
    """At submission: refuse a job whose circuits, on `width` device qubits, cannot run here."""
    if width <= max_statevector_qubits(memory_mib):
        return
    for circuit in circuits:
        clifford_form(circuit, width, memory_mib)


def clifford_form(circuit: QuantumCircuit, width: int, memory_mib: int | None) -> QuantumCircuit:
    """The circuit without its unseen phases, if that is Clifford; else SimulationRefused."""
    stripped = without_unseen_phases(circuit)
    culprit = non_clifford_instruction(stripped)
    if culprit is None:
        return stripped
    memory = memory_mib or DEFAULT_MEMORY_MIB
    raise SimulationRefused(
        f"the circuit acts on {width} qubits and is not a Clifford circuit ({culprit}); "
        f"the local simulator runs non-Clifford circuits of at most "
        f"{max_statevector_qubits(memory_mib)} qubits (a statevector within its {memory} MiB "
        f"per job) and Clifford circuits of any width (optimization levels 2 and 3 may "
        f"resynthesize a Clifford circuit's gates with arbitrary angles; level 1 keeps them)"
    )
