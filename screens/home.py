"""HomeScreen: backends, jobs, the QASM editor and the counts of a job, on one screen.

A newcomer lands here with nothing to configure: pick a backend (Enter), edit the Bell
circuit, transpile (Ctrl+T), submit (Ctrl+R) and watch the job's counts appear.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from screens.widgets.backends_table import BackendsTable
from screens.widgets.counts_table import CountsTable
from screens.widgets.jobs_table import JobsTable
from screens.widgets.qasm_editor import QasmEditor
from tui import circuits
from tui.api.errors import ApiError
from tui.api.models import Backend
from tui.messages import (
    BackendsLoaded,
    CircuitTranspiled,
    JobsRefreshed,
    JobsRefreshFailed,
    JobSubmitted,
    QasmChecked,
    ResultsLoaded,
)
from tui.monitor import JobMonitor
from tui.results import sampler_counts

if TYPE_CHECKING:
    from tui.app import QrtApp

PREFERRED_BACKEND = "ibm_brisbane"
DEFAULT_SHOTS = 4096
VALIDATION_DELAY = 0.4


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+t", "transpile", "Transpile", id="editor.transpile"),
        Binding("ctrl+r", "submit", "Submit", id="editor.submit"),
        Binding("f2", "focus('backends')", "Backends", id="focus.backends"),
        Binding("f3", "focus('editor')", "Editor", id="focus.editor"),
        Binding("f4", "focus('jobs')", "Jobs", id="focus.jobs"),
        Binding("f5", "refresh_jobs", "Refresh", id="jobs.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.backends: list[Backend] = []
        self.selected_backend: str | None = None
        self.transpiled: circuits.TranspiledCircuit | None = None
        self.transpiled_source: str | None = None
        self.monitor: JobMonitor | None = None
        self.shown_job_id: str | None = None
        self._poll_timer: Timer | None = None
        self._validation_timer: Timer | None = None

    @property
    def qrt(self) -> QrtApp:
        return cast("QrtApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Connecting…", id="service-badge")
        with Horizontal(id="panes"):
            with Vertical(id="left-pane"):
                yield BackendsTable(id="backends")
                yield JobsTable(id="jobs")
            with Vertical(id="right-pane"):
                yield QasmEditor(circuits.BELL_QASM, id="editor")
                yield Static("", id="editor-status")
                yield CountsTable(id="counts")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#backends").border_title = "Backends"
        self.query_one("#jobs").border_title = "Jobs"
        self.query_one("#editor").border_title = "OpenQASM"
        self.query_one("#counts").border_title = "Counts"
        self._set_status("Checking the circuit…")
        self.check_circuit(circuits.BELL_QASM)

    # connection ----------------------------------------------------------------------

    def service_ready(self) -> None:
        """Called by the app once the connection is up."""
        connection = self.qrt.connection
        assert connection is not None
        badge = self.query_one("#service-badge", Static)
        badge.update(connection.description)
        badge.set_class(connection.is_local, "local")
        self.monitor = JobMonitor(connection.client)
        self.load_backends()
        self.poll_jobs()

    def service_failed(self, reason: str) -> None:
        badge = self.query_one("#service-badge", Static)
        badge.update(f"Not connected: {reason}")
        badge.add_class("failed")

    # backends ------------------------------------------------------------------------

    @work(exclusive=True, group="backends", exit_on_error=False)
    async def load_backends(self) -> None:
        client = self.qrt.require_client()
        self.post_message(BackendsLoaded(await client.backends()))

    def on_backends_loaded(self, message: BackendsLoaded) -> None:
        self.backends = message.backends
        if self.selected_backend is None and message.backends:
            names = [backend.name for backend in message.backends]
            self.selected_backend = PREFERRED_BACKEND if PREFERRED_BACKEND in names else min(
                message.backends, key=lambda b: (b.status != "online", b.queue_length)
            ).name
        table = self.query_one(BackendsTable)
        table.show_backends(message.backends, self.selected_backend)
        if self.selected_backend in table.rows:
            table.move_cursor(row=table.get_row_index(self.selected_backend), animate=False)
        table.border_title = f"Backends · {len(message.backends)} · selected {self.selected_backend}"

    @on(DataTable.RowSelected, "#backends")
    def backend_chosen(self, event: DataTable.RowSelected) -> None:
        self.selected_backend = str(event.row_key.value)
        table = self.query_one(BackendsTable)
        table.mark_selected(self.backends, self.selected_backend)
        table.border_title = f"Backends · {len(self.backends)} · selected {self.selected_backend}"
        self.notify(f"Circuits will be transpiled for {self.selected_backend}.", timeout=3)

    # editor --------------------------------------------------------------------------

    @on(TextArea.Changed, "#editor")
    def editor_changed(self, event: TextArea.Changed) -> None:
        if self._validation_timer is not None:
            self._validation_timer.stop()
        text = event.text_area.text
        self._validation_timer = self.set_timer(VALIDATION_DELAY, lambda: self.check_circuit(text))

    @work(exclusive=True, group="check", thread=True, exit_on_error=False)
    def check_circuit(self, text: str) -> None:
        try:
            summary = circuits.check_qasm(text)
        except circuits.QasmError as exc:
            self.post_message(QasmChecked(text, None, exc.problem))
        else:
            self.post_message(QasmChecked(text, summary, None))

    def on_qasm_checked(self, message: QasmChecked) -> None:
        if message.text != self.query_one(QasmEditor).text:
            return
        if message.problem is not None:
            self._set_status(f"✗ {message.problem}", "error")
        elif message.summary is not None:
            self._set_status(f"✓ {message.summary.describe()}", "ok")

    def action_transpile(self) -> None:
        if self.selected_backend is None:
            self.notify("Pick a backend first (F2, then Enter).", severity="warning")
            return
        self._set_status(f"Transpiling for {self.selected_backend}…")
        self.transpile_circuit(self.query_one(QasmEditor).text, self.selected_backend, submit=False)

    def action_submit(self) -> None:
        if self.selected_backend is None:
            self.notify("Pick a backend first (F2, then Enter).", severity="warning")
            return
        source = self.query_one(QasmEditor).text
        ready = (
            self.transpiled is not None
            and self.transpiled_source == source
            and self.transpiled.backend == self.selected_backend
        )
        if ready:
            assert self.transpiled is not None
            self.submit_circuit(self.transpiled)
        else:
            self._set_status(f"Transpiling for {self.selected_backend}, then submitting…")
            self.transpile_circuit(source, self.selected_backend, submit=True)

    @work(exclusive=True, group="transpile", exit_on_error=False)
    async def transpile_circuit(self, source: str, backend: str, submit: bool) -> None:
        client = self.qrt.require_client()
        try:
            configuration, properties = await asyncio.gather(
                client.backend_configuration(backend), client.backend_properties(backend)
            )
            transpiled = await asyncio.to_thread(
                circuits.transpile_qasm, source, backend, configuration, properties
            )
        except circuits.QasmError as exc:
            self._set_status(f"✗ {exc.problem}", "error")
            self.notify(f"The circuit does not parse: {exc.problem}", severity="error")
            return
        self.post_message(CircuitTranspiled(source, transpiled))
        if submit:
            self.submit_circuit(transpiled)

    def on_circuit_transpiled(self, message: CircuitTranspiled) -> None:
        self.transpiled = message.transpiled
        self.transpiled_source = message.source
        t = message.transpiled
        qubits = ", ".join(str(q) for q in t.physical_qubits)
        self._set_status(
            f"✓ ISA for {t.backend} on qubits {qubits}: depth {t.summary.depth}, "
            f"{sum(n for _, n in t.summary.operations)} operations", "ok"
        )

    @work(exclusive=True, group="submit", exit_on_error=False)
    async def submit_circuit(self, transpiled: circuits.TranspiledCircuit) -> None:
        client = self.qrt.require_client()
        job_id = await client.submit_sampler_job(
            transpiled.backend, [[transpiled.qasm, None, DEFAULT_SHOTS]]
        )
        self.post_message(JobSubmitted(job_id, transpiled.backend))

    def on_job_submitted(self, message: JobSubmitted) -> None:
        self.shown_job_id = message.job_id
        if self.monitor is not None:
            self.monitor.watch(message.job_id)
        counts = self.query_one(CountsTable)
        counts.clear(columns=True)
        counts.border_title = f"Counts · job {message.job_id} · queued"
        self._set_status(f"Submitted job {message.job_id} to {message.backend} ({DEFAULT_SHOTS} shots)", "ok")
        self.notify(f"Job {message.job_id} submitted to {message.backend}.", timeout=4)
        self.poll_jobs()

    # jobs ----------------------------------------------------------------------------

    def action_refresh_jobs(self) -> None:
        self.poll_jobs()

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll_jobs(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        monitor = self.monitor
        if monitor is None:
            return
        try:
            snapshot = await monitor.poll()
        except ApiError as exc:
            self.post_message(JobsRefreshFailed(str(exc)))
        else:
            self.post_message(JobsRefreshed(snapshot))
        self._poll_timer = self.set_timer(monitor.next_delay(), self.poll_jobs)

    def on_jobs_refreshed(self, message: JobsRefreshed) -> None:
        snapshot = message.snapshot
        table = self.query_one(JobsTable)
        table.reconcile(snapshot.jobs)
        updated = snapshot.fetched_at.astimezone().strftime("%H:%M:%S")
        table.border_title = f"Jobs · {snapshot.total} · updated {updated}"
        table.remove_class("stale")
        for job in snapshot.newly_final:
            severity = "information" if job.status == "Completed" else "warning"
            self.notify(f"Job {job.id} {job.status.lower()} on {job.backend}.", severity=severity)
        shown = next((job for job in snapshot.jobs if job.id == self.shown_job_id), None)
        if shown is not None:
            counts = self.query_one(CountsTable)
            if shown.status == "Completed" and not counts.row_count:
                self.load_results(shown.id)
            elif not shown.is_final:
                counts.border_title = f"Counts · job {shown.id} · {shown.status.lower()}"
            elif shown.status != "Completed":
                counts.border_title = f"Counts · job {shown.id} · {shown.status.lower()}: {shown.reason}"

    def on_jobs_refresh_failed(self, message: JobsRefreshFailed) -> None:
        table = self.query_one(JobsTable)
        monitor = self.monitor
        since = monitor.stale_since if monitor else None
        when = since.astimezone().strftime("%H:%M:%S") if since else "?"
        table.border_title = f"Jobs · STALE since {when} · retrying"
        table.add_class("stale")

    @on(DataTable.RowSelected, "#jobs")
    def job_chosen(self, event: DataTable.RowSelected) -> None:
        job_id = str(event.row_key.value)
        self.shown_job_id = job_id
        counts = self.query_one(CountsTable)
        counts.clear(columns=True)
        counts.border_title = f"Counts · job {job_id}"
        self.load_results(job_id)

    @work(exclusive=True, group="results", exit_on_error=False)
    async def load_results(self, job_id: str) -> None:
        client = self.qrt.require_client()
        body = await client.job_results(job_id)
        if body is None:
            self.query_one(CountsTable).border_title = f"Counts · job {job_id} · no result yet"
            return
        if isinstance(body, str):
            self.query_one(CountsTable).border_title = f"Counts · job {job_id} · failed"
            self.notify(body[:500], title=f"Job {job_id}", severity="error")
            return
        tables = await asyncio.to_thread(sampler_counts, body)
        self.post_message(ResultsLoaded(job_id, tables))

    def on_results_loaded(self, message: ResultsLoaded) -> None:
        if message.job_id != self.shown_job_id:
            return
        counts = self.query_one(CountsTable)
        counts.show_counts(message.tables)
        shots = sum(table.shots for table in message.tables if table.pub_index == 0)
        counts.border_title = f"Counts · job {message.job_id} · {shots} shots"

    # helpers -------------------------------------------------------------------------

    def _set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#editor-status", Static)
        status.update(text)
        status.set_classes(kind)
