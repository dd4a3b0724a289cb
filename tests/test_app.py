"""Pilot tests: the app against a real `qrt serve`, driven with the keyboard alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from screens.widgets.backends_table import BackendsTable
from screens.widgets.counts_table import CountsTable
from screens.widgets.jobs_table import JobsTable
from screens.widgets.qasm_editor import QasmEditor
from tests.conftest import ServiceInfo
from tui.api.auth import Secret
from tui.app import QrtApp, default_connection_factory
from tui.connection import Connection, connect_to_local_service

SIZE = (100, 30)


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def app_on(service: ServiceInfo) -> QrtApp:
    async def connect() -> Connection:
        return connect_to_local_service(service.url, Secret(service.api_key), service.instance)

    return QrtApp(connect)


def cell_text(value: object) -> str:
    return str(getattr(value, "plain", value)).strip()


async def test_keyboard_only_from_bell_editor_to_counts(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        backends = app.screen.query_one(BackendsTable)
        await wait_for(pilot, lambda: "ibm_brisbane" in backends.rows, "the backends table")
        badge = app.screen.query_one("#service-badge", Static)
        assert "LOCAL SIMULATOR" in str(badge.render())
        assert "h q[0];" in app.screen.query_one(QasmEditor).text

        await pilot.press("ctrl+t")
        status = app.screen.query_one("#editor-status", Static)
        await wait_for(pilot, lambda: "ISA for ibm_brisbane" in str(status.render()), "transpilation")

        await pilot.press("ctrl+r")
        counts = app.screen.query_one(CountsTable)
        await wait_for(pilot, lambda: counts.row_count >= 2, "the job's counts", timeout=120)
        top_two = {cell_text(counts.get_row_at(i)[0]) for i in range(2)}
        assert top_two == {"00", "11"}
        jobs = app.screen.query_one(JobsTable)
        assert jobs.row_count >= 1
        status_cell = jobs.get_cell(app.screen.shown_job_id, "status")
        assert cell_text(status_cell) == "Completed"


async def test_invalid_qasm_is_reported_at_its_line(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one(QasmEditor)
        editor.text = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbogus q[0];\n'
        status = app.screen.query_one("#editor-status", Static)
        await wait_for(pilot, lambda: "line 4" in str(status.render()), "the validation message")
        assert "bogus" in str(status.render())


async def test_no_account_starts_the_embedded_service_and_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QRT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QRT_CONFIG", str(tmp_path / "absent.toml"))
    app = QrtApp(default_connection_factory())
    async with app.run_test(size=SIZE) as pilot:
        backends = app.screen.query_one(BackendsTable)
        await wait_for(pilot, lambda: backends.row_count > 0, "backends from the embedded service")
        assert app.connection is not None and app.connection.local_service is not None
        process = app.connection.local_service.process
        assert process.returncode is None
        assert (tmp_path / "serve" / "qrt-serve.sqlite3").exists()
    assert process.returncode is not None  # stopped with the app


async def test_a_crash_traceback_shows_no_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    class CrashingApp(QrtApp):
        def on_mount(self) -> None:
            api_key = "qrt-secret-" + "in-a-local"  # noqa: F841 - what must not be printed
            raise RuntimeError("boom")

    async def connect() -> Connection:
        raise AssertionError("not reached")

    app = CrashingApp(connect)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE):
            pass
    printed = capsys.readouterr().err
    assert "boom" in printed
    assert "qrt-secret-in-a-local" not in printed
