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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.server.backends import DeviceSnapshot
from tui.server.noise import device_noise_model
from tui.server.options import (
    OptionError,
    default_precision,
    default_shots,
    twirling_plan,
    unapplied_options,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit_aer.noise import NoiseModel

    from tui.server.exact_sampling import DeviceSimulator

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


@dataclass(frozen=True)
class JobOutcome:
    status: str  # Completed or Failed
    result: str
    execution_ns: int = 0
    reason: str | None = None
    log_lines: list[str] = field(default_factory=list)
    reason_code: int | None = None
    peak_rss_mib: float = 0.0  # the worker's high-water mark, to recycle a bloated one


_cut_noise_models: dict[tuple[str, tuple[int, ...]], NoiseModel] = {}
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

    import tui.server.noise  # noqa: F401
    import tui.server.pubs  # noqa: F401
    import tui.server.sampling  # noqa: F401
    import tui.server.twirling  # noqa: F401
    from qiskit_ibm_runtime.models import BackendProperties  # noqa: F401
    from qiskit_ibm_runtime.utils.backend_decoder import properties_from_server_data  # noqa: F401

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
    """The device qubits a job touches, their compact numbering, and their noise."""

    device_qubits: list[int]
    index: dict[int, int]
    noise: NoiseModel


def cut_device(device: DeviceSnapshot, touched: set[int]) -> CutDevice:
    """The cut for `touched`, its noise model kept: jobs repeat the same qubits often."""
    device_qubits = sorted(touched)
    index = {qubit: position for position, qubit in enumerate(device_qubits)}
    key = (device.name, tuple(device_qubits))
    noise = _cut_noise_models.get(key)
    if noise is None:
        props_file = str(device.props_file) if device.props_file else None
        noise = device_noise_model(str(device.conf_file), props_file, device_qubits)
        if len(_cut_noise_models) >= CUT_NOISE_MODELS_KEPT:
            del _cut_noise_models[next(iter(_cut_noise_models))]  # the oldest
        _cut_noise_models[key] = noise
    return CutDevice(device_qubits, index, noise)


def compact_observables(observables: Any, physical: list[int], index: dict[int, int]) -> Any:
    """Observables over the circuit's qubits, renumbered onto the compacted circuit."""
    import numpy as np
    from qiskit.primitives.containers.observables_array import ObservablesArray
    from qiskit.quantum_info import SparseObservable

    sparse = observables.sparse_observables_array()
    compacted = np.empty(sparse.shape, dtype=object)
    for position, observable in np.ndenumerate(sparse):
        terms = [
            (label, [index[physical[q]] for q in qubits], coeff)
            for label, qubits, coeff in observable.to_sparse_list()
        ]
        compacted[position] = SparseObservable.from_sparse_list(terms, num_qubits=len(index))
    return ObservablesArray(compacted, num_qubits=len(index))


def observable_qubits(observables: Any, physical: list[int]) -> set[int]:
    return {
        physical[q]
        for observable in observables.sparse_observables_array().flat
        for _, qubits, _ in observable.to_sparse_list()
        for q in qubits
    }


def job_qubits(program: str, pubs: list[Any], physical_by_pub: list[list[int]] | None = None) -> set[int]:
    """The device qubits a job touches: what its compacted circuits are as wide as."""
    from tui.server.pubs import physical_qubits

    if physical_by_pub is None:
        physical_by_pub = [physical_qubits(pub.circuit) for pub in pubs]
    touched: set[int] = set()
    for pub, physical in zip(pubs, physical_by_pub):
        touched |= touched_qubits(pub.circuit, physical)
        if program == "estimator":
            touched |= observable_qubits(pub.observables, physical)
    return touched


def _metadata(
    device: DeviceSnapshot,
    cut: CutDevice,
    seed: Any,
    applied: dict[str, Any],
    not_applied: list[str],
    simulator: DeviceSimulator,
) -> dict[str, Any]:
    return {
        "version": 2,
        "simulator": {
            "backend": device.name,
            "device_qubits": cut.device_qubits,
            "noise_model": "device snapshot, cut to the qubits used",
            "seed_simulator": seed,
            "methods": sorted(simulator.methods_used),
            "approximations": sorted(simulator.approximations),
        },
        "options_applied": applied,
        "options_not_applied": not_applied,
    }


def _completed(
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
        from qiskit_ibm_runtime.json import RuntimeEncoder

        primitive_result = tagged()
        primitive_result.metadata.update(metadata)
        text = json.dumps(primitive_result, cls=RuntimeEncoder)
    else:
        text = plain_text()
    simulator = metadata["simulator"]
    log_lines = [summary, f"simulated with {', '.join(simulator['methods']) or 'aer'}"]
    log_lines += [f"approximated: {note}" for note in simulator["approximations"]]
    if metadata["options_not_applied"]:
        log_lines.append(
            f"options accepted but not simulated: {'; '.join(metadata['options_not_applied'])}"
        )
    return JobOutcome("Completed", text, execution_ns, log_lines=log_lines)


def _job_inputs(
    spec: JobSpec, parse: Callable[[dict[str, Any], DeviceSnapshot], list[Any]]
) -> tuple[DeviceSnapshot, dict[str, Any], list[Any], list[list[int]], Any]:
    """The device, options, parsed pubs, each pub's device qubits, and the seed."""
    from tui.server.pubs import physical_qubits

    device = device_from_spec(spec)
    options = spec.params.get("options") or {}
    pubs = parse(spec.params, device)
    seed = (options.get("simulator") or {}).get("seed_simulator")
    return device, options, pubs, [physical_qubits(pub.circuit) for pub in pubs], seed


def run_sampler(spec: JobSpec) -> JobOutcome:
    from tui.server.pubs import parse_sampler_pubs
    from tui.server.sampling import plain_sampler_json, primitive_result, run_sampler_pubs
    from tui.server.twirling import noisy_simulator

    params = spec.params
    device, options, pubs, physical_by_pub, seed = _job_inputs(spec, parse_sampler_pubs)
    cut = cut_device(device, job_qubits("sampler", pubs, physical_by_pub))
    shots = default_shots(params)
    plan = twirling_plan("sampler", params)
    compacted = [
        (
            compact(pub.circuit, physical, cut.index),
            pub.parameter_values,
            plan.total_shots(pub.shots or shots) if plan else pub.shots,
        )
        for pub, physical in zip(pubs, physical_by_pub)
    ]
    started = time.perf_counter_ns()
    ran_from = datetime.now(timezone.utc)
    simulator = noisy_simulator(cut.noise, plan, seed, exact=True, memory_mib=spec.memory_mib)
    pub_samples = run_sampler_pubs(simulator, compacted, shots, seed)
    ran_to = datetime.now(timezone.utc)
    execution_ns = time.perf_counter_ns() - started
    applied = {"twirling": plan.describe([pub.shots or shots for pub in pubs])} if plan else {}
    metadata = _metadata(
        device, cut, seed, applied, unapplied_options("sampler", params, options), simulator
    )
    metadata["simulator"]["simulation"] = [pub.simulation for pub in pub_samples]
    # One span for the whole run, every pub's shots in it: what IBM's result metadata shows.
    # A span's shape is the pub's with its shots last (qiskit_ibm_runtime.execution_span).
    slices = {index: ((*pub.shape, pub.shots), math.prod(pub.shape), pub.shots)
              for index, pub in enumerate(pub_samples)}

    def tagged_execution() -> dict[str, Any]:
        from qiskit_ibm_runtime.execution_span import DoubleSliceSpan, ExecutionSpans

        span = DoubleSliceSpan(ran_from, ran_to, {
            index: (shape, slice(0, size), slice(0, pub_shots)) for index, (shape, size, pub_shots) in slices.items()
        })
        return {"execution_spans": ExecutionSpans([span])}

    plain_execution = {"execution_spans": [{
        "start": ran_from.isoformat(), "stop": ran_to.isoformat(),
        "data_slices": {str(index): [list(shape), 0, size, 0, pub_shots]
                        for index, (shape, size, pub_shots) in slices.items()},
    }]}
    return _completed(
        spec,
        lambda: primitive_result(pub_samples, {"version": 2, "execution": tagged_execution()}),
        lambda: plain_sampler_json(pub_samples, {**metadata, "execution": plain_execution}),
        metadata, execution_ns,
        f"sampler: {len(pubs)} pub(s) on {device.name} qubits {cut.device_qubits}",
    )


def _plain_number(values: Any) -> Any:
    return values.tolist() if hasattr(values, "tolist") else values


def run_estimator(spec: JobSpec) -> JobOutcome:
    from tui.server.mitigation import noisy_estimator
    from tui.server.pubs import parse_estimator_pubs

    params = spec.params
    device, options, pubs, physical_by_pub, seed = _job_inputs(spec, parse_estimator_pubs)
    cut = cut_device(device, job_qubits("estimator", pubs, physical_by_pub))
    estimator, applied = noisy_estimator(
        cut.noise, len(cut.index), params, options,
        {"default_precision": default_precision(params), "seed_simulator": seed},
        memory_mib=spec.memory_mib,
    )
    compacted = [
        (
            compact(pub.circuit, physical, cut.index),
            compact_observables(pub.observables, physical, cut.index),
            pub.parameter_values,
            pub.precision,
        )
        for pub, physical in zip(pubs, physical_by_pub)
    ]
    started = time.perf_counter_ns()
    primitive_result = estimator.run(compacted).result()
    execution_ns = time.perf_counter_ns() - started
    metadata = _metadata(
        device, cut, seed, applied, unapplied_options("estimator", params, options),
        estimator.backend,
    )

    def plain() -> dict[str, Any]:
        # Twirled shots are pooled into one ensemble, so its standard error is the std itself.
        results = [
            {
                "data": {
                    "evs": _plain_number(pub_result.data.evs),
                    "stds": _plain_number(pub_result.data.stds),
                    "ensemble_standard_error": _plain_number(pub_result.data.stds),
                },
                "metadata": dict(pub_result.metadata),
            }
            for pub_result in primitive_result
        ]
        return {"results": results, "metadata": metadata}

    return _completed(
        spec, lambda: primitive_result, lambda: json.dumps(plain()), metadata, execution_ns,
        f"estimator: {len(pubs)} pub(s) on {device.name} qubits {cut.device_qubits}",
    )


def run_job(spec: JobSpec) -> JobOutcome:
    """Entry point in the worker; never raises (but MemoryError, which ends the worker)."""
    from dataclasses import replace

    from tui.server.workers import peak_rss_mib

    return replace(_run_program(spec), peak_rss_mib=peak_rss_mib())


def _run_program(spec: JobSpec) -> JobOutcome:
    from tui.server.exact_sampling import SimulationFailed
    from tui.server.methods import SimulationRefused
    from tui.server.pubs import PubError

    try:
        if spec.program == "sampler":
            return run_sampler(spec)
        if spec.program == "estimator":
            return run_estimator(spec)
        return _failed(f"program '{spec.program}' is not supported by the local service yet")
    except (PubError, OptionError, SimulationFailed, SimulationRefused) as exc:
        return _failed(str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the detail goes to the logs, not the reason
        reason = "the local simulator hit an internal error on this job; its logs say more"
        return JobOutcome(
            "Failed", f"Job failed: {reason}", reason=reason,
            log_lines=[reason, f"internal error: {type(exc).__name__}: {exc}"],
        )


def _failed(reason: str) -> JobOutcome:
    return JobOutcome("Failed", f"Job failed: {reason}", reason=reason, log_lines=[reason])
