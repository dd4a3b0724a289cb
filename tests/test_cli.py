"""`qrt` subcommands, run as a user's script runs them, against a real `qrt serve`.

A profile points at the session's service (its key in the 0600 token file the user can opt
into where no keyring works); the embedded default is tried with no account at all.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServiceInfo
from tests.processes import alive, wait_until

BELL = 'OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; c = measure q;'


@pytest.fixture
def home(tmp_path: Path, service: ServiceInfo) -> dict[str, str]:
    """An environment with one profile, `lab`, on the session's service (the default)."""
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "lab"\n[secrets]\nplaintext_token_file = true\n'
        f'[profiles.lab]\nchannel = "local"\nurl = "{service.url}"\ninstance = "{service.instance}"\n'
    )
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"lab": service.api_key}))
    tokens.chmod(0o600)
    (tmp_path / "bell.qasm").write_text(BELL)
    return {**os.environ, "QRT_CONFIG": str(config), "QRT_DATA_DIR": str(tmp_path / "data"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def qrt(env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_submit_wait_and_counts_as_csv(home: dict[str, str], tmp_path: Path) -> None:
    submitted = qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez", "--shots", "500",
                    "--wait", "--json")
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["status"] == "Completed" and job["backend"] == "ibm_fez" and job["program"] == "sampler"
    assert "transpiling" in submitted.stderr and "completed" in submitted.stderr  # progress on stderr
    counts = qrt(home, "results", job["id"], "--format", "csv")
    assert counts.returncode == 0, counts.stderr
    rows = list(csv.DictReader(io.StringIO(counts.stdout)))
    assert sum(int(row["count"]) for row in rows) == 500
    assert {rows[0]["bitstring"], rows[1]["bitstring"]} == {"00", "11"}
    table = qrt(home, "results", job["id"])
    assert table.stdout.splitlines()[0].split() == ["PUB", "REGISTER", "OUTCOME", "COUNT", "PROBABILITY"]


def test_listing_filters_and_one_job(home: dict[str, str], tmp_path: Path, service: ServiceInfo) -> None:
    first = qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_brisbane", "--shots", "100",
                "--tag", "cli-listing", "--wait")
    assert first.returncode == 0, first.stderr
    job_id = first.stdout.strip()
    listed = json.loads(qrt(home, "jobs", "--tag", "cli-listing", "--json").stdout)
    assert [job["id"] for job in listed] == [job_id]
    assert set(listed[0]) == {"id", "status", "backend", "program", "created", "session_id", "reason", "tags",
                              "usage_seconds"}
    assert listed[0]["tags"] == ["cli-listing"]  # qrt's own submission tag is not shown
    completed = json.loads(qrt(home, "jobs", "--status", "completed", "--backend", "ibm_brisbane", "--limit", "3",
                               "--json").stdout)
    assert completed and all(job["status"] == "Completed" and job["backend"] == "ibm_brisbane" for job in completed)
    assert not json.loads(qrt(home, "jobs", "--status", "failed", "--tag", "cli-listing", "--json").stdout)
    shown = qrt(home, "job", job_id)
    assert shown.returncode == 0 and f"Job      {job_id}" in shown.stdout and "Completed" in shown.stdout
    table = qrt(home, "jobs", "--limit", "2")
    assert table.stdout.splitlines()[0].split() == ["JOB", "STATUS", "BACKEND", "PROGRAM", "CREATED", "SESSION"]


def test_exit_codes_say_what_went_wrong(home: dict[str, str], tmp_path: Path) -> None:
    assert qrt(home, "job", "nosuchjob0000000000").returncode == 3
    assert qrt(home, "results", "nosuchjob0000000000").returncode == 3
    (tmp_path / "broken.qasm").write_text("OPENQASM 3.0; qubit[2] q; frobnicate q[0];")
    broken = qrt(home, "submit", str(tmp_path / "broken.qasm"), "--backend", "ibm_fez")
    assert broken.returncode == 2 and "frobnicate" in broken.stderr
    too_many = qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez", "--shots", "99999999")
    assert too_many.returncode == 2 and "Shots" in too_many.stderr
    assert qrt(home, "jobs", "--profile", "nobody").returncode == 3
    wrong_key = {**home}
    Path(home["QRT_CONFIG"]).with_name("tokens.json").write_text(json.dumps({"lab": "wrong-key-0123456789"}))
    refused = qrt(wrong_key, "jobs")
    assert refused.returncode == 4, refused.stderr
    config = Path(home["QRT_CONFIG"])
    config.write_text(config.read_text().replace(home_url(config), "http://127.0.0.1:9"))
    assert qrt(home, "jobs", timeout=180).returncode == 5


def home_url(config: Path) -> str:
    return next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("url"))


