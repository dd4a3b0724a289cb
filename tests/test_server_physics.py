"""Results that are physically sensible: GHZ on a noisy device, and twirled runs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.test_server_rest import wait_final

GHZ_QASM = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
"""


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
