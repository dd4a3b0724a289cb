"""Helpers for tests that talk HTTP to a real `qrt serve`: waiting on jobs and tasks, reading errors."""

from __future__ import annotations

import re
import time
from functools import cache
from typing import Any

import httpx

from tests.conftest import ServiceInfo
from tests.processes import wait_until

FINAL = {"Completed", "Failed", "Cancelled"}
FINAL_TASK_STATES = {"SUCCESS", "FAILURE"}


def api_key_headers(service: ServiceInfo) -> dict[str, str]:
    """What the notebook sends the transpiler: its API token as a bearer."""
    return {"Authorization": f"Bearer {service.api_key}", "accept": "application/json"}


def wait_final(service: ServiceInfo, headers: dict[str, str], job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=headers).json()
        if job["state"]["status"] in FINAL:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def error_message(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"errors", "trace"}, body
    return str(body["errors"][0]["message"])


def ghz_qasm(width: int, mid_circuit_measurement: bool = True) -> str:
    measured = "bit[1] m; m[0] = measure q[0];" if mid_circuit_measurement else ""
    return (
        f'OPENQASM 3.0; include "stdgates.inc"; qubit[{width}] q; bit[{width}] c; h q[0]; {measured}'
        + "".join(f"cx q[{i}], q[{i + 1}];" for i in range(width - 1))
        + "c = measure q;"
    )


@cache
def isa(source: str, backend: str = "ibm_brisbane", level: int = 1) -> str:
    from tui.circuits import transpile_qasm
    from tui.server.backends import Catalogue

    device = Catalogue().get(backend)
    assert device is not None
    return transpile_qasm(source, backend, device.configuration, device.properties, optimization_level=level,
                          seed=7).qasm


def submit(service: ServiceInfo, headers: dict[str, str], qasm: str, shots: int,
           backend: str = "ibm_brisbane", **extra: Any) -> httpx.Response:
    """`shots` in all, in pubs of at most 100,000 (the backends' max_shots)."""
    pubs = [[qasm, None, min(100_000, shots - start)] for start in range(0, shots, 100_000)]
    body = {"program_id": "sampler", "backend": backend, "params": {"pubs": pubs, "version": 2}, **extra}
    return httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)


def worker_pid(service: ServiceInfo, headers: dict[str, str], job_id: str) -> int:
    """The simulator process a running job is on, as its log says."""
    found: list[str] = []

    def logged() -> bool:
        logs = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/logs", headers=headers).text
        found[:] = re.findall(r"running in simulator process (\d+)", logs)
        return bool(found)

    assert wait_until(logged, 60), "the job never started"
    return int(found[-1])


SLOW_SHOTS = 200_000


GHZ_QASM = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] meas;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
meas = measure q;
"""


def start_transpile(
    service: ServiceInfo, body: dict[str, Any], headers: dict[str, str] | None = None, **params: Any
) -> str:
    response = httpx.post(
        f"{service.url}/transpile", headers=headers or api_key_headers(service), json=body,
        params=params, timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def wait_task(
    service: ServiceInfo, task_id: str, headers: dict[str, str] | None = None, timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{service.url}/transpile/{task_id}", headers=headers or api_key_headers(service)
        )
        assert response.status_code == 200, response.text
        task = response.json()
        if task["state"] in FINAL_TASK_STATES:
            return task
        assert task["state"] in {"PENDING", "STARTED"}, task
        time.sleep(0.1)
    raise AssertionError(f"transpile task {task_id} did not finish in {timeout}s")
