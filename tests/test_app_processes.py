"""The app and its embedded service as real processes: nothing outlives the app, however it
ends, and a service that dies is started again without a key press."""

from __future__ import annotations

import os
import pty
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import drain_output, start_service
from tests.helpers.pilot import SIZE, wait_for
from tests.helpers.service import SLOW_SHOTS, ghz_qasm, isa, submit, worker_pid
from tests.processes import alive, descendants, wait_until
from tui.app import QrtApp, default_connection_factory
from tui.local_defaults import LOCAL_INSTANCE


def running_jobs(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'Running'").fetchone()[0])


def seed_a_long_job(data_dir: Path) -> None:
    """Leave a long job Running in the embedded service's store, as after a crash: the
    app's service runs it again as soon as it starts."""
    info = start_service(data_dir, secrets.token_urlsafe(16), "--instance", LOCAL_INSTANCE)
    drain_output(info)
    headers = {**info.headers(), "Service-CRN": LOCAL_INSTANCE}
    job_id = submit(info, headers, isa(ghz_qasm(12)), SLOW_SHOTS).json()["id"]
    worker_pid(info, headers, job_id)
    info.process.kill()
    info.process.wait()


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, "ctrl+q"])
def test_ending_the_app_while_a_job_runs_leaves_no_process_behind(tmp_path: Path, how: signal.Signals | str) -> None:
    seed_a_long_job(tmp_path / "serve")
    controller, terminal = pty.openpty()
    env = {**os.environ, "QRT_DATA_DIR": str(tmp_path), "QRT_CONFIG": str(tmp_path / "absent.toml"),
           "HOME": str(tmp_path), "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    app = subprocess.Popen([sys.executable, "-m", "tui"], stdin=terminal, stdout=terminal, stderr=terminal,
                           env=env, start_new_session=True)
    os.close(terminal)
    threading.Thread(target=_drain, args=(controller,), daemon=True).start()  # the screen, unread
    try:
        database = tmp_path / "serve" / "qrt-serve.sqlite3"
        # The service started, picked the job up again, and its simulation runs.
        assert wait_until(lambda: len(descendants(app.pid)) >= 3 and running_jobs(database) == 1, 60)
        tree = descendants(app.pid)
        ended = time.monotonic()
        if how == "ctrl+q":
            os.write(controller, b"\x11")
        else:
            os.kill(app.pid, how)
        app.wait(timeout=10)
        if how == "ctrl+q":  # quitting returns to the shell at once, whatever runs
            assert app.returncode == 0 and time.monotonic() - ended < 2.0, time.monotonic() - ended
        assert wait_until(lambda: not any(alive(pid) for pid in tree), 2.0), [p for p in tree if alive(p)]
    finally:
        if app.poll() is None:
            app.kill()
        os.close(controller)


async def test_the_app_restarts_its_embedded_service_when_it_dies(no_account: Path) -> None:
    app = QrtApp(default_connection_factory())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.jobs_snapshot is not None, "the first jobs poll")
        assert app.connection is not None and app.connection.local_service is not None
        service = app.connection.local_service
        first = service.process
        url = service.url
        first.kill()
        await wait_for(pilot, lambda: service.restarts == 1, "the service started again")
        await wait_for(pilot, lambda: "started again" in " ".join(str(n.message) for n in app._notifications),
                       "the one notice of the restart")
        assert service.process is not first and service.process.returncode is None
        assert service.url == url
        # The same client goes on: a job submitted now shows in the monitor by itself.
        httpx.get(f"{url}/api/v1/versions").raise_for_status()
        before = app.jobs_snapshot
        await wait_for(pilot, lambda: app.jobs_snapshot is not before and app.jobs_stale_since is None,
                       "a fresh poll after the restart")

    assert service.process.returncode is not None
