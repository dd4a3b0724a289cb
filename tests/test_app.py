"""Pilot tests: the app against a real `qrt serve`, driven with the keyboard alone."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from screens.widgets.backends_table import BackendsTable
from screens.widgets.counts_table import CountsTable
from screens.widgets.jobs_table import JobsTable
from screens.widgets.qasm_editor import QasmEditor
from tests.conftest import ServiceInfo
from tests.helpers.pilot import FAST_POLLING, SIZE, never_connects, wait_for
from tui.api.auth import Secret
from tui.api.errors import ApiError
from tui.app import QrtApp, default_connection_factory
from tui.connection import Connection, connect_to_local_service
from tui.preferences import Preferences


def app_on(service: ServiceInfo, api_key: str | None = None) -> QrtApp:
    async def connect() -> Connection:
        return connect_to_local_service(service.url, Secret(api_key or service.api_key), service.instance)

    return QrtApp(connect, FAST_POLLING)


def cell_text(value: object) -> str:
    return str(getattr(value, "plain", value)).strip()


def rendered(widget: Static) -> str:
    return str(widget.render())


def rendered_text(widget: Static) -> str:
    """What a Static shows, tables and all, as plain text."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


def notifications(app: QrtApp) -> str:
    return " | ".join(f"{n.title}: {n.message}" for n in app._notifications)


async def test_a_user_path_from_editor_to_exported_counts_in_a_session(
    service: ServiceInfo, tmp_path: Path
) -> None:
    """Pick a backend -> edit -> transpile -> submit in a session -> watch it finish ->
    read and export the counts -> stop the session; keyboard only."""
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connection is not None and bool(app.backends), "backends")

        await pilot.press("f2")
        backends = app.screen.query_one(BackendsTable)
        await wait_for(pilot, lambda: "ibm_fez" in backends.rows, "the backends table")
        await pilot.press("slash", *"fez", "enter")
        await wait_for(pilot, lambda: backends.row_count == 1, "the filter to leave ibm_fez")
        screen = app.screen
        await wait_for(pilot, lambda: getattr(screen.shown_detail, "name", "") == "ibm_fez", "its details")
        assert "cz" in screen.shown_detail.basis_gates and screen.shown_detail.t1_median_us
        await pilot.press("enter")
        assert app.selected_backend == "ibm_fez"

        await pilot.press("f3")
        editor = app.screen.query_one(QasmEditor)
        assert "h q[0];" in editor.text
        await pilot.press("ctrl+t")
        status = app.screen.query_one("#editor-status", Static)
        await wait_for(pilot, lambda: "ISA for ibm_fez" in rendered(status), "transpilation")

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-mode"), "the submit dialog")
        shots = app.screen.query_one("#submit-shots", Input)
        shots.value = "2000"
        app.screen.query_one("#submit-mode").value = "session"
        await pilot.press("ctrl+s")
        counts = app.screen.query_one(CountsTable)
        await wait_for(pilot, lambda: counts.row_count >= 2, "the job's counts", timeout=120)
        top_two = {cell_text(counts.get_row_at(i)[0]) for i in range(2)}
        assert top_two == {"00", "11"}
        assert sum(int(cell_text(count)) for count in counts.get_column("count")) == 2000
        job_id = app.screen.shown_job_id
        # The session opened for it (others on the shared service may be known from their jobs).
        assert app.jobs_snapshot is not None
        session_id = next(job.session_id for job in app.jobs_snapshot.jobs if job.id == job_id)
        assert session_id in app.sessions and app.sessions[session_id].mode == "dedicated"

        await pilot.press("f4")
        jobs = app.screen.query_one(JobsTable)
        await wait_for(pilot, lambda: job_id in jobs.rows, "the job in the jobs list")
        assert cell_text(jobs.get_cell(job_id, "status")) == "Completed"
        assert cell_text(jobs.get_cell(job_id, "session")) == session_id[:12]
        jobs.move_cursor(row=jobs.get_row_index(job_id))
        await pilot.press("enter")
        detail_counts = app.screen.query_one("#job-results", CountsTable)
        await wait_for(pilot, lambda: detail_counts.row_count >= 2, "the job detail's counts")

        export = tmp_path / "counts.csv"
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.query("#path-input"), "the export dialog")
        app.screen.query_one("#path-input", Input).value = str(export)
        await pilot.press("enter")
        await wait_for(pilot, export.exists, "the exported file")
        lines = export.read_text().splitlines()
        assert lines[0].startswith("pub,register,bitstring")
        assert sum(int(line.split(",")[5]) for line in lines[1:]) == 2000

        await pilot.press("escape", "f5")
        sessions = app.screen.query_one("#sessions", DataTable)
        await wait_for(pilot, lambda: session_id in sessions.rows, "the session in the sessions list")
        await wait_for(pilot, lambda: app.sessions[session_id].state == "active", "the session to be active")
        closes_in = cell_text(sessions.get_cell(session_id, "closes"))
        assert re.fullmatch(r"\d+h\d\dm|\d+m\d\ds", closes_in), closes_in  # counting down max_ttl
        await pilot.press("a", "y")
        await wait_for(pilot, lambda: not app.sessions[session_id].accepting_jobs, "the session to stop accepting")


