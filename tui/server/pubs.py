"""Primitive inputs: decode the circuits of a job's pubs and check them against a device.

Shared by the request handler (to reject bad input with a 400 at submission, as IBM does)
and the worker processes (to run it). Imports qiskit, so it is only imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from tui.server.backends import DeviceSnapshot


MAX_SHOTS_PER_JOB = 2_000_000


class PubError(ValueError):
    """Invalid primitive input; the message is shown to the user as is."""


@dataclass(frozen=True)
class SamplerPub:
    circuit: QuantumCircuit
    parameter_values: Any
    shots: int | None


@dataclass(frozen=True)
class EstimatorPub:
    circuit: QuantumCircuit
    observables: Any  # an ObservablesArray over the circuit's qubits
    parameter_values: Any
    precision: float | None


def load_circuit(source: Any, where: str, device: DeviceSnapshot | None = None) -> QuantumCircuit:
    """A circuit from OpenQASM 3 or 2 text, or the type-tagged QPY the official client sends."""
    from qiskit import QuantumCircuit

    if isinstance(source, QuantumCircuit):
        return source
    if not isinstance(source, str):
        raise PubError(f"{where}: a circuit must be an OpenQASM string or a QPY object")
    from tui.circuits import QasmError, parse_qasm
    from tui.qasm_screen import QasmLimits

    limits = QasmLimits(max_qubits=device.num_qubits) if device is not None else None
    try:
        return parse_qasm(source, limits)
    except QasmError as exc:
        raise PubError(f"{where}: the OpenQASM circuit does not parse: {exc}") from None


def physical_qubits(circuit: QuantumCircuit) -> list[int]:
    """The device qubit behind each circuit qubit.

    OpenQASM 3 physical qubits (`$5`) load as a small circuit plus a layout that names the
    device qubits; a QPY or OpenQASM 2 transpiled circuit is as wide as the device already.
    """
    layout = circuit.layout
    if layout is not None:
        virtual_to_physical = layout.initial_layout.get_virtual_bits()
        if all(qubit in virtual_to_physical for qubit in circuit.qubits):
            return [virtual_to_physical[qubit] for qubit in circuit.qubits]
    return list(range(circuit.num_qubits))


def isa_violation(circuit: QuantumCircuit, device: DeviceSnapshot) -> str | None:
    """Why the circuit cannot run as is on the device, or None if it is ISA."""
    physical = physical_qubits(circuit)
    if max(physical, default=-1) >= device.num_qubits:
        return f"it uses qubit {max(physical)} but {device.name} has {device.num_qubits} qubits"
    return _block_violation(circuit, physical, device)


def _block_violation(circuit: QuantumCircuit, physical: list[int], device: DeviceSnapshot) -> str | None:
    """The first non-ISA instruction, looking inside control flow (a loop body's `cx` on
    an uncoupled pair is as wrong as one outside it)."""
    allowed = device.instruction_names
    edges = device.two_qubit_gate_edges
    for instruction in circuit.data:
        name = instruction.operation.name
        qubits = tuple(physical[circuit.find_bit(q).index] for q in instruction.qubits)
        for block in getattr(instruction.operation, "blocks", ()):
            violation = _block_violation(block, list(qubits), device)
            if violation:
                return violation
        if name not in allowed:
            return (
                f"instruction '{name}' on qubits {list(qubits)} is not supported by "
                f"{device.name} (basis gates: {', '.join(device.basis_gates)}); "
                "transpile the circuit for this backend first"
            )
        if name in edges and qubits not in edges[name]:
            return (
                f"instruction '{name}' on qubits {list(qubits)} is not on a coupled pair of "
                f"{device.name}; transpile the circuit for this backend first"
            )
    return None


def _has_type_tags(value: Any) -> bool:
    if isinstance(value, dict):
        return "__type__" in value or any(_has_type_tags(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_type_tags(v) for v in value)
    return False


def decode_type_tags(value: Any) -> Any:
    """Objects the official client sends type-tagged (QPY circuits, ndarrays), decoded."""
    if not _has_type_tags(value):
        return value
    import json

    from qiskit_ibm_runtime.json import RuntimeDecoder

    try:
        return json.loads(json.dumps(value), cls=RuntimeDecoder)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the input's fault
        raise PubError(f"a type-tagged value could not be decoded ({exc})") from None


def _raw_pubs(params: dict[str, Any]) -> list[Any]:
    raw_pubs = params.get("pubs")
    if not isinstance(raw_pubs, list) or not raw_pubs:
        raise PubError("params.pubs must be a non-empty list")
    return list(decode_type_tags(raw_pubs))


def _parameter_values(circuit: QuantumCircuit, values: Any, where: str) -> Any:
    """The pub's values, None if there are none (the client sends an empty array)."""
    if getattr(values, "size", 1) == 0:
        values = None
    if circuit.num_parameters and values is None:
        raise PubError(f"{where}: the circuit has parameters but no values were given")
    return values


