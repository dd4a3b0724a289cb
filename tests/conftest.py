"""One real `qrt serve` per test session, on a free loopback port, torn down at the end."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tui.local_defaults import READY_PREFIX

STARTUP_DEADLINE_SECONDS = 60
TEST_INSTANCE = "crn:v1:bluemix:public:quantum-computing:us-east:a/qrt-tests:qrt-test-instance::"
API_KEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


@dataclass(frozen=True)
class ServiceInfo:
    url: str
    api_key: str
    instance: str
    data_dir: Path
    process: subprocess.Popen[str]

    def token(self) -> str:
        response = httpx.post(
            f"{self.url}/identity/token",
            data={"grant_type": API_KEY_GRANT, "apikey": self.api_key},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def set_faults(self, spec: str) -> None:
        response = httpx.put(f"{self.url}/qrt/faults", headers=self.headers(), json={"spec": spec})
        response.raise_for_status()

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token()}",
            "Service-CRN": self.instance,
            "IBM-API-Version": "2026-04-15",
        }


def start_service(
    data_dir: Path, api_key: str, *extra: str, env: dict[str, str] | None = None
) -> ServiceInfo:
    """Start `qrt serve`; `extra` flags come last, so a second `--port` replaces `--port 0`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", "0", "--data-dir", str(data_dir),
         f"--api-key={api_key}", "--instance", TEST_INSTANCE, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    assert process.stdout is not None
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(READY_PREFIX):
            url = line.removeprefix(READY_PREFIX).strip()
            return ServiceInfo(url, api_key, TEST_INSTANCE, data_dir, process)
    process.kill()
    raise RuntimeError("qrt serve did not start:\n" + "".join(seen[-20:]))


def stop_service(service: ServiceInfo) -> None:
    service.process.terminate()
    try:
        service.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        service.process.kill()
        service.process.wait()


def drain_output(info: ServiceInfo) -> None:
    """Read the child's output in the background so that it never blocks on a full pipe."""
    import threading

    assert info.process.stdout is not None
    threading.Thread(target=info.process.stdout.read, daemon=True).start()


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes qrt's state (recent files, an embedded service's data) into the
    data dir of the user who runs the tests; `no_account` gives a test a dir of its own."""
    if "QRT_DATA_DIR" not in os.environ:
        monkeypatch.setenv("QRT_DATA_DIR", str(tmp_path_factory.mktemp("qrt-data")))


@pytest.fixture
def no_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No config file and a data dir of its own: the app starts its embedded service there."""
    monkeypatch.setenv("QRT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QRT_CONFIG", str(tmp_path / "absent.toml"))
    return tmp_path


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OS keyring: tokens stay in memory, as on a machine without one."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInfo]:
    info = start_service(tmp_path_factory.mktemp("serve"), secrets.token_urlsafe(16), "--faults", "")
    drain_output(info)
    yield info
    stop_service(info)


@pytest.fixture(scope="session")
def bell_isa_qasm(service: ServiceInfo) -> str:
    """A Bell circuit transpiled for ibm_brisbane, as OpenQASM 3 (what a REST user sends)."""
    headers = service.headers()
    configuration = httpx.get(f"{service.url}/api/v1/backends/ibm_brisbane/configuration", headers=headers).json()
    properties = httpx.get(f"{service.url}/api/v1/backends/ibm_brisbane/properties", headers=headers).json()
    from tui.circuits import BELL_QASM, transpile_qasm

    return transpile_qasm(BELL_QASM, "ibm_brisbane", configuration, properties, seed=7).qasm


@pytest.fixture(scope="session")
def runtime_service(service: ServiceInfo) -> Iterator[Any]:
    """The official qiskit-ibm-runtime client, unmodified, on the session's service."""
    patch = pytest.MonkeyPatch()
    patch.setenv("IAM_URL", service.url)
    patch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
    from qiskit_ibm_runtime import QiskitRuntimeService

    yield QiskitRuntimeService(
        channel="ibm_quantum_platform",
        token=service.api_key,
        instance=service.instance,
        url=service.url,
        url_resolver=lambda url, instance, private_endpoint=False, channel=None: f"{url}/api/v1",
    )
    patch.undo()
