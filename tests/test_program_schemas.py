"""IBM's published models are the contract: what `qrt serve` accepts and returns for the
executor program validates against `ibm_quantum_schemas`, in every schema version the
official client can send, and bad programs get a 400 that names the field."""

from __future__ import annotations

import importlib
import json
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.service import error_message, wait_final

SCHEMA_VERSIONS = ["v0.1", "v0.2", "v1.0", "v1.1", "v2.0"]


def models(version: str) -> Any:
    return importlib.import_module(f"ibm_quantum_schemas.executor.version_{version[1:].replace('.', '_')}")


def program_params(version: str) -> dict[str, Any]:
    """A Bell circuit item and a 2-point sweep on one qubit, as the client encodes them in `version`."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit import Parameter
    from qiskit_ibm_runtime import ExecutorOptions, QuantumProgram
    from qiskit_ibm_runtime.fake_provider import FakeFez
    from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS

    backend = FakeFez()
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    theta = Parameter("theta")
    rotation = QuantumCircuit(1)
    rotation.rx(theta, 0)
    rotation.measure_all()
    program = QuantumProgram(shots=200)
    program.append_circuit_item(transpile(bell, backend, optimization_level=1, seed_transpiler=1))
    program.append_circuit_item(
        transpile(rotation, backend, optimization_level=1, seed_transpiler=1),
        circuit_arguments=np.array([[0.0], [np.pi]]),
    )
    encoded = QUANTUM_PROGRAM_PARAMS_CONVERTERS[version].encoder(program, ExecutorOptions())
    return json.loads(json.dumps(encoded.model_dump(mode="json")))


def submit(service: ServiceInfo, params: dict[str, Any], backend: str = "ibm_fez") -> httpx.Response:
    body = {"program_id": "executor", "backend": backend, "params": params}
    return httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body, timeout=60)


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_schema_version_round_trips_through_ibms_models(service: ServiceInfo, version: str) -> None:
    from functools import reduce

    from qiskit_ibm_runtime.decoders.defaults import DEFAULT_DECODERS

    params = program_params(version)
    module = models(version)
    module.ParamsModel.model_validate(params)
    response = submit(service, params)
    assert response.status_code == 200, response.text
    job_id = response.json()["id"]
    job = wait_final(service, service.headers(), job_id)
    assert job["status"] == "Completed", job["state"]
    stored = httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=service.headers()).json()["params"]
    module.ParamsModel.model_validate(stored)  # the params as the service keeps and shows them
    text = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=service.headers()).text
    module.QuantumProgramResultModel.model_validate_json(text)
    body = json.loads(text)
    assert body["schema_version"] == version
    assert body["metadata"]["simulator"]["methods"], body["metadata"]  # which method ran, said
    # The official client reads it as the program's result: per item, per register.
    result = reduce(lambda r, d: d.decode(r) if d.is_applicable(r) else r, DEFAULT_DECODERS["executor"], text)
    bell, sweep = result[0]["meas"], result[1]["meas"]
    assert bell.shape == (200, 2) and bell.dtype == bool
    assert (bell[:, 0] == bell[:, 1]).mean() > 0.85
    assert sweep.shape == (2, 200, 1)
    assert sweep[0].mean() < 0.1 and sweep[1].mean() > 0.9


def test_bad_programs_are_refused_naming_the_field(service: ServiceInfo) -> None:
    good = program_params("v2.0")
    cases = {
        "params.schema_version must be one of": {**good, "schema_version": "v9.9"},
        "params.quantum_program must be an object": {**good, "quantum_program": [1]},
        "params.quantum_program.shots": {**good, "quantum_program": {**good["quantum_program"], "shots": -3}},
        "params.quantum_program: the program could not be decoded": {
            **good, "quantum_program": {**good["quantum_program"], "circuits": {"b64_data": "bm90IHFweQ==",
                                                                               "qpy_version": 18, "num_programs": 2}}},
        "params.quantum_program.items.0": {
            **good, "quantum_program": {**good["quantum_program"], "items": [{"item_type": "other"}] * 2}},
        "params.quantum_program.meas_level": {
            **good, "quantum_program": {**good["quantum_program"], "meas_level": "kerneled"}},
    }
    for expected, params in cases.items():
        response = submit(service, params)
        assert response.status_code == 400, (expected, response.text)
        assert error_message(response).startswith(expected), (expected, error_message(response))


def test_a_program_that_is_not_isa_is_refused(service: ServiceInfo) -> None:
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime import ExecutorOptions, QuantumProgram
    from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    program = QuantumProgram(shots=10)
    program.append_circuit_item(circuit)
    params = QUANTUM_PROGRAM_PARAMS_CONVERTERS["v2.0"].encoder(program, ExecutorOptions()).model_dump(mode="json")
    response = submit(service, params)
    assert response.status_code == 400
    assert "params.quantum_program.items[0]: the circuit is not ISA for ibm_fez" in error_message(response)


def test_classic_programs_are_not_dry_run(service: ServiceInfo, bell_isa_qasm: str) -> None:
    body = {"program_id": "sampler", "backend": "mock_brisbane",
            "params": {"pubs": [[bell_isa_qasm, None, 10]], "version": 2}}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body)
    assert response.status_code == 400
    assert error_message(response).startswith("backend: mock_brisbane is a mock backend")


def test_samplex_programs_and_dry_runs_validate_too(service: ServiceInfo) -> None:
    """The executor-based Estimator's program (samplex items, basis changes, a TREX
    calibration item) and a dry run on a mock backend: params and results in IBM's model."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime.executor_estimator.prepare import prepare
    from qiskit_ibm_runtime.fake_provider import FakeFez
    from qiskit_ibm_runtime.options_models.estimator import EstimatorOptions
    from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    isa = transpile(circuit, FakeFez(), optimization_level=1, seed_transpiler=1)
    observables = [SparsePauliOp(label).apply_layout(isa.layout) for label in ("ZZ", "XX")]
    options = EstimatorOptions()
    options.default_precision = 0.05  # small: 32 x 13 shots per basis
    program, executor_options = prepare([(isa, observables)], options)
    program._semantic_role = "estimator_v2"
    encoded = QUANTUM_PROGRAM_PARAMS_CONVERTERS["v2.0"].encoder(program, executor_options)
    params = json.loads(json.dumps(encoded.model_dump(mode="json")))
    module = models("v2.0")
    assert {item["item_type"] for item in params["quantum_program"]["items"]} == {"samplex"}
    for backend in ("ibm_fez", "mock_fez"):
        response = submit(service, params, backend)
        assert response.status_code == 200, response.text
        job = wait_final(service, service.headers(), response.json()["id"])
        assert job["status"] == "Completed", job["state"]
        text = httpx.get(f"{service.url}/api/v1/jobs/{job['id']}/results", headers=service.headers()).text
        result = module.QuantumProgramResultModel.model_validate_json(text)
        assert result.semantic_role == "estimator_v2" and len(result.data) == 2  # the pub, TREX calibration
        assert set(result.data[0].results) == {"_meas", "measurement_flips._meas"}
        assert ("dry_run" in json.loads(text)["metadata"]) == (backend == "mock_fez")


