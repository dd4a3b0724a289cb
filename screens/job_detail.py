"""JobDetailScreen: one job in full. Results first (counts per pub and register, or
Estimator values), then a histogram, the timeline and parameters, and the logs.

Everything is fetched once by one worker; a job still running is re-fetched when the
poller sees it finish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from screens.area import AreaScreen
from screens.widgets.confirm_modal import ConfirmModal
from screens.widgets.counts_table import CountsTable
from screens.widgets.histogram import Histogram
from screens.widgets.key_values import key_value_grid
from screens.widgets.pick_modal import PathModal
from tui.api.models import Job
from tui.ideal import IdealComparison
from tui.job_details import JobDetails
from tui.messages import IdealCompared, JobDetailLoaded
from tui.programs import ProgramResults
from tui.results import PubValues, RegisterCounts
from tui.user_files import exists_other_than, user_path, write_text


def submitted_circuits(params: dict[str, Any]) -> list[str]:
    """The OpenQASM of each pub of a Sampler or Estimator job (what it ran: ISA circuits)."""
    pubs = params.get("pubs")
    if not isinstance(pubs, list):
        return []
    return [pub[0] for pub in pubs if isinstance(pub, list) and pub and isinstance(pub[0], str)]


def ideal_summary(comparison: IdealComparison) -> str:
    """The Results tab's title: how far the counts are from the noiseless answer."""
    parts = []
    multi = len(comparison.registers) > 1
    for register in comparison.registers:
        where = f"pub {register.pub_index} {register.register}: " if multi else ""
        parts.append(f"{where}Hellinger fidelity {register.hellinger_fidelity:.4f}, "
                     f"TVD {register.total_variation_distance:.4f}")
    if parts:
        return "vs the ideal (exact, noiseless): " + " · ".join(parts)
    return "Ideal not computed: " + "; ".join(comparison.not_computed)


