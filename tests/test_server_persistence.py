"""A kill -9 loses no job: queued ones run after restart, running ones run again."""

from __future__ import annotations

import secrets
import signal
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.conftest import ServiceInfo, start_service, stop_service
from tests.helpers.service import wait_final


def test_kill_9_with_jobs_queued_and_running_loses_nothing(tmp_path: Path, bell_isa_qasm: str) -> None:
    api_key = secrets.token_urlsafe(16)
    first = start_service(tmp_path, api_key, "--faults", "scheduler:hold=1", "--workers", "1")
    try:
        headers = first.headers()
        body = {"program_id": "sampler", "backend": "ibm_brisbane",
                "params": {"pubs": [[bell_isa_qasm, None, 100_000]] * 3, "version": 2}}
        job_ids = [httpx.post(f"{first.url}/api/v1/jobs", headers=headers, json=body, timeout=60).json()["id"]
                   for _ in range(3)]
        first.set_faults("")  # release the queue, then kill as soon as a job runs
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = [httpx.get(f"{first.url}/api/v1/jobs/{j}", headers=headers).json()["status"] for j in job_ids]
            if "Running" in states:
                break
            time.sleep(0.02)
        assert "Running" in states and "Queued" in states, states
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        if first.process.poll() is None:
            stop_service(first)

    second: ServiceInfo = start_service(tmp_path, api_key)
    try:
        headers = second.headers()
        for job_id in job_ids:
            job = wait_final(second, headers, job_id, timeout=120)
            assert job["state"]["status"] == "Completed", job
            result = httpx.get(f"{second.url}/api/v1/jobs/{job_id}/results", headers=headers).json()
            samples = [s for pub in result["results"] for s in pub["data"]["c"]["samples"]]
            assert len(samples) == 300_000
            counts = Counter(samples)
            assert counts["0x0"] + counts["0x3"] > 0.9 * 300_000
        logs = httpx.get(f"{second.url}/api/v1/jobs/{job_ids[0]}/logs", headers=headers).text
        assert "restarted while the job ran" in logs
    finally:
        stop_service(second)