def test_failed_and_cancelled_jobs_exit_1(home: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "long.qasm").write_text(BELL)
    submitted = qrt(home, "submit", str(tmp_path / "long.qasm"), "--backend", "ibm_brisbane", "--shots", "100000",
                    "--json")
    job_id = json.loads(submitted.stdout)["id"]
    cancelled = qrt(home, "cancel", job_id, "--json")
    assert cancelled.returncode in (0, 2), cancelled.stderr  # 2: it finished first (409)
    waited = qrt(home, "wait", job_id, "--json")
    [job] = json.loads(waited.stdout)
    assert waited.returncode == (0 if job["status"] == "Completed" else 1)
    assert qrt(home, "cancel", "nosuchjob0000000000").returncode == 3


def test_sessions_from_the_shell(home: dict[str, str], tmp_path: Path) -> None:
    opened = qrt(home, "session", "open", "--backend", "ibm_fez", "--json")
    assert opened.returncode == 0, opened.stderr
    session = json.loads(opened.stdout)
    assert session["mode"] == "dedicated" and session["backend"] == "ibm_fez"
    joined = qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez", "--shots", "50",
                 "--session", session["id"], "--wait", "--json")
    assert json.loads(joined.stdout)["session_id"] == session["id"]
    batch = json.loads(qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez", "--shots", "50",
                           "--batch", "--json").stdout)
    listed = {s["id"]: s for s in json.loads(qrt(home, "sessions", "--json").stdout)}
    assert session["id"] in listed and listed[batch["session_id"]]["mode"] == "batch"
    assert qrt(home, "session", "close", session["id"]).returncode == 0
    assert qrt(home, "session", "cancel", batch["session_id"]).returncode == 0
    after = {s["id"]: s for s in json.loads(qrt(home, "sessions", "--json").stdout)}
    assert after[session["id"]]["accepting_jobs"] is False


