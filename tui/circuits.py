"""OpenQASM in, checked circuits and ISA circuits out. qiskit is imported lazily.

Everything here is blocking CPU work: the app calls it from thread workers, never from the
event loop.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.qiskit_loader import ensure_qiskit_loaded

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import Target

BELL_QASM = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""

_LINE_COLUMN = re.compile(r"(?:^|\W)L?(\d+)[,:]C?(\d+)\s*:\s*(.*)", re.S)


@dataclass(frozen=True)
class QasmProblem:
    """Why a program does not parse, and where (1-based line)."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column + 1}" if self.column is not None else "")
        return f"{where}: {self.message}" if self.line else self.message


class QasmError(ValueError):
    def __init__(self, problem: QasmProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class CircuitSummary:
    num_qubits: int
    num_clbits: int
    depth: int
    operations: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        ops = ", ".join(f"{name} x{count}" for name, count in self.operations)
        return f"{self.num_qubits} qubits, {self.num_clbits} bits, depth {self.depth}: {ops}"


@dataclass(frozen=True)
class TranspiledCircuit:
    backend: str
    qasm: str
    summary: CircuitSummary
    physical_qubits: tuple[int, ...]
    optimization_level: int


def _problem_from_exception(exc: BaseException) -> QasmProblem:
    """Dig the line and column out of the error types the OpenQASM parsers raise."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for holder in (current, *getattr(current, "args", ())):
            token = getattr(holder, "offendingToken", None)
            if token is not None and getattr(token, "line", None):
                text = getattr(token, "text", "")
                return QasmProblem(f"syntax error near '{text}'", token.line, token.column)
        match = _LINE_COLUMN.search(str(current).strip("'\""))
        if match:
            line, column, message = match.groups()
            return QasmProblem(message.strip().rstrip("'\""), int(line), int(column))
        current = current.__cause__ or current.__context__
    return QasmProblem(str(exc).strip("'\"") or type(exc).__name__)


def parse_qasm(text: str) -> QuantumCircuit:
    """Parse OpenQASM 3 or 2 (by its header); raise QasmError pointing at the line."""
    ensure_qiskit_loaded()
    if not text.strip():
        raise QasmError(QasmProblem("the program is empty", 1, 0))
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ANTLR prints its errors to stderr
            if text.lstrip().startswith("OPENQASM 2"):
                from qiskit import qasm2

                return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
            from qiskit import qasm3

            return qasm3.loads(text)
    except Exception as exc:  # noqa: BLE001 - the parsers raise many unrelated types
        raise QasmError(_problem_from_exception(exc)) from None


def summarize(circuit: QuantumCircuit) -> CircuitSummary:
    counts = circuit.count_ops()
    return CircuitSummary(
        num_qubits=circuit.num_qubits,
        num_clbits=circuit.num_clbits,
        depth=circuit.depth(),
        operations=tuple((str(name), int(n)) for name, n in counts.items()),
    )


def check_qasm(text: str) -> CircuitSummary:
    return summarize(parse_qasm(text))


_targets: dict[tuple[str, bool], Target] = {}


def backend_target(
    backend: str,
    configuration: dict[str, Any],
    properties: dict[str, Any] | None,
    fractional_gates: bool = True,
) -> Target:
    """The backend's Target, built once per backend (it costs a second for 127 qubits).

    `fractional_gates=False` leaves out rx/rzz-style gates, as IBM's client does unless
    asked for them.
    """
    key = (backend, fractional_gates)
    if key in _targets:
        return _targets[key]
    import copy

    from qiskit_ibm_runtime.utils.backend_converter import convert_to_target
    from qiskit_ibm_runtime.utils.backend_decoder import (
        configuration_from_server_data,
        properties_from_server_data,
    )

    target = convert_to_target(
        configuration=configuration_from_server_data(copy.deepcopy(configuration)),
        properties=properties_from_server_data(copy.deepcopy(properties)) if properties else None,
        include_fractional_gates=fractional_gates,
    )
    _targets[key] = target
    return target


def transpile_qasm(
    text: str,
    backend: str,
    configuration: dict[str, Any],
    properties: dict[str, Any] | None,
    optimization_level: int = 2,
    seed: int | None = None,
) -> TranspiledCircuit:
    """An ISA circuit for the backend, as OpenQASM 3 ready to submit."""
    circuit = parse_qasm(text)
    from qiskit import qasm3
    from qiskit.transpiler import generate_preset_pass_manager

    target = backend_target(backend, configuration, properties)
    manager = generate_preset_pass_manager(
        optimization_level=optimization_level, target=target, seed_transpiler=seed
    )
    isa = manager.run(circuit)
    layout = isa.layout
    physical = (
        tuple(layout.final_index_layout()) if layout is not None else tuple(range(circuit.num_qubits))
    )
    return TranspiledCircuit(
        backend=backend,
        qasm=qasm3.dumps(isa),
        summary=summarize(isa),
        physical_qubits=physical,
        optimization_level=optimization_level,
    )
