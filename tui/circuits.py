"""OpenQASM in, checked circuits and ISA circuits out. qiskit is imported lazily.

Everything here is blocking CPU work: the app calls it from thread workers, never from the
event loop.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from tui.qiskit_loader import ensure_qiskit_loaded

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import Target

    from tui.qasm_screen import QasmLimits

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


class CannotTranspile(ValueError):
    """qiskit could not make an ISA circuit for the backend (too many qubits, say); the
    message says why in words, not as a TranspilerError."""


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
    num_parameters: int = 0
    parameter_names: tuple[str, ...] = ()  # in the order the primitives bind values
    loose_bits: tuple[str, ...] = ()  # classical bits in no register: a Sampler drops them

    def describe(self) -> str:
        ops = ", ".join(f"{name} x{count}" for name, count in self.operations)
        params = f", {self.num_parameters} parameters" if self.num_parameters else ""
        return f"{self.num_qubits} qubits, {self.num_clbits} bits{params}, depth {self.depth}: {ops}"

    @property
    def warning(self) -> str | None:
        """What the program says that the results will not: a loose bit, for now."""
        if not self.loose_bits:
            return None
        names = ", ".join(self.loose_bits)
        return (f"bit {names} is in no register, and Sampler results come per register, so its "
                f"value is dropped; declare it as a register (bit[1] {self.loose_bits[0]};) to keep it")


TranspileWhere = Literal["local", "service"]
LAYOUT_METHODS = ("default", "sabre", "dense", "trivial")
OPTIMIZATION_LEVELS = (0, 1, 2, 3)
SERVICE_OPTIMIZATION_LEVELS = (1, 2, 3)  # the transpiler service has no level 0


@dataclass(frozen=True)
class TranspileSettings:
    """How to transpile: here with qiskit, or through the transpiler service."""

    where: TranspileWhere = "local"
    optimization_level: int = 2
    layout_method: str = "default"

    def problem(self) -> str | None:
        """Why these settings cannot be used, or None."""
        if self.where == "service" and self.optimization_level not in SERVICE_OPTIMIZATION_LEVELS:
            return "The transpiler service takes optimization levels 1 to 3."
        if self.layout_method not in LAYOUT_METHODS:
            return f"Unknown layout method '{self.layout_method}'."
        return None

    def describe(self) -> str:
        layout = "" if self.layout_method == "default" else f", {self.layout_method} layout"
        where = " · transpiler service" if self.where == "service" else ""
        return f"optimization {self.optimization_level}{layout}{where}"

    def service_options(self) -> dict[str, Any] | None:
        """`qiskit_transpile_options` for the service."""
        return None if self.layout_method == "default" else {"layout_method": self.layout_method}


@dataclass(frozen=True)
class TranspiledCircuit:
    backend: str
    qasm: str
    summary: CircuitSummary
    physical_qubits: tuple[int, ...]  # where each virtual qubit ends up, in order
    settings: TranspileSettings = TranspileSettings()
    width: int = 0  # qubits of the ISA program as the service reads it ($0..$max)
    without_measurements: bool = False

    def isa_observable(self, pauli: str) -> str:
        """A Pauli string over the virtual qubits ("ZZ", rightmost is qubit 0), moved to the
        physical qubits the circuit was laid out on, as the Estimator wants for ISA circuits."""
        pauli = pauli.strip().upper()
        if len(pauli) != len(self.physical_qubits) or set(pauli) - set("IXYZ"):
            raise ValueError(
                f"'{pauli}' is not a Pauli string over the circuit's {len(self.physical_qubits)} qubits"
                " (letters I, X, Y, Z; the rightmost is qubit 0)"
            )
        letters = ["I"] * self.width
        for virtual, physical in enumerate(self.physical_qubits):
            letters[self.width - 1 - physical] = pauli[len(pauli) - 1 - virtual]
        return "".join(letters)


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
    message = str(exc).strip("'\"") or type(exc).__name__
    line, column = _ast_position(exc)
    return QasmProblem(message, line, column)


def _ast_position(exc: BaseException) -> tuple[int | None, int | None]:
    """Where the OpenQASM 3 importer was when it failed: it raises some semantic errors
    (an index out of range, say) bare, but the syntax-tree node it was converting sits in
    its frames, and every node carries its span in the source."""
    traceback = exc.__traceback__
    frames = []
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    for frame in reversed(frames):  # the innermost node is the most precise
        for value in frame.f_locals.values():
            span = getattr(value, "span", None)
            line = getattr(span, "start_line", None)
            if isinstance(line, int):
                return line, getattr(span, "start_column", None)
    return None, None


def parse_qasm(text: str, limits: QasmLimits | None = None) -> QuantumCircuit:
    """Parse OpenQASM 3 or 2 (by its header); raise QasmError pointing at the line.

    The text is screened first (`tui.qasm_screen`): no include but the standard
    libraries, and sizes within `limits`. Parsing is most of a small job's cost (4 ms for
    a 3-qubit GHZ, ANTLR in Python) and the same program comes again and again (pubs of
    one circuit, a job resubmitted, the editor's live check), so recent programs are kept
    and each caller gets a copy of its own.
    """
    from tui.qasm_screen import QasmLimits

    if len(text) > CACHED_PROGRAM_CHARACTERS:
        return _parsed.__wrapped__(text, limits or QasmLimits())
    return _parsed(text, limits or QasmLimits()).copy()


CACHED_PROGRAM_CHARACTERS = 65_536  # bigger programs are parsed each time, never kept


@functools.lru_cache(maxsize=128)
def _parsed(text: str, limits: QasmLimits) -> QuantumCircuit:
    from tui.qasm_screen import screen_qasm

    if not text.strip():
        raise QasmError(QasmProblem("the program is empty", 1, 0))
    screen_qasm(text, limits)
    ensure_qiskit_loaded()
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ANTLR prints its errors to stderr
            if text.lstrip().startswith("OPENQASM 2"):
                from qiskit import qasm2

                return qasm2.loads(
                    text, include_path=(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS
                )
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
        num_parameters=circuit.num_parameters,
        parameter_names=tuple(parameter.name for parameter in circuit.parameters),
        loose_bits=_loose_bit_names(circuit),
    )


def _loose_bit_names(circuit: QuantumCircuit) -> tuple[str, ...]:
    """Loose classical bits (`bit m;`) by position; check_qasm names them from the source."""
    return tuple(f"#{circuit.find_bit(bit).index}" for bit in circuit.clbits
                 if not circuit.find_bit(bit).registers)


_LOOSE_BIT_DECLARATION = re.compile(r"\bbit\s+([A-Za-z_]\w*)\s*(?:=[^;]*)?;")


def check_qasm(text: str) -> CircuitSummary:
    summary = summarize(parse_qasm(text))
    if summary.loose_bits:  # the importer keeps no name for them; the program has one
        named = tuple(_LOOSE_BIT_DECLARATION.findall(text))
        if len(named) == len(summary.loose_bits):
            summary = replace(summary, loose_bits=named)
    return summary


_targets: dict[tuple[str, bool], Target] = {}


def backend_target(
    backend: str,
    configuration: dict[str, Any],
    properties: dict[str, Any] | None,
    fractional_gates: bool = False,
) -> Target:
    """The backend's Target, built once per backend (it costs a second for 127 qubits).

    Without `fractional_gates` it leaves out rx/rzz-style gates, as IBM's client does
    unless asked for them (`use_fractional_gates=True`).
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
        configuration=configuration_from_server_data(
            copy.deepcopy(configuration), use_fractional_gates=fractional_gates
        ),
        properties=(
            properties_from_server_data(copy.deepcopy(properties), use_fractional_gates=fractional_gates)
            if properties else None
        ),
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
    layout_method: str = "default",
    without_measurements: bool = False,
) -> TranspiledCircuit:
    """An ISA circuit for the backend, as OpenQASM 3 ready to submit. The Estimator wants
    it `without_measurements`: a final measurement would collapse the state before the
    observables' basis changes."""
    circuit = parse_qasm(text)
    if without_measurements:
        circuit.remove_final_measurements()
    from qiskit import qasm3
    from qiskit.transpiler import generate_preset_pass_manager

    target = backend_target(backend, configuration, properties)
    manager = generate_preset_pass_manager(
        optimization_level=optimization_level,
        target=target,
        seed_transpiler=seed,
        layout_method=None if layout_method == "default" else layout_method,
    )
    from qiskit.transpiler.exceptions import TranspilerError

    try:
        isa = manager.run(circuit)
    except TranspilerError as exc:
        reason = " ".join(str(exc).strip("'\"").split())
        if circuit.num_qubits > target.num_qubits:
            reason = f"the circuit has {circuit.num_qubits} qubits and {backend} has {target.num_qubits}"
        raise CannotTranspile(f"{backend} cannot run this circuit: {reason}.") from None
    layout = isa.layout
    physical = (
        tuple(layout.final_index_layout()) if layout is not None else tuple(range(circuit.num_qubits))
    )
    qasm = qasm3.dumps(isa)
    return TranspiledCircuit(
        backend=backend,
        qasm=qasm,
        summary=summarize(isa),
        physical_qubits=physical,
        settings=TranspileSettings("local", optimization_level, layout_method),
        width=qasm3.loads(qasm).num_qubits,
        without_measurements=without_measurements,
    )


