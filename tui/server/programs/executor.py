"""The Executor (`program_id: "executor"`): a QuantumProgram of circuit and samplex items.

IBM's directed execution model, which the official client's `Executor` and its
executor-based Sampler and Estimator submit. The params and the result are IBM's own
models (`ibm_quantum_schemas.executor`, every schema version the client knows, decoded by
the client's own converters); samplex items are drawn with samplomatic, as IBM does, and
the bound circuits run on the device's cut noise model like every other job.

What the service returns is what the client's decoders read: one bool tensor per
classical register, shaped `(*item.shape, shots, register size)`, plus every samplex
output but the parameter values (the measurement flips are XOR-ed by the client), and the
params' `passthrough_data` and `semantic_role` echoed, so that the executor-based
primitives build their PrimitiveResult from it. The top-level metadata carries, beside
IBM's chunk timing, the service's own account: the Aer method that ran, what it
approximated, and the options it could not simulate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tui.server.independent import BlockSimulators, sample_clbits, simulated_width
from tui.server.job_worker import (
    JobOutcome,
    JobSpec,
    circuits_qubits,
    compact,
    cut_device,
    device_from_spec,
    job_metadata,
    run_log_lines,
    touched_qubits,
)
from tui.server.programs.base import Program, ProgramInputError

if TYPE_CHECKING:

    from tui.server.backends import DeviceSnapshot

SCHEMA_VERSIONS = ("v0.1", "v0.2", "v1.0", "v1.1", "v2.0")
UNREADABLE = (
    "params.quantum_program: the program could not be decoded (its circuits, tensors or "
    "samplexes are not valid compressed QPY, tensor or samplex data of its schema version)"
)
QUARTER_TURN_TOLERANCE = 1e-5  # in quarter turns: float32's error on the angles samplomatic draws
EXECUTION_OPTION_REASONS = {
    "init_qubits": "every simulated shot starts from an exact |0>, reset or not",
    "rep_delay": "a simulation has no repetition delay to wait",
    "scheduler_timing": "circuits are not scheduled on a simulator, so there is no timing to report",
    "stretch_values": "circuits are not scheduled on a simulator, so stretches have no values",
}


def check_request(params: dict[str, Any]) -> None:
    version = params.get("schema_version")
    if version not in SCHEMA_VERSIONS:
        raise ProgramInputError(
            f"params.schema_version must be one of {', '.join(SCHEMA_VERSIONS)}"
            + (f", not {str(version)[:16]!r}" if version is not None else "")
        )
    if not isinstance(params.get("quantum_program"), dict):
        raise ProgramInputError("params.quantum_program must be an object")
    if not isinstance(params.get("options") or {}, dict):
        raise ProgramInputError("params.options must be an object")


@dataclass(frozen=True)
class DecodedProgram:
    program: Any  # qiskit_ibm_runtime's QuantumProgram, its samplexes finalized
    options: Any  # the client's ExecutorOptions
    version: str


def decode_program(params: dict[str, Any]) -> DecodedProgram:
    """The params validated against IBM's model of their schema version, then decoded."""
    from pydantic import ValidationError
    from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS
    from samplomatic.quantum_program import SamplexItem

    version = params["schema_version"]
    converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS[version]
    try:
        model = converter.model.model_validate(params)
    except ValidationError as exc:
        raise ProgramInputError(validation_message(exc)) from None
    except Exception:  # noqa: BLE001 - the models' validators decode (zlib, base64, QPY) and raise freely
        raise ProgramInputError(UNREADABLE) from None
    try:
        program, options = converter.decoder(model)
        for item in program.items:
            if isinstance(item, SamplexItem):
                item.samplex.finalize()
    except Exception:  # noqa: BLE001 - any decoding failure is the input's fault
        raise ProgramInputError(UNREADABLE) from None
    return DecodedProgram(program, options, version)


def validation_message(exc: Any) -> str:
    """The first of pydantic's errors, as `params.<field path>: <what is wrong>`; never the input."""
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in ("params", *first["loc"]))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def item_shots(program: Any) -> int:
    return sum(program.shots * math.prod(item.shape) for item in program.items)