class JobDetailScreen(AreaScreen):
    AREA = "Jobs"
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="job.back"),
        Binding("e", "export", "Export", id="job.export"),
        Binding("y", "copy", "Copy", id="job.copy"),
        Binding("r", "reload", "Reload", id="job.reload"),
        Binding("o", "open_circuit", "Circuit to editor", id="job.open-circuit"),
        Binding("1", "tab('results')", "Results", id="job.tab-results"),
        Binding("2", "tab('histogram')", "Histogram", id="job.tab-histogram"),
        Binding("3", "tab('details')", "Details", id="job.tab-details"),
        Binding("4", "tab('logs')", "Logs", id="job.tab-logs"),
    ]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.counts: list[RegisterCounts] = []
        self.values: list[PubValues] = []
        self.circuits: list[str] = []  # each pub's circuit as it ran (ISA OpenQASM), once loaded

    def compose_body(self) -> ComposeResult:
        yield Static(self._headline(), id="job-headline")
        with TabbedContent(initial="results", id="job-tabs"):
            with TabPane("Results", id="results"):
                yield CountsTable(id="job-results")
            with TabPane("Histogram", id="histogram"):
                with VerticalScroll():
                    yield Histogram(id="job-histogram")
            with TabPane("Details", id="details"):
                with VerticalScroll():
                    yield Static("Loading…", id="job-summary")
            with TabPane("Logs", id="logs"):
                with VerticalScroll():
                    yield Static("Loading…", id="job-logs", markup=False)

    def on_mount(self) -> None:
        self.watch(self.qrt, "jobs_snapshot", lambda _: self._follow())
        self.load_job()

    def _headline(self) -> Text:
        job = self.job
        line = Text(f" {job.id} ", style="bold reverse")
        line.append(f"  {job.program} on {job.backend}  ")
        line.append(job.status, style="bold")
        if job.session_id:
            line.append(f"  session {job.session_id}")
        return line

    def _follow(self) -> None:
        """Each poll: a new status is shown (and a final one brings the results); while the
        job is active and its Logs tab is open, the log is followed."""
        snapshot = self.qrt.jobs_snapshot
        fresh = next((job for job in snapshot.jobs if job.id == self.job.id), None) if snapshot else None
        if fresh is None:
            return
        if fresh.status != self.job.status:
            self.job = fresh
            self.query_one("#job-headline", Static).update(self._headline())
            if fresh.is_final:
                self.load_job()
                return
        if not fresh.is_final and self.query_one(TabbedContent).active == "logs":
            self.follow_logs()

    @work(exclusive=True, group="job-logs", exit_on_error=False)
    async def follow_logs(self) -> None:
        logs = await self.qrt.require_workspace().job_logs(self.job.id)
        self.query_one("#job-logs", Static).update(logs or "(no log lines yet)")
        self.query_one("#logs VerticalScroll", VerticalScroll).scroll_end(animate=False)  # the newest lines in view

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_reload(self) -> None:
        self.load_job()

    @work(exclusive=True, group="job-detail", exit_on_error=False)
    async def load_job(self) -> None:
        workspace = self.qrt.require_workspace()
        detail = await workspace.job_detail(self.job.id)
        read = detail.results.results or ProgramResults()
        self.circuits = submitted_circuits(detail.params)
        self.post_message(JobDetailLoaded(
            self.job.id, detail.details, detail.logs, read.counts, read.values, detail.results.failure
        ))
        comparison = await workspace.compare_with_ideal(detail)  # after the counts are on screen
        if comparison is not None:
            self.post_message(IdealCompared(self.job.id, comparison))

    def on_ideal_compared(self, message: IdealCompared) -> None:
        results = self.query_one("#job-results", CountsTable)
        results.show_counts(self.counts, message.comparison)
        results.border_title = ideal_summary(message.comparison)

    def on_job_detail_loaded(self, message: JobDetailLoaded) -> None:
        self.counts, self.values = message.counts, message.values
        self._show_details(message.details, message.failure)
        self.query_one("#job-logs", Static).update(message.logs or "(no log lines)")
        results = self.query_one("#job-results", CountsTable)
        results.border_title = None
        if message.counts:
            results.show_counts(message.counts)
            self.query_one(Histogram).show(message.counts, max(40, self.size.width - 6))
        elif message.values:
            results.show_values(message.values)
            self.query_one(Histogram).update("Estimator job: see the values under Results.")
        else:
            waiting = message.failure or f"No results: the job is {self.job.status.lower()}."
            results.clear(columns=True)
            self.query_one(Histogram).update(waiting)
            results.border_title = waiting[:200]

    def _show_details(self, details: JobDetails, failure: str | None) -> None:
        pairs = list(details.summary)
        if details.usage_seconds is not None:
            pairs.append(("Usage", f"{details.usage_seconds:g} s"))
        pairs += [("Timeline", "\n".join(details.timeline_lines()) or "—")]
        if failure:
            pairs.append(("Failure", failure[:2000]))
        self.query_one("#job-summary", Static).update(key_value_grid(pairs))

    # export and copy -----------------------------------------------------------------

    def _export_text(self, as_json: bool) -> str | None:
        return ProgramResults(self.counts, self.values).export(as_json)

    def action_export(self) -> None:
        if self._export_text(False) is None:
            self.notify("Nothing to export yet.", severity="warning", timeout=3)
            return

        def chosen(path_text: str | None) -> None:
            if not path_text:
                return
            path = user_path(path_text)
            if not exists_other_than(path, None):
                self._write_export(path)
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._write_export(path)

            self.app.push_screen(ConfirmModal(f"{path} exists. Overwrite it?"), answered)

        self.app.push_screen(PathModal("Export results (.csv or .json)", f"{self.job.id}.csv"), chosen)

    def _write_export(self, path: Path) -> None:
        text = self._export_text(path.suffix.lower() == ".json")
        try:
            write_text(path, text or "")
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Exported to {path}.", timeout=5)

    def action_open_circuit(self) -> None:
        """The circuit the job ran (its first pub's, as an ISA circuit) in the editor."""
        if not self.circuits:
            self.notify("This job's circuits are not OpenQASM text (or not loaded yet).", severity="warning")
            return
        from screens.editor import EditorScreen

        text, name = self.circuits[0], f"job {self.job.id} · pub 0 as it ran (ISA)"
        more = f" (pub 0 of {len(self.circuits)})" if len(self.circuits) > 1 else ""

        def show() -> None:
            if isinstance(self.app.screen, EditorScreen):
                self.app.screen.open_text(text, name)
                self.app.notify(f"Job {self.job.id}'s circuit{more} in the editor, as it ran.", timeout=4)

        if self.app.current_mode == "editor":
            self.app.pop_screen()  # this detail was opened over the editor (from its last job)
        else:
            self.app.switch_mode("editor")
        self.app.call_after_refresh(show)

    def action_copy(self) -> None:
        text = self._export_text(False)
        self.app.copy_to_clipboard(text or self.job.id)
        self.notify("Copied the results as CSV." if text else f"Copied {self.job.id}.", timeout=3)