def test_the_classic_programs_params_and_tagged_results_validate(service: ServiceInfo, runtime_service: object) -> None:
    """What the official client's SamplerV2 and EstimatorV2 send, and the type-tagged results
    they get, against `ibm_quantum_schemas.sampler/estimator.version_0_1` (DataBin's
    `field_types` was once missing)."""
    import warnings

    from ibm_quantum_schemas.estimator import version_0_1 as estimator_models
    from ibm_quantum_schemas.sampler import version_0_1 as sampler_models
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2

    backend = runtime_service.backend("ibm_fez")  # type: ignore[attr-defined]
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    isa = generate_preset_pass_manager(optimization_level=1, backend=backend, seed_transpiler=1).run(circuit)
    measured = isa.copy()
    measured.measure_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sampled = SamplerV2(mode=backend).run([measured], shots=100)
        estimated = EstimatorV2(mode=backend).run([(isa, SparsePauliOp("ZZ").apply_layout(isa.layout))])
    for job, models_of in ((sampled, sampler_models), (estimated, estimator_models)):
        job.result(timeout=120)
        stored = httpx.get(f"{service.url}/api/v1/jobs/{job.job_id()}", headers=service.headers()).json()["params"]
        models_of.ParamsModel.model_validate(stored)
        text = httpx.get(f"{service.url}/api/v1/jobs/{job.job_id()}/results", headers=service.headers()).text
        models_of.PrimitiveResultWrapperModel.model_validate_json(text)
