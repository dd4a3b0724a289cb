"""What an adversary on the login node's loopback tried, each against a real `qrt serve`:
reading files through `include`, other users' data, old tokens, Host games, and small
requests that used to take the service's memory or time."""

from __future__ import annotations

import os
import secrets
import socket
import stat
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY_GRANT, ServiceInfo, drain_output, start_service, stop_service
from tests.helpers.service import error_message


def submit_qasm(service: ServiceInfo, qasm: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[qasm, None, 10]], "version": 2}}
    return httpx.post(f"{service.url}/api/v1/jobs", headers=headers or service.headers(), json=body, timeout=60)


@pytest.mark.parametrize("header", ["OPENQASM 2.0;", "OPENQASM 3.0;"])
def test_include_reads_no_file_and_says_the_same_whatever_exists(service: ServiceInfo, header: str) -> None:
    targets = ["/etc/passwd", str(service.data_dir / "jwt-secret"), "/nonexistent/file.inc", "../qelib1.inc"]
    messages = set()
    for target in targets:
        response = submit_qasm(service, f'{header}\ninclude "{target}";\nqreg q[1];\n')
        assert response.status_code == 400
        message = error_message(response)
        assert "root" not in message and "byte" not in message and target not in message
        messages.add(message)
    assert len(messages) == 1, messages  # nothing tells a present file from a missing one
    assert "only the standard libraries may be included" in messages.pop()


def test_the_data_dir_is_private(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    info = start_service(fresh, secrets.token_urlsafe(16))
    try:
        httpx.post(f"{info.url}/identity/token", data={"grant_type": API_KEY_GRANT, "apikey": info.api_key})
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
        files = [path for path in fresh.iterdir() if path.is_file()]
        assert any(path.name.endswith(".sqlite3") for path in files)
        assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files), {
            path.name: oct(path.stat().st_mode) for path in files}
    finally:
        stop_service(info)

    opened = tmp_path / "opened"
    opened.mkdir(mode=0o755)
    os.chmod(opened, 0o755)
    (opened / "notes.txt").write_text("mine")
    os.chmod(opened / "notes.txt", 0o644)
    info = start_service(opened, secrets.token_urlsafe(16))
    stop_service(info)
    assert stat.S_IMODE(opened.stat().st_mode) == 0o700
    assert stat.S_IMODE((opened / "notes.txt").stat().st_mode) == 0o600


def test_rotating_the_key_or_the_instance_revokes_every_old_token(tmp_path: Path) -> None:
    first = start_service(tmp_path, "first-key-" + secrets.token_urlsafe(8))
    try:
        jwt_headers = first.headers()
        access = httpx.post(f"{first.url}/api/users/loginWithToken", json={"apiToken": first.api_key}).json()["id"]
        assert httpx.get(f"{first.url}/api/v1/jobs", headers=jwt_headers).status_code == 200
        assert httpx.get(f"{first.url}/runtime/jobs", headers={"x-access-token": access}).status_code == 200
    finally:
        stop_service(first)

    rotated = start_service(tmp_path, "second-key-" + secrets.token_urlsafe(8), "--port", str(_port(first)))
    try:
        assert httpx.get(f"{rotated.url}/api/v1/jobs", headers=jwt_headers).status_code == 401
        assert httpx.get(f"{rotated.url}/runtime/jobs", headers={"x-access-token": access}).status_code == 401
    finally:
        stop_service(rotated)

    same_key = start_service(tmp_path, first.api_key, "--instance", "crn:v1:bluemix:public:quantum-computing:us-east:a/x:other::")
    try:
        headers = {**jwt_headers, "Service-CRN": same_key.instance}
        # The instance flag came last, so it is the one served; the old JWT is not accepted for it.
        assert httpx.get(f"{same_key.url}/api/v1/jobs", headers=headers).status_code == 401
    finally:
        stop_service(same_key)


def _port(info: ServiceInfo) -> int:
    return int(info.url.rsplit(":", 1)[1])


def test_the_host_header_is_never_reflected(service: ServiceInfo) -> None:
    evil = {**service.headers(), "Host": "evil.example.com"}
    response = httpx.get(f"{service.url}/api/v1/jobs/", headers=evil, follow_redirects=False)
    assert response.status_code == 400 and "evil" not in response.headers.get("location", "")
    assert "Host header" in error_message(response)
    access = httpx.post(f"{service.url}/api/users/loginWithToken", json={"apiToken": service.api_key}).json()["id"]
    me = httpx.get(f"{service.url}/api/users/me", headers={"x-access-token": access}).json()
    assert me["urls"]["http"] == service.url
    redirected = httpx.get(f"{service.url}/api/v1/jobs/", headers=service.headers(), follow_redirects=False)
    assert redirected.headers.get("location", service.url).startswith(service.url)


