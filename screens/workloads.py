"""WorkloadsScreen (F7): jobs, sessions and batches in one list, newest first, as IBM's
dashboard shows them (`GET /workloads`). Enter on a session or batch lists its jobs below;
Enter on a job opens it. The service filters and pages (by cursor); this screen renders.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from screens.area import AreaScreen
from screens.widgets.jobs_table import JobsTable
from screens.widgets.list_table import ListTable
from tui.api.errors import ApiError
from tui.api.models import Workload, WorkloadPage
from tui.workload_filter import WorkloadFilterError

STATUS_STYLES = {
    "pending": "yellow", "in_progress": "cyan", "completed": "green", "failed": "red", "canceled": "dim",
}
COLUMNS = (("status", "Status"), ("id", "Workload"), ("mode", "Mode"), ("backend", "Backend"),
           ("created", "Created"), ("usage", "Usage"), ("tags", "Tags"))
REFRESH_AT_MOST_EVERY_SECONDS = 2.0


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{moment:%Y-%m-%d}"


class WorkloadsScreen(AreaScreen):
    AREA = "Workloads"
    BINDINGS = [
        Binding("enter", "open", "Open", id="workloads.open"),
        Binding("slash", "filter", "Filter", id="workloads.filter"),
        Binding("r", "refresh", "Refresh", id="workloads.refresh"),
        Binding("n", "page(1)", "Next page", id="workloads.next"),
        Binding("b", "page(-1)", "Previous page", id="workloads.previous"),
        Binding("y", "copy_id", "Copy id", id="workloads.copy"),
        Binding("escape", "back", "Back", show=False, id="workloads.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page: WorkloadPage | None = None
        self._here: tuple[str | None, str | None] = (None, None)  # the (next, previous) that read this page
        self._asked = 0.0

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter: mode:batch status:failed backend:ibm_fez id-or-tag", id="workloads-filter",
                    classes="hidden")
        yield ListTable(id="workloads")
        yield JobsTable(id="workload-jobs", classes="hidden")

    def on_mount(self) -> None:
        table = self.query_one("#workloads", DataTable)
        table.cursor_type = "row"
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        table.border_title = "Workloads"
        self.watch(self.qrt, "jobs_snapshot", lambda _: self._jobs_changed())
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()

    def _jobs_changed(self) -> None:
        """A job changed somewhere: read the page again, at most every few seconds, while shown."""
        now = datetime.now(timezone.utc).timestamp()
        if self.is_current and now - self._asked >= REFRESH_AT_MOST_EVERY_SECONDS:
            self.load(*self._here)

    def action_refresh(self) -> None:
        self.load(*self._here)

    def action_page(self, step: int) -> None:
        if self.page is None:
            return
        cursor = self.page.next_cursor if step > 0 else self.page.previous_cursor
        if cursor is None:
            self.notify("This is the " + ("last" if step > 0 else "first") + " page.", timeout=2)
            return
        self.load(*((cursor, None) if step > 0 else (None, cursor)))

    @work(exclusive=True, group="workloads", exit_on_error=False)
    async def load(self, next_cursor: str | None = None, previous_cursor: str | None = None) -> None:
        workspace = self.qrt.workspace
        if workspace is None:
            return
        self._asked = datetime.now(timezone.utc).timestamp()
        text = self.query_one("#workloads-filter", Input).value
        try:
            page = await workspace.workloads(text, next_cursor=next_cursor, previous_cursor=previous_cursor)
        except WorkloadFilterError as exc:
            self.query_one("#workloads", DataTable).border_subtitle = str(exc)
            return
        except ApiError as exc:
            self.notify(str(exc), title="Workloads not read", severity="error")
            return
        self._here = (next_cursor, previous_cursor)
        self.show(page)

    def show(self, page: WorkloadPage) -> None:
        self.page = page
        table = self.query_one("#workloads", DataTable)
        keep = self._selected_id()
        now = datetime.now(timezone.utc)
        table.clear()
        for workload in page.workloads:
            usage = f"{workload.usage_seconds:.2f} s" if workload.usage_seconds is not None else "—"
            table.add_row(
                Text(workload.status, style=STATUS_STYLES.get(workload.status, "")),
                Text(workload.id, overflow="ellipsis", no_wrap=True), workload.mode, workload.backend or "—",
                _age(workload.created, now), usage, ", ".join(workload.user_tags), key=workload.id,
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        pages = ("more: n" if page.next_cursor else "") + (" · back: b" if page.previous_cursor else "")
        table.border_subtitle = f"{len(page.workloads)} of {page.total}" + (f" · {pages.strip(' ·')}" if pages else "")

    def _selected_id(self) -> str | None:
        table = self.query_one("#workloads", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _selected(self) -> Workload | None:
        wanted = self._selected_id()
        return next((w for w in self.page.workloads if w.id == wanted), None) if self.page else None

    @on(DataTable.RowSelected, "#workload-jobs")
    def job_selected(self) -> None:
        job_id = self.query_one("#workload-jobs", JobsTable).selected_job_id
        if job_id is not None:
            self.open_job(job_id)

    @on(DataTable.RowSelected, "#workloads")
    def action_open(self) -> None:
        """Enter (the table's own key, or this screen's where the table does not take it)."""
        workload = self._selected()
        if workload is None:
            return
        if workload.is_session:
            self.show_jobs_of(workload)
        else:
            self.open_job(workload.id)

    @work(exclusive=True, group="workload-job", exit_on_error=False)
    async def open_job(self, job_id: str) -> None:
        from screens.job_detail import JobDetailScreen

        try:
            job = await self.qrt.require_workspace().job(job_id)
        except ApiError as exc:
            self.notify(str(exc), title="Job not read", severity="error")
            return
        self.app.push_screen(JobDetailScreen(job))

    @work(exclusive=True, group="workload-jobs", exit_on_error=False)
    async def show_jobs_of(self, workload: Workload) -> None:
        try:
            page = await self.qrt.require_workspace().jobs(session_id=workload.id, limit=100)
        except ApiError as exc:
            self.notify(str(exc), title="Jobs not read", severity="error")
            return
        jobs = self.query_one("#workload-jobs", JobsTable)
        jobs.remove_class("hidden")
        jobs.border_title = f"Jobs of {workload.mode} {workload.id} ({page.count})"
        jobs.reconcile(list(page.jobs))
        jobs.focus()

    def action_back(self) -> None:
        """Esc: from the jobs panel back to the list, else clear the filter."""
        jobs = self.query_one("#workload-jobs", JobsTable)
        if not jobs.has_class("hidden"):
            jobs.add_class("hidden")
            self.query_one("#workloads", DataTable).focus()
            return
        box = self.query_one("#workloads-filter", Input)
        if box.value or not box.has_class("hidden"):
            box.value = ""
            box.add_class("hidden")
            self.query_one("#workloads", DataTable).focus()
            self.load()

    def action_filter(self) -> None:
        box = self.query_one("#workloads-filter", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Submitted, "#workloads-filter")
    def filter_done(self) -> None:
        self.query_one("#workloads", DataTable).focus()
        self.load()

    def action_copy_id(self) -> None:
        workload = self._selected()
        if workload is not None:
            self.app.copy_to_clipboard(workload.id)
            self.notify(f"Copied {workload.id} (OSC 52: works over SSH where the terminal allows it).", timeout=3)
