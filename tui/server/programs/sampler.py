"""The Sampler (`program_id: "sampler"`, params version 2): counts of each pub's classical bits.

Pubs are `[circuit, parameter_values?, shots?]`; twirling (none by default) sizes the
shots as IBM does; the result is IBM's plain JSON or, when the client asks for it, the
type-tagged `PrimitiveResult` of BitArrays.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tui.server.job_worker import (
    JobOutcome,
    JobSpec,
    circuits_qubits,
    compact,
    completed,
    cut_device,
    job_inputs,
    job_metadata,
    touched_qubits,
)
from tui.server.options import check_options, default_shots, twirling_plan, unapplied_options
from tui.server.programs.base import Program, ProgramInputError

if TYPE_CHECKING:
    from tui.server.backends import DeviceSnapshot


def check_version_2(params: dict[str, Any]) -> None:
    if params.get("version", 2) != 2:
        raise ProgramInputError("params.version must be 2.")


def check_request(params: dict[str, Any]) -> None:
    check_version_2(params)
    check_options("sampler", params)


def sampler_shots(params: dict[str, Any], pubs: list[Any]) -> int:
    """How many shots the simulator would run: pubs x parameter sets x shots, twirling included."""
    from qiskit.primitives.containers.sampler_pub import SamplerPub as QiskitSamplerPub

    from tui.server.pubs import PubError

    plan = twirling_plan("sampler", params)
    total = 0
    for index, pub in enumerate(pubs):
        shots = pub.shots or default_shots(params)
        try:
            shape = QiskitSamplerPub.coerce((pub.circuit, pub.parameter_values)).shape
        except Exception as exc:  # noqa: BLE001 - qiskit raises several types for bad shapes
            raise PubError(f"pubs[{index}]: {exc}") from None
        total += (plan.total_shots(shots) if plan else shots) * math.prod(shape)
    return total


def check_circuits(params: dict[str, Any], device: DeviceSnapshot, memory_mib: int) -> None:
    from tui.server.independent import simulated_width
    from tui.server.methods import check_simulable
    from tui.server.pubs import check_shot_total, parse_sampler_pubs, physical_qubits

    pubs = parse_sampler_pubs(params, device)
    check_shot_total(sampler_shots(params, pubs))
    physical_by_pub = [physical_qubits(pub.circuit) for pub in pubs]
    if twirling_plan("sampler", params) is not None:  # twirled pubs run whole
        check_simulable([pub.circuit for pub in pubs], len(circuits_qubits(pubs, physical_by_pub)), memory_mib)
        return
    for pub, physical in zip(pubs, physical_by_pub):
        touched = len(touched_qubits(pub.circuit, physical))
        check_simulable([pub.circuit], simulated_width(pub.circuit, touched), memory_mib)


def run(spec: JobSpec) -> JobOutcome:
    from tui.server.independent import BlockSimulators, blocked_pub_samples, splits
    from tui.server.pubs import parse_sampler_pubs
    from tui.server.sampling import plain_sampler_json, primitive_result, run_sampler_pubs
    from tui.server.twirling import noisy_simulator

    params = spec.params
    device, options, pubs, physical_by_pub, seed = job_inputs(spec, parse_sampler_pubs)
    cut = cut_device(device, circuits_qubits(pubs, physical_by_pub))
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
    # A device-wide circuit (measure_all on an ISA circuit) runs block by block; twirled pubs
    # and circuits that do not split run whole, on the cut of every qubit the job touches.
    blocks = BlockSimulators(device, cut, seed, spec.memory_mib)
    whole = [index for index, (circuit, _, _) in enumerate(compacted) if plan is not None or not splits(circuit)]
    simulator = noisy_simulator(cut.noise, plan, seed, exact=True, memory_mib=spec.memory_mib) if whole else None
    by_index: dict[int, Any] = {}
    if simulator is not None:
        by_index.update(zip(whole, run_sampler_pubs(simulator, [compacted[index] for index in whole], shots, seed)))
    for index, (circuit, values, pub_shots) in enumerate(compacted):
        if index not in by_index:
            by_index[index] = blocked_pub_samples(circuit, values, pub_shots or shots, blocks)
    pub_samples = [by_index[index] for index in range(len(compacted))]
    ran_to = datetime.now(timezone.utc)
    execution_ns = time.perf_counter_ns() - started
    applied = {"twirling": plan.describe([pub.shots or shots for pub in pubs])} if plan else {}
    metadata = job_metadata(
        device, cut, seed, applied, unapplied_options("sampler", params, options), blocks, simulator
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
    return completed(
        spec,
        lambda: primitive_result(pub_samples, {"version": 2, "execution": tagged_execution()}),
        lambda: plain_sampler_json(pub_samples, {**metadata, "execution": plain_execution}),
        metadata, execution_ns,
        f"sampler: {len(pubs)} pub(s) on {device.name} qubits {cut.device_qubits}",
    )


PROGRAM = Program(
    name="sampler",
    summary="Sampler V2: counts of each pub's classical registers",
    check_request=check_request,
    check_circuits=check_circuits,
    run=run,
)
