"""JobsScreen (F4): the live list of jobs. Filter, sort, pause, set the refresh interval,
cancel or delete with confirmation, copy an id, open a job (Enter).

Rows come from the app's poller (one list request per cycle); older pages are fetched
only when asked for (m).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from screens.area import AreaScreen
from screens.widgets.confirm_modal import ConfirmModal
from screens.widgets.jobs_table import JobsTable
from screens.widgets.pick_modal import TextModal
from screens.widgets.tag_suggester import TagSuggester
from tui.api.errors import ApiError
from tui.api.models import Job
from tui.job_filter import COLUMN_ORDERS, parse_job_filter, parse_tags, sort_jobs
from tui.messages import OlderJobsLoaded

if TYPE_CHECKING:
    from tui.monitor import JobsSnapshot

SORTS = ("newest", "status", "backend")  # what `s` cycles through; a header click sorts by its column
OLDER_PAGE = 100


class JobsScreen(AreaScreen):
    AREA = "Jobs"
    BINDINGS = [
        Binding("enter", "open_job", "Open", id="jobs.open"),
        Binding("slash", "filter", "Filter", id="jobs.filter"),
        Binding("s", "sort", "Sort", id="jobs.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="jobs.reverse-sort"),
        Binding("p", "pause", "Pause", id="jobs.pause"),
        Binding("plus,equals_sign", "interval(1)", "Slower", id="jobs.slower"),
        Binding("minus", "interval(-1)", "Faster", id="jobs.faster"),
        Binding("r", "refresh", "Refresh", id="jobs.refresh"),
        Binding("c", "cancel_job", "Cancel job", id="jobs.cancel"),
        Binding("x,delete", "delete_job", "Delete job", id="jobs.delete"),
        Binding("y", "copy_id", "Copy id", id="jobs.copy"),
        Binding("t", "edit_tags", "Tags", id="jobs.tags"),
        Binding("m", "older", "More", id="jobs.more"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="jobs.clear-filter"),
        Binding("tab", "complete_tag", "Complete tag", show=False, id="jobs.complete-tag"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_index = 0
        self.order = SORTS[0]
        self.reverse = False
        self.older_jobs: tuple[Job, ...] = ()
        self.older_exhausted = False

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter: status:failed backend:ibm_fez session:… tag:… words",
                    id="jobs-filter", classes="hidden", suggester=TagSuggester(self._tags_starting))
        yield JobsTable(id="jobs")

    def on_mount(self) -> None:
        self.watch(self.qrt, "jobs_snapshot", self._jobs_changed)
        self.watch(self.qrt, "jobs_stale_since", lambda _: self.show_jobs())
        self.watch(self.qrt, "polling_paused", lambda _: self.show_jobs())
        self.query_one(JobsTable).focus()

    def on_screen_resume(self) -> None:
        """Shown: refresh now (one request; idle polls are 15 s apart), so that a job
        submitted elsewhere (the command line, another session) is there when looked for.
        Not while the user has paused polling."""
        if not self.qrt.polling_paused:
            self.qrt.poll()
            self.load_usage()

    @work(exclusive=True, group="usage", exit_on_error=False)
    async def load_usage(self) -> None:
        """The instance's usage, under the list: read when shown and when a job ends (its
        quantum time is then charged). A service without the endpoint just shows none."""
        workspace = self.qrt.workspace
        if workspace is None:
            return
        try:
            usage = await workspace.usage()
        except ApiError:
            return
        self.query_one(JobsTable).border_subtitle = usage.describe()

    def _jobs_changed(self, snapshot: JobsSnapshot | None) -> None:
        self.show_jobs()
        if snapshot is not None and snapshot.newly_final and self.is_current:
            self.load_usage()
        elif snapshot is None:
            self.query_one(JobsTable).border_subtitle = None  # logged out: not the old profile's

    def all_jobs(self) -> list[Job]:
        snapshot = self.qrt.jobs_snapshot
        if snapshot is None:
            self.older_jobs, self.older_exhausted = (), False  # logged out, or another profile
        recent = list(snapshot.jobs) if snapshot else []
        seen = {job.id for job in recent}
        return recent + [job for job in self.older_jobs if job.id not in seen]

    def show_jobs(self) -> None:
        jobs = self.all_jobs()
        job_filter = parse_job_filter(self.query_one("#jobs-filter", Input).value)
        shown = [job for job in jobs if job_filter.matches(job)]
        shown = sort_jobs(shown, self.order, self.reverse)
        table = self.query_one(JobsTable)
        table.reconcile(shown)
        self.show_title(table, *self._title_forms_of(len(shown), len(jobs)))
        table.set_class(self.qrt.jobs_stale_since is not None, "stale")

    def _title_forms_of(self, shown: int, loaded: int) -> tuple[list[str], ...]:
        """What is shown, its order and how fresh it is; where the width is short, the
        polling pace goes first and the counts close up, so that STALE is never cut."""
        snapshot = self.qrt.jobs_snapshot
        total = snapshot.total if snapshot else 0
        order = f"sorted by {self.order}{' (reversed)' if self.reverse else ''}"
        stale = self.qrt.jobs_stale_since
        scheduler = self.qrt.scheduler
        if stale is not None:
            state = f"STALE since {stale.astimezone():%H:%M:%S}, retrying"
        elif self.qrt.polling_paused:
            state = "paused (p)"
        elif snapshot is not None:
            state = f"updated {snapshot.fetched_at.astimezone():%H:%M:%S}"
        else:
            state = ""
        pace = f"every {scheduler.jobs.intervals.active:g}s while active" if scheduler is not None else ""
        counts = f"Jobs · {shown} shown of {loaded} loaded, {total} on the service"
        short_counts = f"Jobs {shown} of {loaded}" if shown != loaded else f"Jobs {loaded}"
        if loaded < total:
            short_counts += f" loaded, {total} on the service" if shown == loaded else f" ({total} in all)"
        return [counts, order, state, pace], [counts, order, state], [short_counts, order, state]

    # actions ---------------------------------------------------------------------------

    async def _tags_starting(self, prefix: str) -> list[str]:
        workspace = self.qrt.workspace
        return await workspace.tags_starting(prefix) if workspace is not None else []

    def action_complete_tag(self) -> None:
        """Tab in the filter takes the tag completion shown; elsewhere it moves on."""
        box = self.query_one("#jobs-filter", Input)
        if not box.has_focus:
            self.focus_next()
            return
        box.cursor_position = len(box.value)
        box.action_cursor_right()  # at the end, Input takes its suggestion

    def action_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        box.remove_class("hidden")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        box.value = ""
        box.add_class("hidden")
        self.query_one(JobsTable).focus()

    @on(Input.Changed, "#jobs-filter")
    def filter_changed(self) -> None:
        self.show_jobs()

    @on(Input.Submitted, "#jobs-filter")
    def filter_done(self) -> None:
        self.query_one(JobsTable).focus()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.order, self.reverse = SORTS[self.sort_index], False
        self.show_jobs()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self.show_jobs()

    @on(DataTable.HeaderSelected, "#jobs")
    def sort_by_column(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column's header sorts by it; a second click reverses."""
        order = COLUMN_ORDERS.get(str(event.column_key.value))
        if order is None:
            return
        self.reverse = not self.reverse if order == self.order else False
        self.order = order
        self.show_jobs()

    def action_pause(self) -> None:
        self.qrt.polling_paused = not self.qrt.polling_paused
        self.notify("Polling paused." if self.qrt.polling_paused else "Polling resumed.", timeout=2)

    def action_interval(self, step: int) -> None:
        scheduler = self.qrt.scheduler
        if scheduler is None:
            return
        seconds = self.qrt.set_poll_interval(scheduler.jobs.intervals.active * (2 if step > 0 else 0.5))
        self.notify(f"Active jobs are polled every {seconds:g} s.", timeout=2)
        self.show_jobs()

    def action_refresh(self) -> None:
        self.qrt.poll()

    def _selected(self) -> Job | None:
        job_id = self.query_one(JobsTable).selected_job_id
        return next((job for job in self.all_jobs() if job.id == job_id), None)

    @on(DataTable.RowSelected, "#jobs")
    def action_open_job(self) -> None:
        from screens.job_detail import JobDetailScreen

        job = self._selected()
        if job is not None:
            self.app.push_screen(JobDetailScreen(job))

    def action_copy_id(self) -> None:
        job = self._selected()
        if job is not None:
            self.app.copy_to_clipboard(job.id)
            self.notify(f"Copied {job.id} (OSC 52: works over SSH where the terminal allows it).", timeout=3)

    def action_cancel_job(self) -> None:
        job = self._selected()
        if job is None:
            return
        if job.is_final:
            self.notify(f"Job {job.id} is already {job.status.lower()}.", severity="warning", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_job(job.id, "cancel")

        self.app.push_screen(ConfirmModal(f"Cancel job {job.id} on {job.backend}?"), answered)

    def action_delete_job(self) -> None:
        job = self._selected()
        if job is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_job(job.id, "delete")

        self.app.push_screen(
            ConfirmModal(f"Delete job {job.id} and its results from the service? This cannot be undone."),
            answered,
        )

    def action_edit_tags(self) -> None:
        job = self._selected()
        if job is None:
            return

        def entered(text: str | None) -> None:
            if text is not None:
                self.set_tags(job.id, parse_tags(text))

        self.app.push_screen(
            TextModal(f"Tags of {job.id} (comma-separated; empty removes them)", ", ".join(job.user_tags),
                      placeholder="calibration, run 3", allow_empty=True),
            entered,
        )

    @work(group="job-change", exit_on_error=False)
    async def set_tags(self, job_id: str, tags: list[str]) -> None:
        job = await self.qrt.require_workspace().set_tags(job_id, tags)
        self.older_jobs = tuple(job if older.id == job_id else older for older in self.older_jobs)
        self.notify(f"{job_id}: {', '.join(job.user_tags) or 'no tags'}.", timeout=3)
        self.qrt.poll()

    @work(group="job-change", exit_on_error=False)
    async def change_job(self, job_id: str, change: str) -> None:
        workspace = self.qrt.require_workspace()
        if change == "cancel":
            await workspace.cancel(job_id)
            self.notify(f"Cancel requested for {job_id}.", timeout=3)
        else:
            await workspace.delete(job_id)
            self.older_jobs = tuple(job for job in self.older_jobs if job.id != job_id)
            self.notify(f"Deleted {job_id}.", timeout=3)
        self.qrt.poll()

    @work(exclusive=True, group="older-jobs", exit_on_error=False)
    async def action_older(self) -> None:
        if self.older_exhausted:
            self.notify("All jobs are loaded.", timeout=2)
            return
        offset = len(self.all_jobs())
        page = await self.qrt.require_workspace().jobs(limit=OLDER_PAGE, offset=offset)
        self.post_message(OlderJobsLoaded(page.jobs, exhausted=offset + len(page.jobs) >= page.count))

    def on_older_jobs_loaded(self, message: OlderJobsLoaded) -> None:
        self.older_jobs += message.jobs
        self.older_exhausted = message.exhausted
        self.show_jobs()