def test_the_isa_check_looks_inside_loops(service: ServiceInfo) -> None:
    # ibm_brisbane's qubits 0 and 5 are not coupled.
    qasm = ('OPENQASM 3.0; include "stdgates.inc"; bit[1] c;\n'
            "gate ecr a, b { s a; sx b; cx a, b; x a; }\n"
            "ecr $0, $1;\n"  # coupled: fine
            "for uint i in [0:1] { ecr $0, $5; }\nc[0] = measure $0;\n")
    response = submit_qasm(service, qasm)
    assert response.status_code == 400
    assert "not on a coupled pair" in error_message(response)


def test_a_remembered_verdict_is_the_same_verdict(service: ServiceInfo) -> None:
    """The checker remembers verdicts by program, parameters and backend: a resubmission
    gets the same answer, and a changed circuit is checked anew."""
    coupled = ('OPENQASM 3.0; include "stdgates.inc"; bit[2] c;\n'
               "gate ecr a, b { s a; sx b; cx a, b; x a; }\n"
               "ecr $1, $0; c[0] = measure $0; c[1] = measure $1;")
    uncoupled = coupled.replace("$1", "$5")  # ibm_brisbane's 0 and 5 are not coupled
    for _ in range(2):
        accepted = submit_qasm(service, coupled)
        assert accepted.status_code == 200, accepted.text
        refused = submit_qasm(service, uncoupled)
        assert refused.status_code == 400 and "not on a coupled pair" in error_message(refused)


NESTED_GATES = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ngate g0 a { x a; x a; }\n' + "".join(
    f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, 21)) + "g20 q[0];\n"


@pytest.mark.parametrize(("program", "phrase"), [
    ("OPENQASM 3.0; bit[3000000] c;", "3000000 classical bits"),
    ("OPENQASM 3.0; qubit[10000000] q;", "10000000 qubits; the backend has 127"),
    ("OPENQASM 2.0; qreg q[200];", "200 qubits; the backend has 127"),
    ("OPENQASM 3.0; const uint n = 3000000; bit[n] c;", "3000000 classical bits"),
    ("OPENQASM 3.0; bit[2 ** 40] c;", "must be an integer here"),
    (NESTED_GATES, "expands to more than"),
])
def test_sizes_beyond_the_backend_are_refused_before_anything_is_built(
    service: ServiceInfo, program: str, phrase: str
) -> None:
    started = time.monotonic()
    response = submit_qasm(service, program)
    assert response.status_code == 400 and phrase in error_message(response), response.text
    assert time.monotonic() - started < 5  # refused up front, not after building millions of bits


def test_other_requests_answer_in_milliseconds_while_a_big_circuit_is_parsed(tmp_path: Path) -> None:
    """A parse that held the event loop would make some request wait for most of it: each
    one must wait a small part of the parse, however fast this machine parses."""
    info = start_service(tmp_path, secrets.token_urlsafe(16))
    try:
        headers = info.headers()
        lines = ['OPENQASM 3.0;', 'include "stdgates.inc";', "bit[2] c;"]
        lines += ["rz(0.1) $0;\nsx $0;\necr $1, $0;"] * 30_000  # about 1 MB
        big = "\n".join(lines) + "\nc[0] = measure $0;\n"
        assert len(big) > 900_000
        answered: list[httpx.Response] = []
        submitted = time.monotonic()
        thread = threading.Thread(target=lambda: answered.append(submit_qasm(info, big, headers)), daemon=True)
        thread.start()
        time.sleep(0.5)  # the parser is at work
        latencies = []
        with httpx.Client() as client:
            while thread.is_alive() and len(latencies) < 200:
                started = time.monotonic()
                assert client.get(f"{info.url}/api/v1/versions").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)
        thread.join(60)
        parse = time.monotonic() - submitted
        assert answered and len(latencies) >= 5, (parse, latencies)
        assert max(latencies) < parse / 4, (parse, max(latencies))
        assert statistics.median(latencies) < 0.05, latencies
    finally:
        stop_service(info)


@pytest.fixture
def impatient_service(tmp_path: Path) -> Iterator[ServiceInfo]:
    info = start_service(tmp_path, secrets.token_urlsafe(16),
                         env={"QRT_SERVE_HEADER_SECONDS": "1", "QRT_SERVE_BODY_SECONDS": "2"})
    drain_output(info)
    yield info
    stop_service(info)


