"""What runs inside a worker process: one primitive job with qiskit-aer and device noise.

Every job runs on the noise of just the device qubits its circuits touch (built from the
calibration cut to them, `tui.server.noise`, and kept for the next job on the same
qubits), with the circuits compacted onto those qubits, so that a Bell pair on
`ibm_brisbane` simulates two qubits with the noise of the two device qubits it was
transpiled onto. The result's metadata names the Aer method that ran and anything the
simulation approximated (`tui.server.methods`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui.server.backends import DeviceSnapshot
from tui.server.noise import device_noise_model
from tui.server.options import (
    OptionError,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit_aer.noise import NoiseModel


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs; plain data so that it pickles across processes."""

    job_id: str
    program: str
    params: dict[str, Any]
    conf_file: str
    props_file: str | None
    support_qiskit: bool
    memory_mib: int | None = None  # what this worker may use; the simulation method fits it
    dry_run: bool = False  # on a mock backend: validate and time, return random data
    backend_name: str | None = None  # as the job named it (a mock backend's own name)


@dataclass(frozen=True)
class JobOutcome:
    status: str  # Completed or Failed
    result: str
    execution_ns: int = 0
    reason: str | None = None
    log_lines: list[str] = field(default_factory=list)
    reason_code: int | None = None
    peak_rss_mib: float = 0.0  # the worker's high-water mark, to recycle a bloated one


_cut_noise_models: dict[tuple[str, tuple[int, ...], frozenset[str] | None], NoiseModel] = {}
CUT_NOISE_MODELS_KEPT = 64


def warm_up() -> None:
    """Pool initializer: pay the heavy imports before the first job arrives.

    What the imports built lives as long as the worker, so it is frozen out of the cyclic
    collector (`keep_out_of_full_collections`). (The worker dies with the service:
    `tui.server.workers`.)
    """
    import qiskit_aer  # noqa: F401
    from qiskit.primitives import BackendEstimatorV2  # noqa: F401
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2  # noqa: F401
    from qiskit_ibm_runtime.models import BackendProperties  # noqa: F401
    from qiskit_ibm_runtime.utils.backend_decoder import properties_from_server_data  # noqa: F401

    import tui.server.noise  # noqa: F401
    import tui.server.pubs  # noqa: F401
    import tui.server.sampling  # noqa: F401
    import tui.server.twirling  # noqa: F401

    keep_out_of_full_collections()


def keep_out_of_full_collections() -> None:
    """Move everything alive now out of reach of the cyclic garbage collector.

    A worker holds qiskit, Aer and each device's full noise model for its whole life, and
    every full collection walked all of it: one big-shot job in five or six took 250-300 ms
    instead of 50. Objects frozen here are still freed by reference counting.
    """
    import gc

    gc.freeze()


def device_from_spec(spec: JobSpec) -> DeviceSnapshot:
    return snapshot(spec.conf_file, spec.props_file)


@lru_cache(maxsize=16)
def snapshot(conf_file: str, props_file: str | None) -> DeviceSnapshot:
    """A device as the worker keeps it: its files parsed once, not once per job."""
    conf = Path(conf_file)
    return DeviceSnapshot(conf.parent, conf, Path(props_file) if props_file else None)


def compact(circuit: QuantumCircuit, physical: list[int], index: dict[int, int]) -> QuantumCircuit:
    """The circuit on len(index) qubits, device qubit q becoming qubit index[q]."""
    from qiskit import QuantumCircuit

    compacted = QuantumCircuit(len(index), name=circuit.name, metadata=circuit.metadata)
    for register in circuit.cregs:
        compacted.add_register(register)
    loose_clbits = [bit for bit in circuit.clbits if not circuit.find_bit(bit).registers]
    if loose_clbits:
        compacted.add_bits(loose_clbits)
    for instruction in circuit.data:
        qubits = [
            compacted.qubits[index[physical[circuit.find_bit(q).index]]] for q in instruction.qubits
        ]
        compacted.append(instruction.operation, qubits, instruction.clbits, copy=False)
    compacted.global_phase = circuit.global_phase
    return compacted


def touched_qubits(circuit: QuantumCircuit, physical: list[int]) -> set[int]:
    return {
        physical[circuit.find_bit(q).index]
        for instruction in circuit.data
        if instruction.operation.name != "barrier"
        for q in instruction.qubits
    }


@dataclass(frozen=True)
class CutDevice:
    """The device qubits a job touches, their compact numbering, and (built when first
    asked for, then kept: jobs repeat the same qubits often) their noise."""

    device: DeviceSnapshot
    device_qubits: list[int]
    index: dict[int, int]
    gate_names: frozenset[str] | None = None  # only these gates' errors; None: every gate

    @property
    def noise(self) -> NoiseModel:
        key = (self.device.name, tuple(self.device_qubits), self.gate_names)
        noise = _cut_noise_models.get(key)
        if noise is None:
            props_file = str(self.device.props_file) if self.device.props_file else None
            noise = device_noise_model(str(self.device.conf_file), props_file, self.device_qubits, self.gate_names)
            if len(_cut_noise_models) >= CUT_NOISE_MODELS_KEPT:
                del _cut_noise_models[next(iter(_cut_noise_models))]  # the oldest
            _cut_noise_models[key] = noise
        return noise


def cut_device(device: DeviceSnapshot, touched: set[int], gate_names: frozenset[str] | None = None) -> CutDevice:
    device_qubits = sorted(touched)
    return CutDevice(device, device_qubits, {qubit: position for position, qubit in enumerate(device_qubits)}, gate_names)


