"""Results that are physically sensible: GHZ on a noisy device, and twirled runs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.service import wait_final
from tui.circuits import ghz_qasm

GHZ_QASM = ghz_qasm(3)


def _isa(service: ServiceInfo, qasm: str, backend: str = "ibm_brisbane") -> str:
    headers = service.headers()
    configuration = httpx.get(f"{service.url}/api/v1/backends/{backend}/configuration", headers=headers).json()
    properties = httpx.get(f"{service.url}/api/v1/backends/{backend}/properties", headers=headers).json()
    from tui.circuits import transpile_qasm

    return transpile_qasm(qasm, backend, configuration, properties, seed=7).qasm


def run_sampler(service: ServiceInfo, qasm: str, shots: int, options: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = service.headers()
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[qasm, None, shots]], "version": 2, "options": options or {}}}
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    job = wait_final(service, headers, created.json()["id"])
    assert job["state"]["status"] == "Completed", job
    return httpx.get(f"{service.url}/api/v1/jobs/{job['id']}/results", headers=headers).json()


def counts_of(result: dict[str, Any]) -> Counter[str]:
    return Counter(result["results"][0]["data"]["c"]["samples"])


def test_ghz_gives_000_and_111_evenly_within_the_device_noise(service: ServiceInfo) -> None:
    shots = 4000
    counts = counts_of(run_sampler(service, _isa(service, GHZ_QASM), shots))
    assert sum(counts.values()) == shots
    ghz = counts["0x0"] + counts["0x7"]
    assert ghz / shots > 0.85, counts  # mostly |000> and |111>
    assert 0.4 < counts["0x7"] / ghz < 0.6, counts  # an even superposition
    assert shots - ghz > 0, counts  # the device's noise is there
    assert max(value for key, value in counts.items() if key not in {"0x0", "0x7"}) < counts["0x0"] / 5


def _readout_errors(service: ServiceInfo, qubit: int) -> tuple[float, float]:
    """(P(read 0 | prepared 1), P(read 1 | prepared 0)) of a brisbane qubit, from its calibration."""
    properties = httpx.get(f"{service.url}/api/v1/backends/ibm_brisbane/properties", headers=service.headers()).json()
    values = {item["name"]: item["value"] for item in properties["qubits"][qubit]}
    return values["prob_meas0_prep1"], values["prob_meas1_prep0"]


def test_measurement_twirling_makes_an_asymmetric_readout_error_symmetric(service: ServiceInfo) -> None:
    qubit = 19  # reads a 1 as 0 about five times as often as a 0 as 1
    zero_given_one, one_given_zero = _readout_errors(service, qubit)
    assert zero_given_one > 3 * one_given_zero
    qasm = f'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x ${qubit}; c[0] = measure ${qubit};'
    shots = 20000

    def zeros(options: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        result = run_sampler(service, qasm, shots, {"simulator": {"seed_simulator": 21}, **options})
        return counts_of(result)["0x0"] / shots, result["metadata"]

    plain, plain_metadata = zeros({})
    twirled, metadata = zeros({"twirling": {"enable_measure": True}})
    assert plain_metadata["options_applied"] == {}
    assert metadata["options_applied"]["twirling"]["enable_measure"] is True
    assert abs(plain - zero_given_one) < 0.006, plain
    assert abs(twirled - (zero_given_one + one_given_zero) / 2) < 0.006, twirled


def test_gate_and_measure_twirling_keeps_bell_statistics_and_seeded_runs_repeat(
    service: ServiceInfo, bell_isa_qasm: str
) -> None:
    options = {
        "twirling": {"enable_gates": True, "enable_measure": True, "num_randomizations": 16,
                     "shots_per_randomization": 250},
        "simulator": {"seed_simulator": 99},
    }
    first = run_sampler(service, bell_isa_qasm, 1000, options)
    counts = counts_of(first)
    assert sum(counts.values()) == 16 * 250  # the twirled shape of the job decides the shots
    bell = counts["0x0"] + counts["0x3"]
    assert bell / 4000 > 0.9, counts
    assert 0.4 < counts["0x3"] / bell < 0.6, counts
    assert first["metadata"]["options_applied"]["twirling"] == {
        "enable_gates": True, "enable_measure": True, "num_randomizations": 16, "shots_per_randomization": 250,
        "per_pub": [{"num_randomizations": 16, "shots_per_randomization": 250}],
    }
    assert counts_of(run_sampler(service, bell_isa_qasm, 1000, options)) == counts
    untwirled = run_sampler(service, bell_isa_qasm, 4000, {"simulator": {"seed_simulator": 99}})
    assert counts_of(untwirled) != counts


def _estimate(service: ServiceInfo, qasm: str, observables: list[str], params: dict[str, Any]) -> dict[str, Any]:
    headers = service.headers()
    body = {"program_id": "estimator", "backend": "ibm_brisbane",
            "params": {"pubs": [[qasm, observables]], "version": 2, "precision": 0.01, **params}}
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    job = wait_final(service, headers, created.json()["id"])
    assert job["state"]["status"] == "Completed", job
    return httpx.get(f"{service.url}/api/v1/jobs/{job['id']}/results", headers=headers).json()


def test_estimator_resilience_level_1_removes_readout_error_with_trex(service: ServiceInfo) -> None:
    qubit = 19
    qasm = f'OPENQASM 3.0; include "stdgates.inc"; x ${qubit};'
    z_label = "Z" + "I" * qubit  # Z on device qubit 19 of a 20-qubit circuit
    seed = {"options": {"simulator": {"seed_simulator": 5}}}
    raw = _estimate(service, qasm, [z_label], {"resilience_level": 0, **seed})
    mitigated = _estimate(service, qasm, [z_label], {"resilience_level": 1, **seed})
    zero_given_one, one_given_zero = _readout_errors(service, qubit)
    symmetric_flip = (zero_given_one + one_given_zero) / 2
    raw_z = raw["results"][0]["data"]["evs"][0]
    mitigated_z = mitigated["results"][0]["data"]["evs"][0]
    assert abs(raw_z - (-1 + 2 * zero_given_one)) < 0.02, raw_z  # level 0: the raw readout error
    assert abs(mitigated_z + 1) < 0.015, mitigated_z  # ideal -1, less only the X gate's tiny error
    assert abs(mitigated_z + 1) < abs(raw_z + 1) / 3
    resilience = mitigated["metadata"]["options_applied"]["resilience"]
    assert resilience["measure_mitigation"].startswith("TREX")
    assert abs(resilience["readout_flip_rates"][0] - symmetric_flip) < 0.01
    assert raw["metadata"]["options_applied"] == {}  # IBM's level 0: no twirling, no mitigation
    assert mitigated["metadata"]["options_applied"]["twirling"]["enable_measure"] is True


def test_options_that_cannot_be_simulated_are_reported_with_the_reason(service: ServiceInfo, bell_isa_qasm: str) -> None:
    result = run_sampler(service, bell_isa_qasm, 50, {
        "dynamical_decoupling": {"enable": True, "sequence_type": "XY4"},
        "execution": {"init_qubits": True, "rep_delay": 0.0001},
        "twirling": {"enable_gates": True, "strategy": "active-accum"},
    })
    not_applied = result["metadata"]["options_not_applied"]
    assert [entry.split(":")[0] for entry in not_applied] == [
        "dynamical_decoupling", "execution", "twirling.strategy"]
    assert result["metadata"]["options_applied"]["twirling"]["enable_gates"] is True
    assert "Markovian" in not_applied[0]


@pytest.mark.parametrize(
    ("program", "params", "phrase"),
    [
        ("sampler", {"options": {"twirling": {"num_randomizations": 0}}}, "num_randomizations"),
        ("sampler", {"options": {"twirling": "on"}}, "options.twirling"),
        ("estimator", {"resilience_level": 7}, "resilience_level"),
    ],
)
def test_impossible_physics_options_are_refused_at_submission(
    service: ServiceInfo, bell_isa_qasm: str, program: str, params: dict[str, Any], phrase: str
) -> None:
    pub: list[Any] = [bell_isa_qasm] if program == "sampler" else [bell_isa_qasm, ["ZZ"]]
    body = {"program_id": program, "backend": "ibm_brisbane", "params": {"pubs": [pub], "version": 2, **params}}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body, timeout=60)
    assert response.status_code == 400, response.text
    assert phrase in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("program", "params", "phrase"),
    [
        ("sampler", {"shots": 3_000_000}, "3000000 shots"),
        ("sampler", {"options": {"twirling": {"enable_measure": True, "num_randomizations": 5000,
                                              "shots_per_randomization": 1000}}}, "5000000 shots"),
        ("estimator", {"precision": 1e-300}, "shots in all"),
        ("estimator", {"options": {"resilience": {"measure_noise_learning": {
            "num_randomizations": 10_000, "shots_per_randomization": 10_000}}}}, "shots in all"),
        ("sampler", {"options": {"default_shots": "many"}}, "default_shots"),
        ("estimator", {"precision": -1}, "precision"),
    ],
)
def test_jobs_too_big_to_simulate_are_refused_at_submission(
    service: ServiceInfo, bell_isa_qasm: str, program: str, params: dict[str, Any], phrase: str
) -> None:
    width = int(bell_isa_qasm.split("$")[-1].split(";")[0]) + 1  # the highest device qubit used
    pub: list[Any] = [bell_isa_qasm] if program == "sampler" else [bell_isa_qasm, ["Z" * width]]
    body = {"program_id": program, "backend": "ibm_brisbane", "params": {"pubs": [pub], "version": 2, **params}}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body, timeout=60)
    assert response.status_code == 400, response.text
    assert phrase in response.json()["errors"][0]["message"]


def test_estimator_level_2_twirls_gates_and_extrapolates_to_zero_noise(service: ServiceInfo) -> None:
    qasm = 'OPENQASM 3.0; include "stdgates.inc"; x $19;'
    result = _estimate(service, qasm, ["Z" + "I" * 19], {"resilience_level": 2})
    applied = result["metadata"]["options_applied"]
    assert applied["twirling"]["enable_gates"] is True and applied["twirling"]["enable_measure"] is True
    assert applied["resilience"]["measure_mitigation"].startswith("TREX")
    assert applied["resilience"]["zne_mitigation"].startswith("zero-noise extrapolation")
    assert not any("zne" in entry for entry in result["metadata"]["options_not_applied"])
    assert result["metadata"]["resilience"] == {
        "measure_mitigation": True, "zne_mitigation": True, "pec_mitigation": False,
        "zne": {"noise_factors": [1, 3, 5], "extrapolator": ["exponential", "linear"],
                "extrapolated_noise_factors": [0, 1, 3, 5]},
    }
    data = result["results"][0]["data"]
    assert abs(data["evs"][0] + 1) < 0.03
    assert len(data["evs_noise_factors"][0]) == 3 and len(data["evs_extrapolated"][0]) == 2
    # no two-qubit gate to fold: the noise factors all give the same value, within shot noise
    assert max(data["evs_noise_factors"][0]) - min(data["evs_noise_factors"][0]) < 0.05