async def test_transpile_through_the_transpiler_service_then_submit(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected_backend is not None, "backends")
        await pilot.press("f3", "ctrl+l")
        await wait_for(pilot, lambda: app.screen.query("#transpile-where"), "the transpile dialog")
        await pilot.press("enter", "down", "enter")  # Where: the transpiler service
        assert app.screen.query_one("#transpile-where").value == "service"
        app.screen.query_one("#transpile-level").value = 0
        await pilot.press("ctrl+s")
        assert "levels 1 to 3" in rendered(app.screen.query_one("#transpile-error", Static))
        app.screen.query_one("#transpile-level").value = 1
        await pilot.press("ctrl+s")
        status = app.screen.query_one("#editor-status", Static)
        assert "transpiler service" in str(status.border_title)

        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "(transpiler service)" in rendered(status), "the service's ISA circuit")
        assert app.screen.transpiled.settings.where == "service"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-shots"), "the submit dialog")
        await pilot.press("ctrl+s")
        counts = app.screen.query_one(CountsTable)
        await wait_for(pilot, lambda: counts.row_count >= 2, "the job's counts", timeout=120)
        assert {cell_text(counts.get_row_at(i)[0]) for i in range(2)} == {"00", "11"}


async def test_estimator_values_through_the_submit_dialog(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected_backend is not None, "backends")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-program"), "the submit dialog", timeout=90)
        app.screen.query_one("#submit-program").value = "estimator"
        app.screen.query_one("#submit-observables", Input).value = "ZZ, XX, IZ"
        await pilot.press("ctrl+s")
        job_id = await _submitted_job(pilot, app)
        await _wait_final(pilot, app, job_id)
        last_job = app.screen.query_one(CountsTable)
        await wait_for(pilot, lambda: last_job.row_count == 3, "the values beside the editor")
        values = await _job_detail_results(pilot, app, job_id)
        await wait_for(pilot, lambda: values.row_count == 3, "three expectation values")
        rows = [values.get_row_at(i) for i in range(3)]
        (zz, zz_std), (xx, xx_std), (iz, _) = ((float(cell_text(r[2])), float(cell_text(r[3]))) for r in rows)
        # Readout mitigation rescales the estimate, so it may pass 1 by a few standard deviations.
        assert 0.8 < zz <= 1.0 + 4 * zz_std and 0.8 < xx <= 1.0 + 4 * xx_std
        assert abs(iz) < 0.15