def check_circuits(params: dict[str, Any], device: DeviceSnapshot, memory_mib: int) -> None:
    from tui.server.methods import check_simulable
    from tui.server.pubs import check_shot_total, isa_violation, physical_qubits

    decoded = decode_program(params)
    program = decoded.program
    if not program.items:
        raise ProgramInputError("params.quantum_program.items must not be empty")
    meas_level = getattr(program, "meas_level", "classified") or "classified"
    if meas_level != "classified":
        raise ProgramInputError(
            f"params.quantum_program.meas_level: {meas_level!r} (IQ data) is not simulated by "
            "the local service; use 'classified'"
        )
    max_shots = device.configuration.get("max_shots")
    if isinstance(max_shots, int) and program.shots > max_shots:
        raise ProgramInputError(
            f"params.quantum_program.shots: {program.shots} is more than {device.name} takes "
            f"(max_shots {max_shots})"
        )
    check_shot_total(item_shots(program))
    for index, item in enumerate(program.items):
        violation = isa_violation(item.circuit, device)
        if violation:
            raise ProgramInputError(
                f"params.quantum_program.items[{index}]: the circuit is not ISA for {device.name}: {violation}"
            )
        touched = touched_qubits(item.circuit, physical_qubits(item.circuit))
        check_simulable([item.circuit], simulated_width(item.circuit, len(touched)), memory_mib)


def unapplied_options(decoded: DecodedProgram) -> list[str]:
    execution = getattr(decoded.options, "execution", None)
    unapplied = []
    if execution is not None:
        if execution.init_qubits is False:
            unapplied.append(f"init_qubits: {EXECUTION_OPTION_REASONS['init_qubits']}")
        for name in ("rep_delay", "scheduler_timing", "stretch_values"):
            if getattr(execution, name, None):
                unapplied.append(f"{name}: {EXECUTION_OPTION_REASONS[name]}")
    experimental = getattr(decoded.options, "experimental", None) or {}
    if experimental:
        unapplied.append(f"experimental ({', '.join(sorted(experimental))}): not read by the local service")
    if any(getattr(item, "chunk_size", "auto") not in ("auto", None) for item in decoded.program.items):
        unapplied.append("chunk_size: the whole program runs as one chunk")
    return unapplied


def _bound_values(item: Any, rng: Any) -> tuple[Any, dict[str, Any]]:
    """The item's parameter values, shaped like the item, and its other samplex outputs."""
    import numpy as np
    from qiskit_ibm_runtime.fake_provider.executor.broadcast_sample import broadcast_sample
    from samplomatic.quantum_program import SamplexItem

    if isinstance(item, SamplexItem):
        outputs = broadcast_sample(item.samplex, item.samplex_arguments, tuple(item.shape), rng)
        values = outputs.pop("parameter_values", None)
    else:
        outputs, values = {}, item.circuit_arguments
    if values is None or not item.circuit.num_parameters:
        return None, outputs
    values = np.asarray(values, dtype=np.float64).reshape(*item.shape, item.circuit.num_parameters)
    # Samplomatic draws its angles in float32: a quarter turn arrives 1e-7 off, which would
    # hide a Clifford circuit from the stabilizer method. Such values are snapped back to
    # the quarter turn they stand for; every other angle is used exactly as sent.
    turns = values / (np.pi / 2)
    nearest = np.round(turns)
    snapped = np.abs(turns - nearest) < QUARTER_TURN_TOLERANCE
    return np.where(snapped, nearest * (np.pi / 2), values), outputs


def _random_bools(circuit: Any, shape: tuple[int, ...], shots: int, rng: Any) -> dict[str, Any]:
    return {
        register.name: rng.integers(0, 2, size=(*shape, shots, register.size)).astype(bool)
        for register in circuit.cregs
    }


