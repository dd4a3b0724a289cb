"""The work behind `/transpile`: OpenQASM in, ISA OpenQASM 3 and layouts out.

qiskit's preset pass managers do the work, against the backend's own Target (the same one
the app transpiles against) or a bare coupling map. It runs in a worker process: qiskit's
compiled passes can hold the GIL for seconds, which in the service's own process would
stall every other request.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.circuits import QasmError, backend_target, circuits_from_qpy, parse_qasm, qpy_of
from tui.server.backends import DeviceSnapshot

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import Target

# The JSON-able arguments of qiskit's generate_preset_pass_manager the service passes on.
QISKIT_OPTIONS = frozenset(
    {
        "seed_transpiler",
        "initial_layout",
        "layout_method",
        "routing_method",
        "translation_method",
        "scheduling_method",
        "approximation_degree",
        "optimization_method",
        "init_method",
        "unitary_synthesis_method",
        "qubits_initially_zero",
        "basis_gates",
    }
)
COUPLING_MAP_BASIS = ("cx", "id", "rz", "sx", "x")
NON_GATE_INSTRUCTIONS = ("measure", "reset", "delay")


class TranspileFailure(ValueError):
    """Why a task failed; the message is shown to the user as is."""


@dataclass(frozen=True)
class TranspileRequest:
    """One task's input; stored as JSON so that a task survives a restart."""

    circuits: list[str]  # OpenQASM, or empty when the circuits came as QPY
    backend: str | None  # its snapshot files, resolved by the service, are passed alongside
    coupling_map: list[list[int]] | None
    optimization_level: int
    use_fractional_gates: bool
    qiskit_options: dict[str, Any]
    qpy: str | None = None  # base64 of a QPY file of the circuits

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _target(request: TranspileRequest, device: DeviceSnapshot | None) -> Target:
    if device is not None:
        return backend_target(
            device.name, device.configuration, device.properties, request.use_fractional_gates
        )
    from qiskit.transpiler import CouplingMap, Target

    pairs = request.coupling_map or []
    gates = request.qiskit_options.get("basis_gates") or COUPLING_MAP_BASIS
    basis = list(dict.fromkeys([*gates, *NON_GATE_INSTRUCTIONS]))
    return Target.from_configuration(
        basis_gates=basis,
        num_qubits=1 + max(q for pair in pairs for q in pair),
        coupling_map=CouplingMap(pairs),
    )


def _layout_json(circuit: Any, num_input_qubits: int) -> dict[str, list[int]]:
    """Where each qubit went: `initial` for every device qubit, `final` for the circuit's."""
    layout = circuit.layout
    if layout is None:
        trivial = list(range(num_input_qubits))
        return {"initial": trivial, "final": trivial}
    return {
        "initial": [int(q) for q in layout.initial_index_layout(filter_ancillas=False)],
        "final": [int(q) for q in layout.final_index_layout()],
    }


def transpile_all(
    request: TranspileRequest, conf_file: str | None, props_file: str | None
) -> list[dict[str, Any]]:
    """Each circuit as ISA OpenQASM 3 with its layout; TranspileFailure names the culprit.

    The worker-process entry point: plain, picklable arguments in and out.
    """
    device = None
    if conf_file is not None:
        conf = Path(conf_file)
        device = DeviceSnapshot(conf.parent, conf, Path(props_file) if props_file else None)
    circuits = _input_circuits(request)
    from qiskit import qasm3
    from qiskit.transpiler import generate_preset_pass_manager

    options = {k: v for k, v in request.qiskit_options.items() if k != "basis_gates"}
    try:
        target = _target(request, device)
    except Exception as exc:  # noqa: BLE001 - e.g. gate names qiskit does not know
        raise TranspileFailure(f"cannot build the target: {exc}") from None
    try:
        manager = generate_preset_pass_manager(
            optimization_level=request.optimization_level, target=target, **options
        )
    except Exception as exc:  # noqa: BLE001 - qiskit rejects bad options with many types
        raise TranspileFailure(f"qiskit_transpile_options: {exc}") from None
    field = "qpy_circuits" if request.qpy is not None else "qasm_circuits"
    results = []
    for index, circuit in enumerate(circuits):
        if circuit.num_qubits > target.num_qubits:
            raise TranspileFailure(
                f"{field}[{index}] has {circuit.num_qubits} qubits; the target has {target.num_qubits}."
            )
        try:
            isa = manager.run(circuit)
            qasm = qasm3.dumps(isa)
        except Exception as exc:  # noqa: BLE001 - reported as the task's failure
            raise TranspileFailure(f"{field}[{index}]: {exc}") from None
        results.append(
            {"qasm": qasm, "qpy": b64encode(qpy_of(isa)).decode("ascii"),
             "layout": _layout_json(isa, circuit.num_qubits), "success": True}
        )
    return results


def _input_circuits(request: TranspileRequest) -> list[QuantumCircuit]:
    if request.qpy is not None:
        try:
            return circuits_from_qpy(b64decode(request.qpy))
        except ValueError as exc:
            raise TranspileFailure(f"qpy_circuits {exc}") from None
    circuits = []
    for index, text in enumerate(request.circuits):
        try:
            circuits.append(parse_qasm(text))
        except QasmError as exc:
            raise TranspileFailure(f"qasm_circuits[{index}]: {exc}") from None
    return circuits