async def test_the_executor_programs_through_the_submit_dialog(service: ServiceInfo) -> None:
    """The executor-based Sampler (twirled) and Estimator, as IBM's client builds them:
    counts beside the editor, values with their uncertainty, the job detail reading both."""
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected_backend is not None, "backends")
        await pilot.press("ctrl+r")  # on ibm_brisbane, whose ecr gates samplomatic cannot box
        await wait_for(pilot, lambda: app.screen.query("#submit-program"), "the submit dialog", timeout=90)
        app.screen.query_one("#submit-program").value = "executor-estimator"
        await pilot.press("ctrl+s")
        status = app.screen.query_one("#editor-status", Static)
        await wait_for(pilot, lambda: "Not submitted" in rendered(status), "the refusal")
        assert "does not support ecr gates" in rendered(status) and "Heron" in rendered(status)

        app.selected_backend = "ibm_fez"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-program"), "the submit dialog", timeout=90)
        app.screen.query_one("#submit-program").value = "executor-sampler"
        await pilot.pause()
        assert "executor-based Sampler" in rendered(app.screen.query_one("#submit-program-note", Static))
        assert app.screen.query_one("#submit-dd").disabled
        app.screen.query_one("#submit-shots", Input).value = "1000"
        app.screen.query_one("#submit-twirling").value = True
        await pilot.press("ctrl+s")
        sampler_job = await _submitted_job(pilot, app)
        await _wait_final(pilot, app, sampler_job)
        counts = app.screen.query_one(CountsTable)
        await wait_for(pilot, lambda: counts.row_count >= 2, "the executor job's counts")
        assert {cell_text(counts.get_row_at(i)[0]) for i in range(2)} == {"00", "11"}
        assert "1024 shots" in str(counts.border_title)  # 16 twirled randomizations of 64

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-program"), "the submit dialog")
        app.screen.query_one("#submit-program").value = "executor-estimator"
        app.screen.query_one("#submit-observables", Input).value = "ZZ, IZ"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.shown_job_id != sampler_job, "the second submission")
        estimator_job = str(app.screen.shown_job_id)
        await _wait_final(pilot, app, estimator_job)
        values = app.screen.query_one(CountsTable)
        await wait_for(pilot, lambda: values.row_count == 2, "the executor Estimator's values")
        zz, iz = (float(cell_text(values.get_row_at(i)[2])) for i in range(2))
        assert 0.8 < zz < 1.1 and abs(iz) < 0.15
        assert cell_text(values.get_row_at(0)[1]) == "ZZ"

        detail = await _job_detail_results(pilot, app, sampler_job)
        await wait_for(pilot, lambda: detail.row_count >= 2, "the executor job's counts in its detail")
        assert app.screen.counts[0].shots == 1024


async def _job_detail_results(pilot: Pilot[None], app: QrtApp, job_id: str) -> CountsTable:
    """F4, the job's row, Enter: the detail's results table."""
    await pilot.press("f4")
    jobs = app.screen.query_one(JobsTable)
    await wait_for(pilot, lambda: job_id in jobs.rows, "the job row")
    jobs.move_cursor(row=jobs.get_row_index(job_id))
    await pilot.press("enter")
    return app.screen.query_one("#job-results", CountsTable)


async def _submitted_job(pilot: Pilot[None], app: QrtApp) -> str:
    await wait_for(pilot, lambda: getattr(app.screen, "shown_job_id", None) is not None, "the submission")
    return str(app.screen.shown_job_id)  # type: ignore[attr-defined]


async def _wait_final(pilot: Pilot[None], app: QrtApp, job_id: str) -> None:
    def final() -> bool:
        snapshot = app.jobs_snapshot
        return snapshot is not None and any(j.id == job_id and j.is_final for j in snapshot.jobs)

    await wait_for(pilot, final, f"job {job_id} to finish", timeout=120)


async def test_bad_submit_fields_are_named_and_nothing_is_sent(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected_backend is not None, "backends")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-shots"), "the submit dialog", timeout=90)
        app.screen.query_one("#submit-shots", Input).value = "lots"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#submit-error", Static)
        assert "Shots: 'lots' is not a whole number" in rendered(error)
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert getattr(app.screen, "shown_job_id", None) is None