def test_idle_and_slow_connections_are_closed(impatient_service: ServiceInfo) -> None:
    host, port = impatient_service.url.removeprefix("http://").split(":")
    # A socket that never speaks, one that trickles its headers (a slow loris) and one that
    # declares a body it never sends are all closed at their deadline, with a 408.
    silent = socket.create_connection((host, int(port)))
    loris = socket.create_connection((host, int(port)))
    loris.sendall(b"GET /api/v1/versions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    declared = socket.create_connection((host, int(port)))
    declared.sendall(b"POST /identity/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n")
    for sock in (silent, loris, declared):
        sock.settimeout(20)
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408") and b'"errors"' in answer, answer[:80]
        sock.close()


def test_a_thousand_idle_sockets_do_not_stop_the_service(service: ServiceInfo) -> None:
    host, port = service.url.removeprefix("http://").split(":")
    idle = []
    try:
        for _ in range(1100):
            idle.append(socket.create_connection((host, int(port))))
        with httpx.Client() as client:
            started = time.monotonic()
            assert client.get(f"{service.url}/api/v1/versions").status_code == 200
            assert time.monotonic() - started < 1.0
            assert client.get(f"{service.url}/api/v1/jobs", headers=service.headers()).status_code == 200
    finally:
        for sock in idle:
            sock.close()


def test_a_full_disk_fails_no_request_with_a_500_and_recovers_by_itself(tmp_path: Path) -> None:
    """Once, a full disk when a job finished left it Running and its backend wedged until a
    restart, and submissions got 500. Now: 507 for what cannot be stored, reads go on, the
    finished job's result waits in memory, and everything resumes once space is back."""
    from tests.helpers.service import ghz_qasm, isa, submit, wait_final, worker_pid

    info = start_service(tmp_path, secrets.token_urlsafe(16), "--faults", "", "--workers", "1")
    drain_output(info)
    try:
        headers = info.headers()
        running = submit(info, headers, isa(ghz_qasm(12)), 3000).json()["id"]  # a few seconds
        worker_pid(info, headers, running)
        info.set_faults("store:full=1")  # the disk fills up while it runs
        refused = submit(info, headers, isa(ghz_qasm(2, False)), 100)
        assert refused.status_code == 507 and "disk is full" in error_message(refused)
        assert httpx.get(f"{info.url}/api/v1/jobs", headers=headers).status_code == 200
        time.sleep(8)  # the job's simulation ends meanwhile; its result cannot be stored yet
        assert httpx.get(f"{info.url}/api/v1/jobs/{running}", headers=headers).json()["status"] == "Running"
        info.set_faults("")  # space is back
        assert wait_final(info, headers, running, timeout=30)["state"]["status"] == "Completed"
        after = submit(info, headers, isa(ghz_qasm(2, False)), 100)
        assert after.status_code == 200
        assert wait_final(info, headers, after.json()["id"])["state"]["status"] == "Completed"
    finally:
        stop_service(info)


def _serve_output(data_dir: Path) -> tuple[int, str]:
    import subprocess
    import sys

    finished = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--port", "0", "--data-dir", str(data_dir),
         "--api-key", "k" * 20], capture_output=True, text=True, timeout=60,
    )
    return finished.returncode, finished.stdout + finished.stderr


