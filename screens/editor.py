"""EditorScreen (F3): write or load OpenQASM, check it as you type, see its diagram,
transpile it for the picked backend and submit it; the last job's counts appear beside it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Static, TextArea

from screens.area import AreaScreen
from screens.widgets.confirm_modal import ConfirmModal
from screens.widgets.counts_table import CountsTable
from screens.widgets.pick_modal import PathModal, PickModal
from screens.widgets.qasm_editor import QasmEditor
from screens.widgets.submit_modal import SubmitModal
from screens.widgets.transpile_modal import TranspileModal
from tui import circuits
from tui.api.errors import ApiError, TranspileFailed
from tui.messages import CircuitDrawn, CircuitTranspiled, JobSubmitted, QasmChecked, ResultsLoaded
from tui.programs import CannotBuildProgram
from tui.recent_files import recent_files, remember_file
from tui.submission import SubmitRequest
from tui.user_files import exists_other_than, user_path, write_text

VALIDATION_DELAY = 0.4
RANDOM_TEMPLATE = "random"


def last_job_title(job_id: str, state: str) -> str:
    """The state before the id: where the panel is narrow, the id is what gets cut."""
    return f"Last job · {state} · {job_id}"


class EditorScreen(AreaScreen):
    AREA = "Editor"
    BINDINGS = [
        Binding("ctrl+t", "transpile", "Transpile", id="editor.transpile"),
        Binding("ctrl+r", "submit", "Submit", id="editor.submit"),
        Binding("ctrl+l", "transpile_options", "Layout/level", id="editor.transpile-options"),
        Binding("ctrl+n", "template", "Template", id="editor.template"),
        Binding("ctrl+o", "open_file", "Open", id="editor.open"),
        Binding("ctrl+s", "save_file", "Save", id="editor.save"),
        Binding("ctrl+g", "toggle_diagram", "Diagram", id="editor.diagram"),
        Binding("f8", "external_editor", "$EDITOR", id="editor.external", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.path: Path | None = None
        self.untitled_name = "untitled"  # what a text with no file is called (a job's circuit, say)
        self.clean_text = circuits.BELL_QASM  # as opened, saved or started from a template
        self.transpiled: circuits.TranspiledCircuit | None = None
        self.transpiled_source: str | None = None
        self.transpile_settings = circuits.TranspileSettings()
        self.last_request: SubmitRequest | None = None
        self._acted_on: str | None = None  # the text a transpile or submit last reported on
        self.shown_job_id: str | None = None
        self.results_job_id: str | None = None  # the job whose results were fetched
        self.show_isa = False
        self._validation_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="editor-panes"):
            with Vertical(id="editor-left"):
                yield QasmEditor(circuits.BELL_QASM, id="editor")
                yield Static("", id="editor-status")
            with Vertical(id="editor-right"):
                with VerticalScroll(id="diagram-box"):
                    yield Static("", id="diagram")
                yield CountsTable(id="counts")

    def on_mount(self) -> None:
        self._show_title()
        self.query_one("#diagram-box").border_title = "Circuit"
        self.query_one("#counts").border_title = "Last job"
        self.watch(self.qrt, "selected_backend", lambda _: self._show_target())
        self.watch(self.qrt, "jobs_snapshot", lambda _: self._follow_shown_job())
        self.query_one(QasmEditor).focus()
        # The check imports qiskit, whose half second of imports would hold up the first frame.
        self.qrt.after_first_frame(lambda: self.check_circuit(circuits.BELL_QASM))

    @property
    def source(self) -> str:
        return self.query_one(QasmEditor).text

    def _show_target(self) -> None:
        backend = self.qrt.selected_backend or "no backend yet (F2)"
        self.query_one("#editor-status").border_title = f"for {backend} · {self.transpile_settings.describe()}"

    # checking and drawing ------------------------------------------------------------

    @property
    def is_modified(self) -> bool:
        return self.source != self.clean_text

    def _show_title(self) -> None:
        """The file's name, marked ● while it has edits not saved (the app asks before
        quitting then)."""
        name = self.path.name if self.path else self.untitled_name
        modified = self.is_modified
        self.query_one(QasmEditor).border_title = f"OpenQASM · {name}{' ● modified' if modified else ''}"
        self.qrt.unsaved_edits = self._what_is_edited() if modified else None

    def _what_is_edited(self) -> str:
        if self.path is not None:
            return str(self.path)
        return "the untitled circuit" if self.untitled_name == "untitled" else self.untitled_name

    @on(TextArea.Changed, "#editor")
    def editor_changed(self, event: TextArea.Changed) -> None:
        self._show_title()
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
            return
        self.post_message(QasmChecked(text, summary, None))  # before the (slower) drawing
        self.post_message(CircuitDrawn(text, circuits.draw_qasm(text)))

    def on_qasm_checked(self, message: QasmChecked) -> None:
        if message.text != self.source:
            return
        if message.text == self._acted_on:
            return  # a transpile or submit of this very text has said more than the check
        if message.problem is not None:
            self._set_status(f"✗ {message.problem}", "error")
            if not self.show_isa:
                self.query_one("#diagram-box").border_title = "Circuit · the last version that parsed"
            editor = self.query_one(QasmEditor)
            editor.border_subtitle = f"error on line {message.problem.line}" if message.problem.line else "error"
        elif message.summary is not None:
            warning = message.summary.warning
            if warning:
                self._set_status(f"⚠ {warning}", "warning")
            else:
                self._set_status(f"✓ {message.summary.describe()}", "ok")
            self.query_one(QasmEditor).border_subtitle = ""

    def on_circuit_drawn(self, message: CircuitDrawn) -> None:
        if message.text == self.source and not self.show_isa:
            self.query_one("#diagram", Static).update(message.diagram)
            self.query_one("#diagram-box").border_title = "Circuit"

    def action_toggle_diagram(self) -> None:
        """Switch the diagram between the source circuit and the transpiled ISA circuit."""
        if self.transpiled is None:
            self.notify("Transpile first (Ctrl+T) to see the ISA circuit.", timeout=3)
            return
        self.show_isa = not self.show_isa
        if self.show_isa:
            self.draw_isa(self.transpiled)
        else:
            self.check_circuit(self.source)

    @work(exclusive=True, group="draw", thread=True, exit_on_error=False)
    def draw_isa(self, transpiled: circuits.TranspiledCircuit) -> None:
        diagram = circuits.draw_qasm(transpiled.qasm)
        self.app.call_from_thread(self._show_isa_diagram, transpiled, diagram)

    def _show_isa_diagram(self, transpiled: circuits.TranspiledCircuit, diagram: str) -> None:
        self.query_one("#diagram", Static).update(diagram)
        self.query_one("#diagram-box").border_title = f"ISA circuit · {transpiled.backend}"

    # transpiling ---------------------------------------------------------------------

    def _backend_or_warn(self) -> str | None:
        backend = self.qrt.selected_backend
        if backend is None:
            self.notify("Pick a backend first (F2, then Enter).", severity="warning")
        return backend

    def action_transpile(self) -> None:
        backend = self._backend_or_warn()
        if backend is not None:
            self._set_status(f"Transpiling for {backend}…")
            self._acted_on = self.source
            self.transpile_circuit(self.source, backend, then_submit=False)

    def action_transpile_options(self) -> None:
        connection = self.qrt.connection
        service_url = connection.transpiler.base_url if connection is not None else None

        def chosen(settings: circuits.TranspileSettings | None) -> None:
            if settings is not None:
                self.transpile_settings = settings
                self._show_target()

        self.app.push_screen(TranspileModal(self.transpile_settings, service_url), chosen)

    def _is_current(self, transpiled: circuits.TranspiledCircuit | None) -> bool:
        return (
            transpiled is not None
            and self.transpiled_source == self.source
            and transpiled.backend == self.qrt.selected_backend
            and transpiled.settings == self.transpile_settings
        )

    @work(exclusive=True, group="transpile", exit_on_error=False)
    async def transpile_circuit(self, source: str, backend: str, then_submit: bool) -> None:
        try:
            transpiled = await self._transpile(source, backend, False)
        except circuits.QasmError as exc:
            self._set_status(f"✗ {exc.problem}", "error")
            self.notify(f"The circuit does not parse: {exc.problem}", severity="error")
            return
        except TranspileFailed as exc:
            self._set_status(f"✗ {exc.message}", "error")
            self.notify(exc.message, title="Not transpiled", severity="error")
            return
        except circuits.CannotTranspile as exc:
            self._set_status(f"✗ {exc} Pick a larger backend or make the circuit smaller.", "error")
            self.notify(str(exc), title="Not transpiled", severity="error")
            return
        except Exception:
            self._set_status("✗ Transpiling failed; see the notification.", "error")
            raise  # to the app's one place for worker failures
        self.post_message(CircuitTranspiled(source, transpiled))
        if then_submit:
            self.app.call_later(self.ask_how_to_submit, transpiled)

    async def _transpile(self, source: str, backend: str, without_measurements: bool) -> circuits.TranspiledCircuit:
        return await self.qrt.require_workspace().transpile(
            source, backend, self.transpile_settings, without_measurements
        )

    def on_circuit_transpiled(self, message: CircuitTranspiled) -> None:
        self.transpiled = message.transpiled
        self.transpiled_source = message.source
        t = message.transpiled
        qubits = ", ".join(str(q) for q in t.physical_qubits)
        via = " (transpiler service)" if t.settings.where == "service" else ""
        self._set_status(
            f"✓ ISA for {t.backend}{via} on qubits {qubits}: depth {t.summary.depth}, "
            f"{sum(n for _, n in t.summary.operations)} operations", "ok"
        )
        if self.show_isa:
            self.draw_isa(t)

    # submitting ----------------------------------------------------------------------

    def action_submit(self) -> None:
        backend = self._backend_or_warn()
        if backend is None:
            return
        if self._is_current(self.transpiled):
            assert self.transpiled is not None
            self.ask_how_to_submit(self.transpiled)
        else:
            self._set_status(f"Transpiling for {backend}, then submitting…")
            self._acted_on = self.source
            self.transpile_circuit(self.source, backend, then_submit=True)

    def ask_how_to_submit(self, transpiled: circuits.TranspiledCircuit) -> None:
        open_sessions = [(s.id, s.mode) for s in self.qrt.open_sessions_on(transpiled.backend)]

        def chosen(request: SubmitRequest | None) -> None:
            if request is not None:
                self.last_request = request
                self._set_status(f"Submitting: {request.describe()}…")
                self.submit_circuit(transpiled, request)

        self.app.push_screen(
            SubmitModal(
                transpiled.backend,
                num_qubits=len(transpiled.physical_qubits),
                num_parameters=transpiled.summary.num_parameters,
                open_sessions=open_sessions,
                last=self.last_request,
                max_shots=self.qrt.require_workspace().max_shots(transpiled.backend),
                parameter_names=transpiled.summary.parameter_names,
            ),
            chosen,
        )

    @work(exclusive=True, group="submit", exit_on_error=False)
    async def submit_circuit(self, transpiled: circuits.TranspiledCircuit, request: SubmitRequest) -> None:
        """Submit; a refusal ends the busy status with what the service said to change."""
        try:
            await self._submit(transpiled, request)
        except CannotBuildProgram as exc:
            self._set_status(f"✗ Not submitted: {exc}", "error")
            self.notify(str(exc), title="Not submitted", severity="error", timeout=10)
        except ApiError as exc:
            self._set_status(f"✗ Not submitted: {exc}", "error")
            raise
        except Exception:
            self._set_status("✗ Not submitted; see the notification.", "error")
            raise

    async def _submit(self, transpiled: circuits.TranspiledCircuit, request: SubmitRequest) -> None:
        source = self.transpiled_source or self.source
        submitted = await self.qrt.require_workspace().submit(source, transpiled, request)
        self.post_message(JobSubmitted(submitted.job_id, submitted.backend, submitted.session, submitted.what))

    def on_job_submitted(self, message: JobSubmitted) -> None:
        self.shown_job_id = message.job_id
        counts = self.query_one(CountsTable)
        counts.clear(columns=True)
        counts.border_title = last_job_title(message.job_id, "queued")
        self._set_status(f"Submitted job {message.job_id} to {message.backend}: {message.what}", "ok")
        self.notify(f"Job {message.job_id} submitted to {message.backend}.", timeout=4)

    def _follow_shown_job(self) -> None:
        snapshot = self.qrt.jobs_snapshot
        if snapshot is None or self.shown_job_id is None:
            return
        job = next((j for j in snapshot.jobs if j.id == self.shown_job_id), None)
        if job is None or job.id == self.results_job_id:
            return
        counts = self.query_one(CountsTable)
        if job.status.succeeded:
            self.results_job_id = job.id  # fetched once, not on every poll
            self.load_results(job.id)
        else:
            reason = f": {job.reason}" if job.is_final and job.reason else ""
            counts.border_title = last_job_title(job.id, f"{job.status.lower()}{reason}")

    @work(exclusive=True, group="results", exit_on_error=False)
    async def load_results(self, job_id: str) -> None:
        labels = self.last_request.observables if self.last_request else None
        try:
            read = await self.qrt.require_workspace().results(job_id, labels or None)
        except Exception:
            self.results_job_id = None  # try again on the next poll
            raise
        if read.results is not None:
            self.post_message(ResultsLoaded(job_id, read.results.counts, read.results.values))

    def on_results_loaded(self, message: ResultsLoaded) -> None:
        if message.job_id != self.shown_job_id:
            return
        counts = self.query_one(CountsTable)
        if message.values:
            counts.show_values(message.values)
            counts.border_title = last_job_title(message.job_id, "values")
            return
        counts.show_counts(message.tables)
        shots = sum(table.shots for table in message.tables if table.pub_index == 0)
        counts.border_title = last_job_title(message.job_id, f"{shots} shots")

    # files and templates -------------------------------------------------------------

    def _load_text(self, text: str, path: Path | None, untitled_name: str = "untitled") -> None:
        self.path, self.untitled_name = path, untitled_name
        self.clean_text = text
        self.query_one(QasmEditor).load_text(text)
        self._show_title()
        # Said at once: the previous file's verdict must not stand while this one is read.
        self._set_status(f"Checking {path.name if path else 'the circuit'}…")
        self.check_circuit(text)

    def action_template(self) -> None:
        choices = [(name, name) for name in circuits.TEMPLATES]
        choices.append(("Random circuit, 3 qubits, depth 4", RANDOM_TEMPLATE))

        def chosen(name: str | None) -> None:
            if name == RANDOM_TEMPLATE:
                self.load_random_template()
            elif name:
                self._load_text(circuits.TEMPLATES[name], None)

        self._unless_edits_are_kept(lambda: self.app.push_screen(PickModal("Start from a template", choices), chosen))

    def _unless_edits_are_kept(self, then: Callable[[], object]) -> None:
        """Run `then` (which replaces the text) at once, or once the user agrees to lose
        the unsaved edits."""
        if not self.is_modified:
            then()
            return
        where = self._what_is_edited()

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmModal(f"Discard the unsaved edits to {where}?"), answered)

    @work(exclusive=True, group="template", thread=True, exit_on_error=False)
    def load_random_template(self) -> None:
        text = circuits.random_qasm()
        self.app.call_from_thread(self._load_text, text, None)

    def open_text(self, text: str, name: str) -> None:
        """Show `text` (a job's circuit, say) as a new untitled buffer called `name`,
        once unsaved edits are saved or let go."""
        self._unless_edits_are_kept(lambda: self._load_text(text, None, name))

    def action_open_file(self) -> None:
        def chosen(path_text: str | None) -> None:
            if not path_text:
                return
            path = user_path(path_text)
            try:
                text = path.read_text()
            except (OSError, UnicodeDecodeError) as exc:
                self.notify(f"Cannot open {path}: {exc}", severity="error")
                return
            self._load_text(text, path)
            remember_file(path)

        def ask() -> None:
            recent = [str(p) for p in recent_files() if p != self.path]
            self.app.push_screen(PathModal("Open an OpenQASM file", str(self.path or ""), recent), chosen)

        self._unless_edits_are_kept(ask)

    def action_save_file(self) -> None:
        def chosen(path_text: str | None) -> None:
            if not path_text:
                return
            path = user_path(path_text)
            if not exists_other_than(path, self.path):
                self._save(path)
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._save(path)

            self.app.push_screen(ConfirmModal(f"{path} exists. Overwrite it?"), answered)

        self.app.push_screen(PathModal("Save as", str(self.path or "circuit.qasm")), chosen)

    def _save(self, path: Path) -> None:
        text = self.source
        try:
            write_text(path, text)
        except OSError as exc:
            self.notify(f"Cannot save {path}: {exc.strerror or exc}", severity="error")
            return
        self.path, self.clean_text = path, text
        self._show_title()
        remember_file(path)
        self.notify(f"Saved {path}.", timeout=4)

    def action_external_editor(self) -> None:
        """Edit in $EDITOR (vi if unset) and come back to the edited text."""
        command = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
        with tempfile.NamedTemporaryFile("w", suffix=".qasm", delete=False) as handle:
            handle.write(self.source)
            scratch = Path(handle.name)
        try:
            with self.app.suspend():
                subprocess.run([*command, str(scratch)], check=False)
            self._load_text(scratch.read_text(), self.path)
        except (OSError, subprocess.SubprocessError) as exc:
            self.notify(f"Cannot run {command[0]}: {exc}", severity="error")
        finally:
            scratch.unlink(missing_ok=True)

    # helpers -------------------------------------------------------------------------

    def _set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#editor-status", Static)
        status.update(text)
        status.set_classes(kind)