async def test_invalid_qasm_is_reported_at_its_line(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one(QasmEditor)
        editor.text = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbogus q[0];\n'
        status = app.screen.query_one("#editor-status", Static)
        await wait_for(pilot, lambda: "line 4" in rendered(status), "the validation message")
        assert "bogus" in rendered(status)


async def test_cancel_and_delete_ask_first(service: ServiceInfo, bell_isa_qasm: str) -> None:
    app = app_on(service)
    service.set_faults("scheduler:hold=1")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.connection is not None, "the connection")
            client = app.require_client()
            job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 100]])
            await pilot.press("f4")
            jobs = app.screen.query_one(JobsTable)
            await wait_for(pilot, lambda: job_id in jobs.rows, "the queued job")
            jobs.move_cursor(row=jobs.get_row_index(job_id))
            await pilot.press("c", "n")
            await pilot.pause(0.5)
            assert (await client.job(job_id)).status == "Queued"
            await pilot.press("c", "y")
            await wait_for(pilot, lambda: cell_text(jobs.get_cell(job_id, "status")) == "Cancelled", "cancelled")
            await pilot.press("x", "y")
            await wait_for(pilot, lambda: job_id not in jobs.rows, "the deleted row to go")
            page = await client.jobs(limit=200)
            assert job_id not in {job.id for job in page.jobs}
    finally:
        service.set_faults("")


async def test_service_down_then_back_shows_stale_and_recovers(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.jobs_snapshot is not None, "a first poll")
        await pilot.press("f4")
        service.set_faults("/api/v1/jobs:status=503")
        try:
            await wait_for(pilot, lambda: app.jobs_stale_since is not None, "stale data", timeout=30)
            bar = app.screen.query_one("#top-bar", Static)
            assert "STALE since" in rendered(bar)
            assert "STALE since" in str(app.screen.query_one(JobsTable).border_title)
        finally:
            service.set_faults("")
        await wait_for(pilot, lambda: app.jobs_stale_since is None, "recovery", timeout=40)
        assert "STALE" not in rendered(app.screen.query_one("#top-bar", Static))


async def test_a_bad_token_is_reported_as_such(service: ServiceInfo) -> None:
    app = app_on(service, api_key="not-the-key")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "authoriz" in notifications(app).lower(), "an authorization message")
        assert "not-the-key" not in notifications(app)
        assert "F6" in notifications(app)
        await wait_for(pilot, lambda: "KEY REFUSED" in rendered(app.screen.query_one("#top-bar", Static)), "the top bar")
        await pilot.pause(0.5)  # the backends, the jobs and the next polls all meet the refusal
        assert len(app._notifications) == 1 and notifications(app).count("log in again") == 1  # said once
        assert app.jobs_stale_since is None  # refused, not stale


async def test_help_lists_every_key_of_the_screen_with_its_id(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        shown = {row[3]: row[0] for row in app.screen.rows}
        for binding_id in ("editor.submit", "editor.transpile", "editor.template", "app.jobs", "app.quit"):
            assert binding_id in shown
        assert shown["editor.submit"] == "^r"
        await pilot.press("escape", "f4", "f1")
        shown = {row[3]: row[0] for row in app.screen.rows}
        assert "jobs.cancel" in shown and "jobs.pause" in shown


async def test_remapped_keys_work_and_are_shown(service: ServiceInfo) -> None:
    keys = {"app.jobs": "f9", "editor.submit": "ctrl+r,f10", "editr.transpile": "f11"}
    app = QrtApp(app_on(service)._connect, Preferences(keys=keys))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert ("^r / f10", "Submit", "Editor", "editor.submit") in app.screen.rows  # every key of it
        await pilot.press("escape", "f9")
        assert type(app.screen).__name__ == "JobsScreen"
        await pilot.press("f1")
        assert ("f9", "Jobs", "everywhere", "app.jobs") in app.screen.rows
        await wait_for(pilot, lambda: "'editr.transpile'" in notifications(app), "the misspelt id named")
        assert "'editor.submit'" not in notifications(app)


async def test_below_80x24_a_notice_replaces_the_layout(service: ServiceInfo) -> None:
    app = app_on(service)
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause(0.2)
        notice = app.screen.query_one("#too-small", Static)
        assert "at least 80x24" in rendered(notice) and "70x20" in rendered(notice)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert not app.screen.query("#too-small")


async def test_no_account_starts_the_embedded_service_and_stops_it(no_account: Path) -> None:
    app = QrtApp(default_connection_factory())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.backends) > 0, "backends from the embedded service")
        assert app.connection is not None and app.connection.local_service is not None
        assert "LOCAL SIMULATOR" in rendered(app.screen.query_one("#top-bar", Static))
        process = app.connection.local_service.process
        assert process.returncode is None
        assert (no_account / "serve" / "qrt-serve.sqlite3").exists()
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