@pytest.mark.parametrize("damage", ["empty", "garbage header", "truncated", "overwritten blocks", "directory"])
def test_a_damaged_database_is_refused_in_one_message(tmp_path: Path, damage: str) -> None:
    from tests.helpers.service import ghz_qasm, isa, submit

    info = start_service(tmp_path, secrets.token_urlsafe(16))
    headers = info.headers()
    for _ in range(30):
        submit(info, headers, isa(ghz_qasm(2, False)), 10)
    stop_service(info)
    database = tmp_path / "qrt-serve.sqlite3"
    assert (tmp_path / "qrt-serve.sqlite3.bak").is_file()
    data = database.read_bytes()
    if damage == "empty":
        database.write_bytes(b"")
    elif damage == "garbage header":
        database.write_bytes(b"this is no database" + data[19:])
    elif damage == "truncated":
        database.write_bytes(data[: len(data) // 3])
    elif damage == "overwritten blocks":
        damaged = bytearray(data)
        for block in range(2, min(22, len(data) // 4096)):
            damaged[block * 4096:(block + 1) * 4096] = secrets.token_bytes(4096)
        database.write_bytes(bytes(damaged))
    else:
        database.unlink()
        database.mkdir()
    code, output = _serve_output(tmp_path)
    assert code == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith("qrt serve:")]
    assert len(lines) == 1, output
    assert "move it aside" in lines[0] and ".bak" in lines[0]


@pytest.mark.parametrize(("label", "raw"), ids=lambda value: value if isinstance(value, str) else "", argvalues=[
    ("200 headers of 1 kB", b"GET /api/v1/versions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     + b"".join(b"X-H%d: %s\r\n" % (i, b"a" * 1000) for i in range(200)) + b"\r\n"),
    ("HTTP/0.9", b"GET /api/v1/versions\r\n\r\n"),
    ("folded Transfer-Encoding", b"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"Transfer-Encoding:\r\n chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    ("100 kB chunk extension", b"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n3;" + b"x" * 100_000 + b"\r\nabc\r\n0\r\n\r\n"),
])
def test_invalid_http_gets_a_4xx_with_a_body(service: ServiceInfo, label: str, raw: bytes) -> None:
    """Each of these once got a reset or a bodiless 400."""
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while b'"errors"' not in answer and b'"errorCode"' not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 401", b"HTTP/1.1 413")), (label, answer[:120])
    assert b'"errors"' in answer or b'"errorCode"' in answer, (label, answer[:300])


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/jobs", {"offset": str(2**64)}),
    ("/api/v1/jobs", [("tags", f"t{i}") for i in range(1000)]),
])
def test_hostile_listing_queries_get_a_400_not_a_500(service: ServiceInfo, path: str, params: object) -> None:
    response = httpx.get(f"{service.url}{path}", headers=service.headers(), params=params)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"errors", "trace"}


@pytest.mark.parametrize("inner", ["[" * 100_000 + "]" * 100_000, "[" + "1," * 3_000_000 + "1]"])
def test_a_session_body_string_of_hostile_json_gets_a_400(service: ServiceInfo, inner: str) -> None:
    access = httpx.post(f"{service.url}/api/users/loginWithToken", json={"apiToken": service.api_key}).json()["id"]
    response = httpx.post(f"{service.url}/runtime/sessions", headers={"x-access-token": access}, json=inner,
                          timeout=60)
    assert response.status_code == 400, response.text[:300]


@pytest.mark.parametrize(("options", "field"), [
    ({"simulator": "x"}, "options.simulator"),
    ({"simulator": {"seed_simulator": "abc"}}, "options.simulator.seed_simulator"),
    ({"twirling": 3}, "options.twirling"),
    # IQ data is not modelled: refused, rather than classified bits returned in its place
    ({"execution": {"meas_type": "kerneled"}}, "options.execution.meas_type 'kerneled'"),
    ({"execution": {"meas_type": "avg_kerneled"}}, "options.execution.meas_type 'avg_kerneled'"),
    ({"execution": {"meas_type": "iq"}}, "options.execution.meas_type must be"),
])
def test_bad_options_are_refused_at_submission_naming_the_field(
    service: ServiceInfo, bell_isa_qasm: str, options: dict[str, object], field: str
) -> None:
    """They were accepted, then failed in the worker with a raw Python error."""
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[bell_isa_qasm, None, 10]], "version": 2, "options": options}}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body)
    assert response.status_code == 400 and field in error_message(response), response.text


def test_small_transpile_tasks_do_not_wait_behind_big_ones(tmp_path: Path) -> None:
    """A Bell task once waited 144 s behind one optimization-level-3 task."""
    from tui.circuits import BELL_QASM, random_qasm

    service = start_service(tmp_path, secrets.token_urlsafe(16))  # stopped at the end, big task and all
    drain_output(service)
    try:
        _small_before_big(service, BELL_QASM, random_qasm)
    finally:
        stop_service(service)


def _small_before_big(service: ServiceInfo, bell: str, random_qasm: Any) -> None:

    def task(qasm: str | list[str], level: int) -> str:
        response = httpx.post(f"{service.url}/transpile", params={"backend": "ibm_brisbane", "optimization_level": level},
                              headers={"Authorization": f"Bearer {service.api_key}"},
                              json={"qasm_circuits": qasm}, timeout=60)
        assert response.status_code == 200, response.text
        return str(response.json()["task_id"])

    def state(task_id: str) -> str:
        return str(httpx.get(f"{service.url}/transpile/{task_id}",
                             headers={"Authorization": f"Bearer {service.api_key}"}).json()["state"])

    big = task([random_qasm(30, 40, seed=seed) for seed in range(6)], 3)
    small = task(bell, 1)
    deadline = time.monotonic() + 120
    while state(small) not in {"SUCCESS", "FAILURE"} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state(small) == "SUCCESS"
    assert state(big) in {"PENDING", "STARTED"}, "the big task was not big enough to show it"