def test_estimator_and_transpile(home: dict[str, str], tmp_path: Path) -> None:
    bell = tmp_path / "bell-state.qasm"
    bell.write_text('OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; h q[0]; cx q[0], q[1];')
    isa = qrt(home, "transpile", str(bell), "--backend", "ibm_fez", "--optimization-level", "1", "--json")
    assert isa.returncode == 0, isa.stderr
    transpiled = json.loads(isa.stdout)
    assert "cz" in transpiled["operations"] and len(transpiled["physical_qubits"]) == 2
    done = qrt(home, "submit", str(bell), "--backend", "ibm_fez", "--observables", "ZZ,ZI", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    values = json.loads(qrt(home, "results", json.loads(done.stdout)["id"], "--json").stdout)
    zz, zi = values[0]["values"]
    assert len(values[0]["observables"]) == 2  # as measured: laid out on the device's qubits
    assert zz > 0.8 and abs(zi) < 0.15


def test_the_embedded_default_runs_only_as_long_as_the_command(no_account: Path, tmp_path: Path) -> None:
    """No account at all: the command starts the embedded service, uses it and stops it;
    a job submitted without --wait runs when a later command (or the app) runs the service."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    (tmp_path / "bell.qasm").write_text(BELL)
    submitted = qrt(env, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez", "--shots", "200")
    assert submitted.returncode == 0, submitted.stderr
    assert "embedded" in submitted.stderr and "qrt wait" in submitted.stderr
    job_id = submitted.stdout.strip()
    assert not (no_account / "serve" / "embedded-service.json").exists()  # it stopped with the command
    assert qrt(env, "wait", job_id).returncode == 0
    rows = list(csv.DictReader(io.StringIO(qrt(env, "results", job_id, "--format", "csv").stdout)))
    assert sum(int(row["count"]) for row in rows) == 200


def test_a_running_embedded_service_is_reused(no_account: Path, tmp_path: Path) -> None:
    """While the app's embedded service runs (here: one started as the app starts it),
    commands use it, and a second service never starts on the same data dir."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "QRT_SERVE_API_KEY": "k" * 32}
    data = no_account / "serve"
    embedded = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", "0", "--data-dir", str(data), "--rendezvous"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert wait_until(lambda: (data / "embedded-service.json").exists(), 60)
        assert json.loads((data / "embedded-service.json").read_text())["pid"] == embedded.pid
        assert oct((data / "embedded-service.json").stat().st_mode & 0o777) == "0o600"
        listed = qrt(env, "backends", "--json")
        assert listed.returncode == 0, listed.stderr
        assert "started the embedded" not in listed.stderr
        second = subprocess.run([sys.executable, "-m", "tui", "serve", "--port", "0", "--data-dir", str(data)],
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 3 and f"pid {embedded.pid}" in second.stderr
        assert alive(embedded.pid)
    finally:
        embedded.terminate()
        embedded.wait(timeout=30)
    assert not (data / "embedded-service.json").exists()


def test_ctrl_c_stops_the_wait_not_the_job(home: dict[str, str], tmp_path: Path, service: ServiceInfo) -> None:
    import httpx

    hold = httpx.put(f"{service.url}/qrt/faults", headers=service.headers(), json={"spec": "scheduler:hold=1"})
    assert hold.status_code in (200, 204), hold.text
    try:
        job_id = qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez", "--shots", "10").stdout.strip()
        waiting = subprocess.Popen([sys.executable, "-m", "tui", "wait", job_id], env=home,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert waiting.stderr is not None
        assert "queued" in waiting.stderr.readline()  # connected and polling: the job is held in the queue
        waiting.send_signal(signal.SIGINT)
        _, stderr = waiting.communicate(timeout=30)
        assert waiting.returncode == 130, stderr
        assert "jobs already submitted go on" in stderr
        status = httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=service.headers()).json()["status"]
        assert status == "Queued"
    finally:
        httpx.put(f"{service.url}/qrt/faults", headers=service.headers(), json={"spec": ""})


def readme_script() -> str:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = text.split("<!-- cli-script -->", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return block.replace("qrt ", f"{sys.executable} -m tui ")


@pytest.mark.parametrize("where", ["profile", "embedded"])
def test_the_readme_script(where: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    env = request.getfixturevalue("home") if where == "profile" else {
        **os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QRT_DATA_DIR": str(request.getfixturevalue("no_account")), "QRT_CONFIG": str(tmp_path / "absent.toml")}
    (tmp_path / "bell.qasm").write_text(BELL)
    ran = subprocess.run(["bash", "-c", readme_script()], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=180)
    assert ran.returncode == 0, ran.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "counts.csv").read_text())))
    assert sum(int(row["count"]) for row in rows) == 1000
    assert {row["bitstring"] for row in rows[:2]} == {"00", "11"}


def test_a_closed_pipe_is_not_an_error(home: dict[str, str]) -> None:
    ran = subprocess.run(f"{sys.executable} -m tui backends | head -2", shell=True, env=home,
                         capture_output=True, text=True, timeout=120)
    assert len(ran.stdout.splitlines()) == 2 and ran.stderr == ""


def test_usage_and_tags_from_the_shell(home: dict[str, str], tmp_path: Path) -> None:
    usage = qrt(home, "usage", "--json")
    assert usage.returncode == 0, usage.stderr
    report = json.loads(usage.stdout)
    assert set(report) == {"instance", "plan", "consumed_seconds", "limit_seconds", "limit_reached", "period_end"}
    assert report["consumed_seconds"] >= 0 and report["period_end"].startswith("20")
    assert qrt(home, "usage").stdout.startswith("Usage: ")

    submitted = json.loads(qrt(home, "submit", str(tmp_path / "bell.qasm"), "--backend", "ibm_fez",
                               "--shots", "10", "--tag", "draft", "--json").stdout)
    tagged = qrt(home, "tag", submitted["id"], "calibration", "run 3", "--json")
    assert tagged.returncode == 0, tagged.stderr
    assert json.loads(tagged.stdout)["tags"] == ["calibration", "run 3"]
    too_many = qrt(home, "tag", submitted["id"], *(f"t{n}" for n in range(8)))
    assert too_many.returncode == 2 and "at most 7" in too_many.stderr
    cleared = qrt(home, "tag", submitted["id"])
    assert cleared.returncode == 0 and cleared.stdout.strip().endswith("no tags")
