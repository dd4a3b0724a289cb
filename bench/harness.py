"""What the benchmarks share: a figure of the table, a `qrt serve` child, a client, RSS.

The service runs as a real child process (`python -m tui serve`), as in the app, and is
reached over HTTP on loopback; jobs are counted and read there, never faked in-process.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

from tui.local_defaults import LOCAL_INSTANCE, READY_PREFIX

if TYPE_CHECKING:
    from tui.api.client import RuntimeClient
    from tui.server.store import Store

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90
# A one-qubit ISA circuit for ibm_brisbane: the cheapest job the service can run.
TINY_QASM = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[1] c;\nx $0;\nc[0] = measure $0;\n'


@dataclass(frozen=True)
class Figure:
    """One row of the table. `passed` None means not measured, which --check counts as a miss."""

    target: str
    measured: str
    baseline: str
    ratio: float | None
    limit: str
    passed: bool | None

    @classmethod
    def not_measured(cls, target: str, why: str, limit: str = "-") -> Figure:
        return cls(target, f"not measured: {why}", "-", None, limit, None)


def spread(samples: list[float], scale: float = 1.0, unit: str = "") -> str:
    """`median (min-max)` of samples, so a noisy shared machine shows in the table."""
    values = [s * scale for s in samples]
    if len(values) == 1:
        return f"{_number(values[0])}{unit}"
    low, high = _number(min(values)), _number(max(values))
    return f"{_number(statistics.median(values))}{unit} ({low}-{high})"


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), from /proc."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Service:
    url: str
    api_key: str
    instance: str
    data_dir: Path
    process: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, timeout: float = 60.0) -> RuntimeClient:
        from tui.api.auth import IamAuthenticator, Secret
        from tui.api.client import RuntimeClient

        return RuntimeClient(
            f"{self.url}/api/v1", IamAuthenticator(Secret(self.api_key), self.url),
            self.instance, timeout=timeout,
        )

    @cached_property
    def headers(self) -> dict[str, str]:
        """Headers of an authorised request; the one token request is made once."""
        import httpx

        response = httpx.post(
            f"{self.url}/identity/token",
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": self.api_key},
        )
        response.raise_for_status()
        return {
            "Authorization": f"Bearer {response.json()['access_token']}",
            "Service-CRN": self.instance,
            "IBM-API-Version": "2026-04-15",
        }

    def requests_served(self) -> int:
        """Requests the service has counted so far (needs --count-requests)."""
        import httpx

        response = httpx.get(f"{self.url}/qrt/stats", headers=self.headers)
        response.raise_for_status()
        return int(response.json()["requests"])

    def set_faults(self, spec: str) -> None:
        import httpx

        response = httpx.put(f"{self.url}/qrt/faults", headers=self.headers, json={"spec": spec})
        response.raise_for_status()


@contextmanager
def running_service(*flags: str, data_dir: Path | None = None, wait_idle: bool = True) -> Iterator[Service]:
    """A `qrt serve` child on a free port, in a fresh data directory unless one is given;
    yielded once it has warmed up, or as soon as it listens (`wait_idle=False`)."""
    with TemporaryDirectory(prefix="qrt-bench-") as scratch:
        directory = data_dir or Path(scratch)
        api_key = secrets.token_urlsafe(16)
        process = subprocess.Popen(
            [sys.executable, "-m", "tui", "serve", "--port", "0", "--data-dir", str(directory),
             "--instance", LOCAL_INSTANCE, *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "QRT_SERVE_API_KEY": api_key},
        )
        try:
            service = Service(_ready_url(process), api_key, LOCAL_INSTANCE, directory, process)
            if wait_idle:
                wait_until_idle(process.pid)
            yield service
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its child processes (the service's workers)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(child) for child in (task / "children").read_text().split()]
    total = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, quiet: float = 0.02, window: float = 0.5) -> None:
    """Wait until the service and its workers have finished warming up (imports in the
    background), so that no figure pays for them unless it means to."""
    deadline = time.monotonic() + STARTUP_SECONDS
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(window)
        after = cpu_seconds(pid)
        if after - before <= quiet:
            return
        before = after


def _ready_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_SECONDS
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(READY_PREFIX):
            # Keep draining, so the child never blocks on a full pipe.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return line.removeprefix(READY_PREFIX).strip()
    process.kill()
    raise RuntimeError("qrt serve did not start:\n" + "".join(seen[-20:]))


def seed_jobs(data_dir: Path, count: int, status: str = "Completed") -> list[str]:
    """Store `count` tiny sampler jobs straight into a service's database."""
    from tui.server.store import Store

    store = Store(data_dir / "qrt-serve.sqlite3")
    try:
        return insert_jobs(store, count, status)
    finally:
        store.close()


def insert_jobs(store: Store, count: int, status: str) -> list[str]:
    from tui.server.store import JobRecord, new_id, utc_now

    ids = [new_id() for _ in range(count)]
    for job_id in ids:
        store.create_job(JobRecord(
            id=job_id, instance=LOCAL_INSTANCE, backend="ibm_brisbane", program="sampler",
            status=status, created=utc_now(),
            params={"pubs": [[TINY_QASM, None, 16]], "version": 2},
        ))
    return ids


async def submit_tiny(client: RuntimeClient, shots: int = 16) -> str:
    return await client.submit_sampler_job("ibm_brisbane", [[TINY_QASM, None, shots]])


async def wait_final(client: RuntimeClient, job_ids: list[str], poll: float = 0.05) -> dict[str, str]:
    """Each job's final status, polling the list of pending jobs until none of ours is left."""
    waiting = set(job_ids)
    while waiting:
        pending = {job.id async for job in client.iter_jobs(page_size=200, pending=True)}
        waiting &= pending
        if waiting:
            await asyncio.sleep(poll)
    return {job_id: (await client.job(job_id)).status for job_id in job_ids}
