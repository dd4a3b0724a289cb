"""Target 9: an executor Sampler job end to end through `qrt serve`, against direct Aer.

A 3-qubit GHZ on ibm_fez, gate- and measure-twirled, 100,000 shots, built as IBM's
executor-based Sampler builds it (32 randomizations of 3,125 shots): submitted over HTTP,
polled, its result fetched and read into counts by the official client's decoders. The
baseline is a direct Aer run of the same bound circuits (one samplex draw, compacted onto
the same qubits) with the same cut noise model, counted.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from bench.harness import Figure, Service, running_service, spread

BACKEND = "ibm_fez"
SHOTS = 100_000
LIMIT = 1.3
POLL_SECONDS = 0.01


def executor_params() -> dict[str, Any]:
    from qiskit import QuantumCircuit, transpile
    from qiskit_ibm_runtime.executor_sampler.prepare import prepare
    from qiskit_ibm_runtime.fake_provider import FakeFez
    from qiskit_ibm_runtime.options_models.sampler import SamplerOptions
    from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS

    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure_all()
    isa = transpile(circuit, FakeFez(), optimization_level=1, seed_transpiler=7)
    options = SamplerOptions()
    options.twirling.enable_gates = True
    options.twirling.enable_measure = True
    program, executor_options = prepare([isa], options, SHOTS)
    program._semantic_role = "sampler_v2"
    encoded = QUANTUM_PROGRAM_PARAMS_CONVERTERS["v2.0"].encoder(program, executor_options)
    return json.loads(json.dumps(encoded.model_dump(mode="json")))


def through_service(service: Service, params: dict[str, Any]) -> float:
    """Seconds from the POST to counts in hand, read as qrt reads them (the official
    client's decoders, then qrt's counting)."""
    import httpx

    from tui.executor_programs import read_results

    headers = service.headers
    started = time.perf_counter()
    with httpx.Client(base_url=f"{service.url}/api/v1", headers=headers, timeout=120) as http:
        response = http.post("/jobs", json={"program_id": "executor", "backend": BACKEND, "params": params})
        response.raise_for_status()
        job_id = response.json()["id"]
        while http.get(f"/jobs/{job_id}").json()["state"]["status"] not in {"Completed", "Failed", "Cancelled"}:
            time.sleep(POLL_SECONDS)
        text = http.get(f"/jobs/{job_id}/results").text
    [counts], _ = read_results(text)
    if counts.shots < SHOTS:
        raise RuntimeError(f"the job returned {counts.shots} shots")
    return time.perf_counter() - started


def direct_aer_seconds(params: dict[str, Any], repeats: int) -> list[float]:
    """The same bound circuits on Aer with the same cut noise: what the simulation costs."""
    import numpy as np
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.fake_provider.executor.broadcast_sample import broadcast_sample

    from tui.server.backends import Catalogue
    from tui.server.independent import instruction_names
    from tui.server.job_worker import compact, cut_device, touched_qubits
    from tui.server.programs.executor import decode_program
    from tui.server.pubs import physical_qubits

    device = Catalogue().get(BACKEND)
    assert device is not None
    program = decode_program(params).program
    [item] = program.items
    physical = physical_qubits(item.circuit)
    cut = cut_device(device, touched_qubits(item.circuit, physical))
    template = compact(item.circuit, physical, cut.index)
    noise = cut_device(device, set(cut.device_qubits), instruction_names(template)).noise
    outputs = broadcast_sample(item.samplex, item.samplex_arguments, tuple(item.shape), np.random.default_rng(1))
    values = outputs["parameter_values"].reshape(-1, template.num_parameters).astype(float)
    bound = [template.assign_parameters(row) for row in values]
    simulator = AerSimulator(noise_model=noise)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = simulator.run(bound, shots=program.shots).result()
        for index in range(len(bound)):
            result.get_counts(index)
        samples.append(time.perf_counter() - started)
    return samples


def bench_executor_runs(repeats: int) -> list[Figure]:
    params = executor_params()
    with running_service() as service:
        through_service(service, params)  # the worker's first executor job imports samplomatic
        runs = [through_service(service, params) for _ in range(repeats)]
    aer = direct_aer_seconds(params, repeats + 1)[1:]
    measured, baseline = statistics.median(runs), statistics.median(aer)
    return [
        Figure(
            "9. executor Sampler, GHZ-3 twirled, 32 x 3,125 shots, ibm_fez, via qrt serve",
            spread(runs, 1000, " ms"),
            f"direct Aer, same bound circuits, same cut noise: {spread(aer, 1000, ' ms')}",
            measured / baseline, f"<= {LIMIT:g}x", measured <= LIMIT * baseline,
        )
    ]
