"""Queueing like a device: one job at a time per backend, in order, sessions first.

The scheduler is held (`scheduler:hold` fault) while the jobs are submitted, so that the
order they run in is decided by the queue alone; the jobs' own timestamps then prove it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.conftest import ServiceInfo
from tests.helpers.service import wait_final

ONE_QUBIT_ISA = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; sx $0; c[0] = measure $0;'


def _submit(service: ServiceInfo, headers: dict[str, str], backend: str, session_id: str | None = None) -> str:
    body: dict[str, Any] = {"program_id": "sampler", "backend": backend,
                            "params": {"pubs": [[ONE_QUBIT_ISA, None, 20]], "version": 2}}
    if session_id:
        body["session_id"] = session_id
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def _session(service: ServiceInfo, headers: dict[str, str], mode: str) -> str:
    created = httpx.post(f"{service.url}/api/v1/sessions", headers=headers,
                         json={"mode": mode, "backend": "ibm_brisbane", "interactive_ttl": 600})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _queue_length(service: ServiceInfo, headers: dict[str, str], backend: str) -> tuple[int, int]:
    status = httpx.get(f"{service.url}/api/v1/backends/{backend}/status", headers=headers).json()
    listed = httpx.get(f"{service.url}/api/v1/backends", headers=headers).json()["devices"]
    in_list = next(device["queue_length"] for device in listed if device["name"] == backend)
    return status["length_queue"], in_list


def test_a_backend_runs_its_queue_in_order_and_an_active_session_goes_first(service: ServiceInfo) -> None:
    headers = service.headers()
    dedicated = _session(service, headers, "dedicated")
    batch = _session(service, headers, "batch")
    for session_id in (dedicated, batch):  # one job each: both sessions are now active
        job = wait_final(service, headers, _submit(service, headers, "ibm_brisbane", session_id))
        assert job["state"]["status"] == "Completed"
    service.set_faults("scheduler:hold=1")
    try:
        plain_first = _submit(service, headers, "ibm_brisbane")
        batch_job = _submit(service, headers, "ibm_brisbane", batch)
        plain_second = _submit(service, headers, "ibm_brisbane")
        session_job = _submit(service, headers, "ibm_brisbane", dedicated)
        other_backend = _submit(service, headers, "ibmq_lima")
        assert _queue_length(service, headers, "ibm_brisbane") == (4, 4)
        assert _queue_length(service, headers, "ibmq_lima") == (1, 1)
    finally:
        service.set_faults("")
    jobs = {
        job_id: wait_final(service, headers, job_id)
        for job_id in (plain_first, batch_job, plain_second, session_job, other_backend)
    }
    metrics = {
        job_id: httpx.get(f"{service.url}/api/v1/jobs/{job_id}/metrics", headers=headers).json()["timestamps"]
        for job_id in jobs
    }
    assert all(job["state"]["status"] == "Completed" for job in jobs.values()), jobs
    brisbane_order = sorted(
        (plain_first, batch_job, plain_second, session_job), key=lambda job_id: metrics[job_id]["running"]
    )
    assert brisbane_order == [session_job, plain_first, batch_job, plain_second]
    for earlier, later in zip(brisbane_order, brisbane_order[1:]):  # one at a time, back to back
        assert _moment(metrics[later]["running"]) >= _moment(metrics[earlier]["finished"])
    for stamps in metrics.values():
        assert _moment(stamps["created"]) < _moment(stamps["running"]) <= _moment(stamps["finished"])
    # ibmq_lima (5 qubits, a quick noise model) had its own queue: it ran while ibm_brisbane was still busy with the first job
    assert _moment(metrics[other_backend]["running"]) < _moment(metrics[session_job]["finished"])
    assert _queue_length(service, headers, "ibm_brisbane") == (0, 0)