def source_for_service(text: str, without_measurements: bool) -> str:
    """The program to send to the transpiler service, checked here first so that a mistake
    points at the editor's line (QasmError) without a round trip."""
    circuit = parse_qasm(text)
    if not without_measurements:
        return text
    circuit.remove_final_measurements()
    from qiskit import qasm3

    return qasm3.dumps(circuit)


def from_service(
    backend: str,
    qasm: str,
    final_layout: tuple[int, ...],
    settings: TranspileSettings,
    without_measurements: bool = False,
) -> TranspiledCircuit:
    """A circuit the transpiler service made, described as a local transpile would be."""
    isa = parse_qasm(qasm)
    return TranspiledCircuit(
        backend=backend,
        qasm=qasm,
        summary=summarize(isa),
        physical_qubits=final_layout,
        settings=settings,
        width=isa.num_qubits,
        without_measurements=without_measurements,
    )


QPY_MAGIC = b"QISKIT"


def qpy_header(data: bytes) -> tuple[int, int]:
    """A QPY file's (format version, number of circuits), read from its fixed header
    (magic, version, the writer's qiskit version, a big-endian count) without building
    anything; ValueError if it is not one."""
    if len(data) < 18 or not data.startswith(QPY_MAGIC):
        raise ValueError("is not QPY data (it must start with the QISKIT header)")
    return data[6], int.from_bytes(data[10:18], "big")