async def test_log_in_with_a_profile_then_log_out(
    service: ServiceInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F6: a profile for a qrt serve with its API key typed masked; no keyring here, so the
    key stays in memory and the screen says so; connect; log out forgets the key."""
    monkeypatch.setenv("QRT_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await pilot.press("n")
        await pilot.press(*"lab")
        await pilot.press("tab", "tab")  # channel -> instance
        app.screen.query_one("#profile-channel").value = "local"
        app.screen.query_one("#profile-instance", Input).value = service.instance
        app.screen.query_one("#profile-url", Input).value = service.url
        token_box = app.screen.query_one("#profile-token", Input)
        token_box.value = service.api_key
        assert token_box.password  # shown masked
        await pilot.press("ctrl+s")
        storage = app.screen.query_one("#token-storage", Static)
        await wait_for(pilot, lambda: "memory for this run only" in rendered(storage), "where the key went")
        assert service.api_key not in (tmp_path / "config.toml").read_text()

        profiles = app.screen.query_one("#profiles", DataTable)
        await wait_for(pilot, lambda: "lab" in profiles.rows, "the new profile row")
        # The cursor stays on what was saved (it once jumped back to the embedded row).
        assert profiles.coordinate_to_cell_key(profiles.cursor_coordinate).row_key.value == "lab"
        profiles.focus()
        profiles.move_cursor(row=profiles.get_row_index("lab"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.connection is not None and bool(app.backends), "backends via the profile")
        assert app.connection.profile_name == "lab"

        await pilot.press("f6")
        profiles = app.screen.query_one("#profiles", DataTable)
        profiles.move_cursor(row=profiles.get_row_index("lab"))
        await pilot.press("o", "y")
        await wait_for(pilot, lambda: app.connection is None, "the log-out")
        assert not await app.accounts.has_token("lab")
        # Nothing of the old profile stays on screen, and actions say why they cannot run.
        assert app.jobs_snapshot is None and not app.backends and not app.sessions
        with pytest.raises(ApiError, match="Logged out"):
            app.require_workspace()

        # Enter in the key field saves and connects, as the screen's title says.
        token_box = app.screen.query_one("#profile-token", Input)
        token_box.value = service.api_key
        token_box.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.connection is not None and app.connection.profile_name == "lab",
                       "the connection made from the key field")




async def test_a_failure_ends_the_busy_status_and_says_what_to_change(service: ServiceInfo) -> None:
    """Once the status stayed "Transpiling…, then submitting…" after a 200-qubit circuit on
    ibm_brisbane (shown as "Unexpected error · TranspilerError"), or a refused job."""
    from tui.circuits import ghz_qasm

    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.connection is not None and bool(app.backends), "backends")
        app.selected_backend = "ibm_brisbane"
        await pilot.press("f3")
        editor = app.screen.query_one(QasmEditor)
        editor.text = ghz_qasm(200)
        await pilot.pause()
        status = app.screen.query_one("#editor-status", Static)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "✗" in rendered(status), "the transpile failure")
        assert "200 qubits" in rendered(status) and "127" in rendered(status)
        assert "TranspilerError" not in notifications(app)

        editor.text = ghz_qasm(2)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.query("#submit-shots"), "the submit dialog")
        app.screen.query_one("#submit-shots", Input).value = "3000000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        if app.screen.query("#submit-shots"):  # the dialog refused it itself
            assert rendered(app.screen.query_one("#submit-error", Static))
        else:
            await wait_for(pilot, lambda: "✗" in rendered(status), "the refusal")
            assert "Submitting" not in rendered(status)


async def test_a_session_not_started_has_no_countdown_and_a_closed_one_is_not_cancelled_again(
    service: ServiceInfo,
) -> None:
    """A new session showed "closes in 7h59m" beside "started not yet" (IBM's clock runs
    from its first job), and cancelling a closed session said "cancelled"."""
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.workspace is not None, "the connection")
        assert app.workspace is not None
        session = await app.workspace.open_session("ibm_brisbane", "batch")
        app.remember_session(session)
        await pilot.press("f5")
        table = app.screen.query_one("#sessions", DataTable)
        await wait_for(pilot, lambda: session.id in table.rows, "the new session")
        assert cell_text(table.get_cell(session.id, "closes")) == "not started"
        table.move_cursor(row=table.get_row_index(session.id))
        await pilot.pause()
        assert "counted from its first job" in rendered_text(app.screen.query_one("#session-detail", Static))

        await pilot.press("c", "y")
        await wait_for(pilot, lambda: app.sessions[session.id].is_closed, "the session to close")
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "SessionsScreen"  # no question asked
        assert f"Session {session.id} is closed: nothing to change." in notifications(app)


async def test_a_new_backends_sort_shows_its_best_rows(service: ServiceInfo) -> None:
    """The sort kept the cursor's row in view, so the best rows of the new order were off
    screen at 80x24."""
    app = app_on(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.backends), "backends")
        await pilot.press("f2")
        table = app.screen.query_one(BackendsTable)
        await wait_for(pilot, lambda: table.row_count == len(app.backends), "the backends table")
        await pilot.press("G")  # as in k9s and lazygit: G last, g first, j down, k up
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g", "j", "j", "k")
        assert table.cursor_row == 1
        await pilot.press("G")
        await pilot.press("s")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert " · by " in str(table.border_title)


async def test_a_sampler_jobs_counts_are_shown_beside_the_ideal_distribution(
    service: ServiceInfo, bell_isa_qasm: str
) -> None:
    """Beside a noisy Bell job's counts, the exact noiseless probabilities (00 and 11 at a
    half each, 01 and 10 never) and the Hellinger fidelity and TVD between the two."""
    from qiskit.quantum_info import hellinger_fidelity

    from screens.job_detail import JobDetailScreen

    app = app_on(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.workspace is not None, "the connection")
        assert app.workspace is not None
        client = app.workspace.client
        job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 4000]])
        assert app.scheduler is not None
        app.scheduler.watch_job(job_id)  # as the app does for the jobs it submits: polled at the active pace
        app.poll()
        await wait_for(pilot, lambda: app.jobs_snapshot is not None and any(
            job.id == job_id and job.status.succeeded for job in app.jobs_snapshot.jobs), "the job to complete")
        assert app.jobs_snapshot is not None
        app.push_screen(JobDetailScreen(next(job for job in app.jobs_snapshot.jobs if job.id == job_id)))
        await pilot.pause()
        table = app.screen.query_one("#job-results", CountsTable)
        await wait_for(pilot, lambda: "Ideal" in [str(c.label) for c in table.columns.values()], "the ideal column")
        rows = {cell_text(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(table.row_count)}
        assert set(rows) == {"00", "01", "10", "11"}  # noise gives 01 and 10 a few shots
        assert cell_text(rows["00"][5]) == cell_text(rows["11"][5]) == "0.5000"
        assert cell_text(rows["01"][5]) == cell_text(rows["10"][5]) == "0.0000"
        measured = {bits: int(cell_text(row[3])) for bits, row in rows.items()}
        expected = hellinger_fidelity({"00": 0.5, "11": 0.5}, measured)
        title = str(table.border_title)
        assert f"Hellinger fidelity {expected:.4f}" in title and "TVD 0.0" in title, title
        assert 0.9 < expected < 1  # noisy, and close

        await pilot.press("o")  # the circuit it ran, into the editor
        await wait_for(pilot, lambda: type(app.screen).__name__ == "EditorScreen", "the editor")
        editor = app.screen.query_one(QasmEditor)
        await wait_for(pilot, lambda: editor.text == bell_isa_qasm, "the job's circuit in the editor")
        assert f"job {job_id} · pub 0 as it ran (ISA)" in str(editor.border_title)
        assert app.unsaved_edits is None  # nothing of the user's to lose yet


async def test_a_jobs_tags_are_edited_from_the_jobs_list(service: ServiceInfo, bell_isa_qasm: str) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.workspace is not None, "the connection")
        assert app.workspace is not None and app.scheduler is not None
        client = app.workspace.client
        job_id = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["draft"])
        app.scheduler.watch_job(job_id)
        await pilot.press("f4")
        table = app.screen.query_one(JobsTable)
        await wait_for(pilot, lambda: job_id in table.rows, "the job in the list")
        table.move_cursor(row=table.get_row_index(job_id))
        await pilot.press("t")
        await pilot.pause()
        box = app.screen.query_one("#text-input", Input)
        assert box.value == "draft"  # its own tags, not qrt's submission tag
        box.value = "calibration, run 3"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "calibration, run 3" in notifications(app), "the tags saved")
        job = await client.job(job_id)
        assert job.user_tags == ("calibration", "run 3") and len(job.tags) == 3  # the submission tag kept
        usage = await client.usage()
        await wait_for(pilot, lambda: str(table.border_subtitle).startswith("Usage: "), "the usage line")
        assert f"period ends {usage.period_end:%Y-%m-%d}" in str(table.border_subtitle)

        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one("#text-input", Input).value = ", ".join(f"t{n}" for n in range(8))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "at most 7" in notifications(app), "IBM's limit said")
        assert (await client.job(job_id)).user_tags == ("calibration", "run 3")  # nothing sent


async def test_the_jobs_filter_completes_a_tag_from_the_service(service: ServiceInfo, bell_isa_qasm: str) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.workspace is not None, "the connection")
        assert app.workspace is not None
        await app.workspace.client.submit_sampler_job(
            "ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["zeta-sweep-41"]
        )
        await pilot.press("f4", "slash")
        box = app.screen.query_one("#jobs-filter", Input)
        assert box.has_focus
        await pilot.press(*"status:completed tag:zeta")
        await wait_for(pilot, lambda: box._suggestion.endswith("zeta-sweep-41"), "the tag suggested")
        await pilot.press("tab")
        assert box.value == "status:completed tag:zeta-sweep-41"
        # qrt's own submission tags are the service's but not the user's
        assert await app.workspace.client.search_tags("qrt")
        assert await app.workspace.tags_starting("qrt") == []


async def test_the_workloads_view_lists_batches_and_opens_their_jobs(service: ServiceInfo, bell_isa_qasm: str) -> None:
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.workspace is not None, "the connection")
        assert app.workspace is not None
        client = app.workspace.client
        batch = await client.create_session("ibm_brisbane", "batch")
        in_batch = [await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], session_id=batch.id)
                    for _ in range(2)]
        alone = await client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]], tags=["solo-run"])
        await pilot.press("f7")
        table = app.screen.query_one("#workloads", DataTable)
        await wait_for(pilot, lambda: batch.id in table.rows and alone in table.rows, "the batch and the job")
        assert not set(in_batch) & {key.value for key in table.rows}  # the batch stands for its jobs
        assert cell_text(table.get_cell(batch.id, "mode")) == "batch"
        assert cell_text(table.get_cell(alone, "tags")) == "solo-run"  # not qrt's submission tag

        table.move_cursor(row=table.get_row_index(batch.id))
        await pilot.press("enter")
        jobs = app.screen.query_one("#workload-jobs", JobsTable)
        await wait_for(pilot, lambda: set(in_batch) <= {key.value for key in jobs.rows}, "the batch's jobs")
        assert jobs.has_focus and len(jobs.rows) == 2
        await pilot.press("escape")
        assert table.has_focus and jobs.has_class("hidden")

        await pilot.press("slash", *"mode:job solo", "enter")
        await wait_for(pilot, lambda: list(key.value for key in table.rows) == [alone], "the filtered list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "JobDetailScreen", "the job opened")
        await pilot.press("escape")
        await pilot.press("slash", *" status:lost", "enter")
        await wait_for(pilot, lambda: "status:lost" in str(table.border_subtitle), "the filter's problem said")


async def test_the_logs_of_a_running_job_are_followed(service: ServiceInfo) -> None:
    from screens.job_detail import JobDetailScreen
    from tests.helpers.service import SLOW_SHOTS, ghz_qasm, isa, submit

    headers = service.headers()
    service.set_faults("scheduler:hold=1")  # queued until the detail is open, so only following shows it start
    slow = submit(service, headers, isa(ghz_qasm(12), "ibm_torino"), SLOW_SHOTS, backend="ibm_torino").json()["id"]
    app = app_on(service)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.scheduler is not None, "the connection")
            assert app.scheduler is not None and app.workspace is not None
            app.scheduler.watch_job(slow)
            app.push_screen(JobDetailScreen(await app.workspace.job(slow)))
            await pilot.pause()
            await pilot.press("4")  # the Logs tab, opened before the job starts
            logs = app.screen.query_one("#job-logs", Static)
            await wait_for(pilot, lambda: "no log lines" in rendered(logs), "the empty log of the queued job")
            service.set_faults("")
            await wait_for(pilot, lambda: "running in simulator process" in rendered(logs), "the log followed")
            assert not (await app.workspace.job(slow)).is_final  # read while it runs, not at its end
    finally:
        service.set_faults("")
        httpx.post(f"{service.url}/api/v1/jobs/{slow}/cancel", headers=headers)


async def test_the_mode_screens_are_built_ahead_and_shown_by_their_first_key(service: ServiceInfo) -> None:
    """A first F2/F4/F5/F7 built its screen then (0.3-0.7 s): once the backends are on
    screen, every mode's screen is composed hidden, and its key shows that same screen,
    while the editor keeps the focus it had."""
    app = app_on(service)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.backends), "backends")
        others = [mode for mode in app.MODES if mode != "editor"]
        await wait_for(pilot, lambda: all(mode in app._screen_stacks for mode in others), "the screens built ahead")
        assert app.current_mode == "editor" and isinstance(app.focused, QasmEditor)
        built = {mode: app._screen_stacks[mode][0] for mode in others}
        await wait_for(pilot, lambda: any(table.row_count == len(app.backends)
                                                for table in built["backends"].query(BackendsTable)),
                       "the hidden backends table filled")
        for key, mode in (("f2", "backends"), ("f4", "jobs"), ("f5", "sessions"), ("f7", "workloads")):
            await pilot.press(key)
            assert app.screen is built[mode]


async def test_at_80_columns_the_footer_shows_the_screens_keys_first_and_help() -> None:
    """The editor's footer began with F6 and F7 (app keys that replaced the text area's
    hidden ones took their place) and F1 was pushed off the end; a table's Enter showed
    nothing, though its screen answers it."""
    from textual.widgets._footer import FooterKey

    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(FooterKey)), "the footer")
        keys = [key.key for key in app.screen.query(FooterKey)]
        assert keys[0] == "ctrl+t" and "f1" in keys and "f6" in keys
        assert not {"f2", "f3", "f4", "f5", "f7"} & set(keys)  # the top bar shows those
        await pilot.press("f2")
        await wait_for(pilot, lambda: any(key.key == "enter" for key in app.screen.query(FooterKey)),
                       "the backends table's Enter in the footer")
        enter = next(key for key in app.screen.query(FooterKey) if key.key == "enter")
        assert enter.description == "Use for editor"


async def test_the_jobs_title_keeps_its_state_at_80_columns_and_grows_back_when_wider(service: ServiceInfo) -> None:
    """At 80 columns the title was cut at "updated…"; and a title fitted to one width kept
    that form after a resize until the next poll."""
    app = app_on(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.jobs_snapshot is not None, "the first poll")
        await pilot.press("f4")
        table = app.screen.query_one(JobsTable)
        await wait_for(pilot, lambda: "updated" in str(table.border_title), "the jobs title")
        title = str(table.border_title)
        assert len(title) <= 80 - 6 and "sorted by newest" in title and "every" not in title, title
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        title = str(table.border_title)
        assert "shown of" in title and "updated" in title and "while active" in title, title
