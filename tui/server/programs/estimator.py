"""The Estimator (`program_id: "estimator"`, params version 2): expectation values of observables.

Pubs are `[circuit, observables, parameter_values?, precision?]`; resilience levels 1 and 2
apply measurement twirling and TREX on the same noisy simulator (`tui.server.mitigation`);
the result is IBM's plain JSON or the type-tagged `PrimitiveResult`.
"""

from __future__ import annotations

import json
import math
import time
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
)
from tui.server.options import (
    calibration_shape,
    check_options,
    default_precision,
    twirling_plan,
    unapplied_options,
    wants_measure_mitigation,
)
from tui.server.programs.base import Program
from tui.server.programs.sampler import check_version_2
from tui.server.zne import ZnePlan, zne_plan

if TYPE_CHECKING:
    from tui.server.backends import DeviceSnapshot


def check_request(params: dict[str, Any]) -> None:
    check_version_2(params)
    check_options("estimator", params)
    zne_plan(params, params.get("options") or {})


def estimator_shots(params: dict[str, Any], pubs: list[Any]) -> int:
    """The shots the simulator would run, counted per observable and parameter set before
    grouping observables into measurement bases (so a lower bound), calibration included."""
    from qiskit.primitives.containers.estimator_pub import EstimatorPub as QiskitEstimatorPub

    from tui.server.pubs import PubError

    options = params.get("options") or {}
    plan = twirling_plan("estimator", params)
    zne = zne_plan(params, options)
    amplified = len(zne.noise_factors) if zne else 1
    total = 0
    for index, pub in enumerate(pubs):
        precision = max(pub.precision or default_precision(params), 1e-9)
        shots = math.ceil(1 / precision**2)
        try:
            shape = QiskitEstimatorPub.coerce((pub.circuit, pub.observables, pub.parameter_values)).shape
        except Exception as exc:  # noqa: BLE001 - qiskit raises several types for bad shapes
            raise PubError(f"pubs[{index}]: {exc}") from None
        total += (plan.total_shots(shots) if plan else shots) * math.prod(shape) * amplified
    if wants_measure_mitigation(params, options):
        randomizations, each = calibration_shape(options)
        total += randomizations * each
    return total


def estimator_qubits(pubs: list[Any], physical_by_pub: list[list[int]]) -> set[int]:
    """The device qubits the circuits and the observables touch."""
    touched = circuits_qubits(pubs, physical_by_pub)
    for pub, physical in zip(pubs, physical_by_pub):
        touched |= observable_qubits(pub.observables, physical)
    return touched


def check_circuits(params: dict[str, Any], device: DeviceSnapshot, memory_mib: int) -> None:
    from tui.server.methods import check_simulable
    from tui.server.pubs import check_shot_total, parse_estimator_pubs, physical_qubits

    pubs = parse_estimator_pubs(params, device)
    check_shot_total(estimator_shots(params, pubs))
    physical_by_pub = [physical_qubits(pub.circuit) for pub in pubs]
    check_simulable([pub.circuit for pub in pubs], len(estimator_qubits(pubs, physical_by_pub)), memory_mib)


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


def _plain_number(values: Any) -> Any:
    return values.tolist() if hasattr(values, "tolist") else values


def run(spec: JobSpec) -> JobOutcome:
    from tui.server.mitigation import noisy_estimator
    from tui.server.pubs import parse_estimator_pubs

    params = spec.params
    device, options, pubs, physical_by_pub, seed = job_inputs(spec, parse_estimator_pubs)
    cut = cut_device(device, estimator_qubits(pubs, physical_by_pub))
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
    plan = zne_plan(params, options)
    started = time.perf_counter_ns()
    if plan is None:
        primitive_result = estimator.run(compacted).result()
    else:
        primitive_result = _extrapolated(estimator, compacted, plan, seed, options)
        applied.setdefault("resilience", {})["zne_mitigation"] = (
            f"zero-noise extrapolation: two-qubit gates folded ({plan.amplifier}) to noise factors "
            f"{', '.join(f'{f:g}' for f in plan.noise_factors)} on the same noisy simulator, "
            f"extrapolated with {', '.join(plan.extrapolators)}"
        )
    execution_ns = time.perf_counter_ns() - started
    metadata = job_metadata(
        device, cut, seed, applied, unapplied_options("estimator", params, options),
        estimator.backend,
    )

    def plain() -> dict[str, Any]:
        # Twirled shots are pooled into one ensemble, so its standard error is the std itself.
        results = [
            {
                "data": {
                    **{name: _plain_number(pub_result.data[name]) for name in pub_result.data},
                    "ensemble_standard_error": _plain_number(pub_result.data.stds),
                },
                "metadata": dict(pub_result.metadata),
            }
            for pub_result in primitive_result
        ]
        return {"results": results, "metadata": {**metadata, **_resilience_metadata(plan, options, params)}}

    def tagged() -> Any:
        primitive_result.metadata.update(_resilience_metadata(plan, options, params))
        return primitive_result

    return completed(
        spec, tagged, lambda: json.dumps(plain()), metadata, execution_ns,
        f"estimator: {len(pubs)} pub(s) on {device.name} qubits {cut.device_qubits}",
    )


def _resilience_metadata(plan: ZnePlan | None, options: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """IBM's result metadata `resilience`: what was mitigated, and how ZNE ran."""
    resilience: dict[str, Any] = {
        "measure_mitigation": wants_measure_mitigation(params, options),
        "zne_mitigation": plan is not None,
        "pec_mitigation": False,
    }
    if plan is not None:
        resilience["zne"] = plan.describe()
    return {"resilience": resilience}


def _extrapolated(
    estimator: Any, compacted: list[tuple[Any, Any, Any, Any]], plan: ZnePlan, seed: Any, options: dict[str, Any]
) -> Any:
    """Each pub at every noise factor (one run), extrapolated to zero noise (`tui.server.zne`)."""
    import numpy as np
    from qiskit.primitives import DataBin, PrimitiveResult, PubResult

    from tui.server.zne import folded, zne_estimate

    factors = plan.noise_factors
    runs = [
        (folded(circuit, factor, plan.amplifier, seed), observables, values, precision)
        for circuit, observables, values, precision in compacted
        for factor in factors
    ]
    raw = estimator.run(runs).result()
    pubs = []
    for index, (_, observables, _, _) in enumerate(compacted):
        at_factors = [raw[index * len(factors) + k] for k in range(len(factors))]
        evs = np.stack([np.asarray(r.data.evs) for r in at_factors], axis=-1)
        stds = np.stack([np.asarray(r.data.stds) for r in at_factors], axis=-1)
        largest = np.vectorize(lambda o: float(np.sum(np.abs(o.coeffs))), otypes=[float])(
            observables.sparse_observables_array()
        )
        estimate = zne_estimate(plan, evs, stds, np.broadcast_to(largest, evs.shape[:-1]))
        shape = evs.shape[:-1]
        chosen: Any = estimate.chosen[0] if not shape else estimate.chosen
        metadata = {**at_factors[0].metadata, "resilience": {"zne": {"extrapolator": chosen}}}
        pubs.append(PubResult(DataBin(**estimate.fields(), shape=shape), metadata=metadata))
    return PrimitiveResult(pubs, metadata=dict(raw.metadata))


PROGRAM = Program(
    name="estimator",
    summary="Estimator V2: expectation values of observables, with readout mitigation",
    check_request=check_request,
    check_circuits=check_circuits,
    run=run,
)