def circuits_qubits(pubs: list[Any], physical_by_pub: list[list[int]]) -> set[int]:
    """The device qubits a job's circuits touch: what its compacted circuits are as wide as."""
    touched: set[int] = set()
    for pub, physical in zip(pubs, physical_by_pub):
        touched |= touched_qubits(pub.circuit, physical)
    return touched


class SimulationRecord(Protocol):
    """What a simulator says it did: the Aer methods that ran and what was approximated."""

    @property
    def methods_used(self) -> set[str]: ...

    @property
    def approximations(self) -> set[str]: ...


def job_metadata(
    device: DeviceSnapshot,
    cut: CutDevice,
    seed: Any,
    applied: dict[str, Any],
    not_applied: list[str],
    *simulators: SimulationRecord | None,
) -> dict[str, Any]:
    """The result's account of the run; `simulators` are whatever ran its circuits."""
    ran = [simulator for simulator in simulators if simulator is not None]
    return {
        "version": 2,
        "simulator": {
            "backend": device.name,
            "device_qubits": cut.device_qubits,
            "noise_model": "device snapshot, cut to the qubits used",
            "seed_simulator": seed,
            "methods": sorted(set().union(*(simulator.methods_used for simulator in ran))),
            "approximations": sorted(set().union(*(simulator.approximations for simulator in ran))),
        },
        "options_applied": applied,
        "options_not_applied": not_applied,
    }


def completed(
    spec: JobSpec,
    tagged: Callable[[], Any],
    plain_text: Callable[[], str],
    metadata: dict[str, Any],
    execution_ns: int,
    summary: str,
) -> JobOutcome:
    """Type-tagged JSON (qiskit's encoder) if the client asked for it, else IBM's plain JSON.

    `tagged` gives the qiskit PrimitiveResult and `plain_text` the plain JSON text; only
    the one asked for is built.
    """
    if spec.support_qiskit:
        primitive_result = tagged()
        primitive_result.metadata.update(metadata)
        text = json.dumps(primitive_result, cls=tagged_encoder())
    else:
        text = plain_text()
    return JobOutcome("Completed", text, execution_ns, log_lines=run_log_lines(summary, metadata))


def run_log_lines(summary: str, metadata: dict[str, Any]) -> list[str]:
    """The job log's account of a run: what ran, how, what was approximated or not applied."""
    simulator = metadata["simulator"]
    log_lines = [summary, f"simulated with {', '.join(simulator['methods']) or 'aer'}"]
    log_lines += [f"approximated: {note}" for note in simulator["approximations"]]
    if metadata["options_not_applied"]:
        log_lines.append(
            f"options accepted but not simulated: {'; '.join(metadata['options_not_applied'])}"
        )
    return log_lines


@lru_cache(maxsize=1)
def tagged_encoder() -> type[json.JSONEncoder]:
    """qiskit-ibm-runtime's encoder, with what IBM's own models require of a DataBin that it
    leaves out: `field_types`, the type of each field (`BitArray`, `ndarray`), and every
    number field an array (a shape-() pub's `stds` came out as a bare float)."""
    import numpy as np
    from qiskit.primitives.containers import DataBin
    from qiskit_ibm_runtime.json import RuntimeEncoder

    class IbmShapedEncoder(RuntimeEncoder):
        def default(self, obj: Any) -> Any:
            if not isinstance(obj, DataBin):
                return super().default(obj)
            fields = {
                name: np.asarray(value) if isinstance(value, (int, float, np.number)) else value
                for name, value in obj.items()
            }
            return {"__type__": "DataBin", "__value__": {
                "field_names": list(fields), "field_types": [type(value).__name__ for value in fields.values()],
                "shape": obj.shape, "fields": fields,
            }}

    return IbmShapedEncoder


def job_inputs(
    spec: JobSpec, parse: Callable[[dict[str, Any], DeviceSnapshot], list[Any]]
) -> tuple[DeviceSnapshot, dict[str, Any], list[Any], list[list[int]], Any]:
    """The device, options, parsed pubs, each pub's device qubits, and the seed."""
    from tui.server.pubs import physical_qubits

    device = device_from_spec(spec)
    options = spec.params.get("options") or {}
    pubs = parse(spec.params, device)
    seed = (options.get("simulator") or {}).get("seed_simulator")
    return device, options, pubs, [physical_qubits(pub.circuit) for pub in pubs], seed


def run_job(spec: JobSpec) -> JobOutcome:
    """Entry point in the worker; never raises (but MemoryError, which ends the worker)."""
    from dataclasses import replace

    from tui.server.workers import peak_rss_mib

    return replace(_run_program(spec), peak_rss_mib=peak_rss_mib())


def _run_program(spec: JobSpec) -> JobOutcome:
    from tui.server.exact_sampling import SimulationFailed
    from tui.server.methods import SimulationRefused
    from tui.server.programs import ProgramInputError, program_named
    from tui.server.pubs import PubError

    program = program_named(spec.program)
    if program is None:
        return failed(f"program '{spec.program}' is not supported by the local service")
    try:
        return program.run(spec)
    except (PubError, OptionError, ProgramInputError, SimulationFailed, SimulationRefused) as exc:
        return failed(str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the detail goes to the logs, not the reason
        reason = "the local simulator hit an internal error on this job; its logs say more"
        return JobOutcome(
            "Failed", f"Job failed: {reason}", reason=reason,
            log_lines=[reason, f"internal error: {type(exc).__name__}: {exc}"],
        )


def failed(reason: str) -> JobOutcome:
    return JobOutcome("Failed", f"Job failed: {reason}", reason=reason, log_lines=[reason])