def circuits_from_qpy(data: bytes) -> list[QuantumCircuit]:
    """The circuits of a QPY file, or ValueError saying plainly why not (no raw error)."""
    ensure_qiskit_loaded()
    from qiskit import qpy

    try:
        circuits = qpy.load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - a damaged file fails in many ways
        from qiskit.qpy import QpyError

        detail = str(exc).splitlines()[0][:200] if isinstance(exc, QpyError) else "it is damaged or truncated"
        raise ValueError(f"cannot be read as QPY: {detail}") from None
    if not circuits:
        raise ValueError("cannot be read as QPY: it holds no circuit")
    if not all(hasattr(circuit, "num_qubits") for circuit in circuits):
        raise ValueError("holds something other than circuits (pulse schedules are not supported)")
    return list(circuits)


def qpy_of(circuit: QuantumCircuit) -> bytes:
    from qiskit import qpy

    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return buffer.getvalue()


def qasm_from_qpy(data: bytes) -> str:
    """OpenQASM 3 of the first circuit of a QPY file (what a transpiler answers with)."""
    from qiskit import qasm3

    return qasm3.dumps(circuits_from_qpy(data)[0])


def draw_qasm(text: str, width: int = 120) -> str:
    """A text diagram of the circuit, folded to the given width."""
    circuit = parse_qasm(text)
    from qiskit.visualization.circuit.circuit_visualization import _text_circuit_drawer

    # The public drawer asks sys.stdout for its encoding, and Textual's stdout has none.
    drawing = _text_circuit_drawer(
        circuit, fold=max(40, width), idle_wires=False, initial_state=False, cregbundle=True, encoding="utf-8"
    )
    return str(drawing)


def ghz_qasm(num_qubits: int = 3) -> str:
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";', f"qubit[{num_qubits}] q;",
             f"bit[{num_qubits}] c;", "h q[0];"]
    lines += [f"cx q[{i}], q[{i + 1}];" for i in range(num_qubits - 1)]
    lines.append("c = measure q;")
    return "\n".join(lines) + "\n"


def random_qasm(num_qubits: int = 3, depth: int = 4, seed: int | None = None) -> str:
    ensure_qiskit_loaded()
    from qiskit import qasm3
    from qiskit.circuit.random import random_circuit

    circuit = random_circuit(num_qubits, depth, max_operands=2, measure=True, seed=seed)
    return qasm3.dumps(circuit) + "\n"


TEMPLATES: dict[str, str] = {"Bell pair": BELL_QASM, "GHZ, 3 qubits": ghz_qasm(3), "GHZ, 5 qubits": ghz_qasm(5)}