def run(spec: JobSpec) -> JobOutcome:
    import numpy as np

    from tui.server.pubs import physical_qubits

    decoded = decode_program(spec.params)
    program = decoded.program
    device = device_from_spec(spec)
    experimental = getattr(decoded.options, "experimental", None) or {}
    seed = experimental.get("seed_simulator") if isinstance(experimental.get("seed_simulator"), int) else None
    rng = np.random.default_rng(seed)
    physical_by_item = [physical_qubits(item.circuit) for item in program.items]
    cut = cut_device(device, circuits_qubits(program.items, physical_by_item))
    simulators = BlockSimulators(device, cut, seed, spec.memory_mib)

    started = time.perf_counter_ns()
    ran_from = datetime.now(timezone.utc)
    item_results = []
    for item, physical in zip(program.items, physical_by_item):
        shape = tuple(item.shape)
        values, outputs = _bound_values(item, rng)
        if spec.dry_run:
            results = _random_bools(item.circuit, shape, program.shots, rng)
        else:
            circuit = compact(item.circuit, physical, cut.index)
            size = math.prod(shape)
            flat_values = None if values is None else values.reshape(size, -1)
            bits = sample_clbits(circuit, flat_values, size, program.shots, simulators.run_block, seed)
            results = {
                register.name: bits[:, :, [circuit.find_bit(bit).index for bit in register]].reshape(
                    *shape, program.shots, register.size
                )
                for register in circuit.cregs
            }
        item_results.append({**results, **outputs})
    ran_to = datetime.now(timezone.utc)
    execution_ns = time.perf_counter_ns() - started
    account = job_metadata(device, cut, seed, {}, unapplied_options(decoded), simulators)
    service_metadata: dict[str, Any] = {
        "simulator": {**account["simulator"], "backend": spec.backend_name or device.name},
        "options_not_applied": account["options_not_applied"],
    }
    if spec.dry_run:
        service_metadata["dry_run"] = {
            "random_data": True,
            "note": "a dry run on a mock backend: the program was validated and timed; "
                    "its bits are uniformly random, not simulated",
            "estimated_qpu_seconds": estimated_qpu_seconds(device, program),
        }
    text = result_json(decoded, spec.params, item_results, ran_from, ran_to, service_metadata)
    summary = (f"executor: {len(program.items)} item(s), {program.shots} shots each, on "
               f"{device.name} qubits {cut.device_qubits}")
    log_lines = run_log_lines(summary, service_metadata)
    if spec.dry_run:
        log_lines[1] = "dry run: random bits of the right shapes, nothing simulated"
    return JobOutcome("Completed", text, execution_ns, log_lines=log_lines)


def estimated_qpu_seconds(device: DeviceSnapshot, program: Any) -> float:
    """What the program would take on the device: every shot of every element at the
    device's default repetition delay (circuit durations aside), as a first estimate."""
    rep_delay = device.configuration.get("default_rep_delay") or 250.0  # microseconds
    return round(item_shots(program) * float(rep_delay) * 1e-6, 3)


def result_json(
    decoded: DecodedProgram,
    params: dict[str, Any],
    item_results: list[dict[str, Any]],
    ran_from: datetime,
    ran_to: datetime,
    service_metadata: dict[str, Any],
) -> str:
    """The result in IBM's model of the params' own schema version, plus the service's metadata."""
    import importlib
    import json

    import numpy as np
    from ibm_quantum_schemas.common import CompressedTensorModel, TensorModel

    version = decoded.version
    models = importlib.import_module(f"ibm_quantum_schemas.executor.version_{version[1:].replace('.', '_')}")
    tensor = CompressedTensorModel if version == "v2.0" else TensorModel
    early = version in ("v0.1", "v0.2")
    data = [
        models.QuantumProgramResultItemModel(
            results={name: tensor.from_numpy(np.ascontiguousarray(array)) for name, array in results.items()},
            metadata=None if version == "v0.1" else models.ItemMetadataModel(),
        )
        for results in item_results
    ]
    parts = []
    for index, item in enumerate(decoded.program.items):
        size = math.prod(item.shape)
        if early:
            parts.append(models.ChunkPart(idx_item=index, size=size))
        else:
            parts.append(models.ChunkPart(
                idx_item=index, size=size, permutation=list(range(len(item.shape))),
                element_range=(0, size, 1),
            ))
    fields: dict[str, Any] = {
        "data": data,
        "metadata": models.MetadataModel(chunk_timing=[models.ChunkSpan(start=ran_from, stop=ran_to, parts=parts)]),
    }
    wire_program = params["quantum_program"]
    if version != "v0.1":
        fields["passthrough_data"] = wire_program.get("passthrough_data")
    if not early:
        fields["semantic_role"] = wire_program.get("semantic_role")
    body = models.QuantumProgramResultModel(**fields).model_dump(mode="json")
    if version != "v0.1":
        body["passthrough_data"] = wire_program.get("passthrough_data")  # verbatim, as sent
    body["metadata"].update(service_metadata)  # extra keys: IBM's model ignores them
    return json.dumps(body, separators=(",", ":"))


PROGRAM = Program(
    name="executor",
    summary="Executor: a QuantumProgram of circuit and samplex items, IBM's directed execution",
    check_request=check_request,
    check_circuits=check_circuits,
    run=run,
    input_field="params.quantum_program",
    runs_dry=True,
)