def parse_sampler_pubs(params: dict[str, Any], device: DeviceSnapshot) -> list[SamplerPub]:
    pubs: list[SamplerPub] = []
    max_shots = device.configuration.get("max_shots")
    options = params.get("options") or {}
    default = params.get("shots") or options.get("default_shots")
    if isinstance(max_shots, int) and isinstance(default, int) and default > max_shots:
        raise PubError(f"shots: {default} shots is more than {device.name} takes per pub (max_shots {max_shots})")
    for index, raw in enumerate(_raw_pubs(params)):
        where = f"pubs[{index}]"
        items = raw if isinstance(raw, list) else [raw]
        if not 1 <= len(items) <= 3:
            raise PubError(f"{where}: a sampler pub is [circuit, parameter_values?, shots?]")
        circuit = _checked_circuit(items[0], where, device)
        if not circuit.clbits:
            raise PubError(f"{where}: the circuit has no classical bits to sample")
        values = _parameter_values(circuit, items[1] if len(items) > 1 else None, where)
        shots = items[2] if len(items) > 2 else None
        if shots is not None and (not isinstance(shots, int) or isinstance(shots, bool) or shots < 1):
            raise PubError(f"{where}: shots must be a positive integer")
        if isinstance(max_shots, int) and shots is not None and shots > max_shots:
            # IBM's limit: the backend's own max_shots, per pub.
            raise PubError(f"{where}: {shots} shots is more than {device.name} takes per pub "
                           f"(max_shots {max_shots}); split it into pubs of at most {max_shots}")
        _check_rzz_angles(circuit, values, where, device)
        pubs.append(SamplerPub(circuit, values, shots))
    return pubs


def _check_rzz_angles(circuit: QuantumCircuit, values: Any, where: str, device: DeviceSnapshot) -> None:
    """IBM runs `rzz` for angles in [0, pi/2] only, bound values included; its own check."""
    if "rzz" not in device.instruction_names:
        return
    from qiskit.primitives.containers.sampler_pub import SamplerPub as QiskitSamplerPub
    from qiskit_ibm_runtime.utils.utils import is_valid_rzz_pub

    problem = is_valid_rzz_pub(QiskitSamplerPub.coerce((circuit, values)))
    if problem:
        raise PubError(f"{where}: {problem}")


def _checked_circuit(raw: Any, where: str, device: DeviceSnapshot) -> QuantumCircuit:
    circuit = load_circuit(raw, where, device)
    violation = isa_violation(circuit, device)
    if violation:
        raise PubError(f"{where}: the circuit is not ISA for {device.name}: {violation}")
    return circuit


def parse_estimator_pubs(params: dict[str, Any], device: DeviceSnapshot) -> list[EstimatorPub]:
    from qiskit.primitives.containers.observables_array import ObservablesArray

    pubs: list[EstimatorPub] = []
    for index, items in enumerate(_raw_pubs(params)):
        where = f"pubs[{index}]"
        if not isinstance(items, list) or not 2 <= len(items) <= 4:
            raise PubError(
                f"{where}: an estimator pub is [circuit, observables, parameter_values?, precision?]"
            )
        circuit = _checked_circuit(items[0], where, device)
        try:
            observables = ObservablesArray.coerce(items[1])
        except Exception as exc:  # noqa: BLE001 - qiskit raises several types for bad input
            raise PubError(f"{where}: the observables are not valid ({exc})") from None
        if observables.num_qubits != circuit.num_qubits:
            raise PubError(
                f"{where}: the observables act on {observables.num_qubits} qubits but the "
                f"circuit has {circuit.num_qubits}; apply the circuit's layout to them"
            )
        values = _parameter_values(circuit, items[2] if len(items) > 2 else None, where)
        precision = items[3] if len(items) > 3 else None
        if precision is not None and (not isinstance(precision, (int, float)) or precision <= 0):
            raise PubError(f"{where}: precision must be a positive number")
        _check_rzz_angles(circuit, values, where, device)
        pubs.append(EstimatorPub(circuit, observables, values, precision))
    return pubs


def check_shot_total(shots: int) -> None:
    if shots > MAX_SHOTS_PER_JOB:
        raise PubError(
            f"the job asks for {shots} shots in all (pubs x parameter sets x shots, twirling "
            f"included); the local service runs at most {MAX_SHOTS_PER_JOB} per job"
        )
