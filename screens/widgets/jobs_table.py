"""The live jobs list: rows reconciled by job id, so the cursor never jumps.

Cells are compared before they are written, so a poll that changes nothing repaints
nothing, and one that changes 50 rows touches only their changed cells. Below
COMPACT_BELOW cells of width the table drops the tags, cuts ids short with an ellipsis and
shows times without seconds, so that every other column fits an 80-column terminal; the
full id is in the detail view, the filter and the copy key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.widgets.data_table import ColumnKey, RowKey

from screens.widgets.list_table import ListTable
from tui.api.models import Job, JobStatus

STATUS_STYLES = {
    JobStatus.QUEUED: "yellow",
    JobStatus.RUNNING: "cyan",
    JobStatus.COMPLETED: "green",
    JobStatus.FAILED: "red",
    JobStatus.CANCELLED: "magenta",
    JobStatus.CANCELLED_RAN_TOO_LONG: "magenta",
}
# (key, label, width in compact layout: None fits the content, 0 drops the column)
COMPACT_ID_WIDTH = 11  # the least an id gets in the compact layout; more where the width allows
JOB_ID_WIDTH = 20
COLUMNS = (("status", "Status", None), ("id", "Job", COMPACT_ID_WIDTH), ("backend", "Backend", None),
           ("program", "Program", None), ("created", "Created", None), ("elapsed", "Elapsed", None),
           ("session", "Session", 8), ("tags", "Tags", 0))
COMPACT_BELOW = 110

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class JobsTable(ListTable):
    def __init__(self, clock: Clock = _now, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.compact = False
        self._column_keys: tuple[str, ...] = ()  # the current layout's, set with its columns
        self._shown: dict[str, Job] = {}  # the job each row was last drawn from
        self._order: list[str] = []  # the job ids in the order the rows were last sorted into

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._add_columns()

    def _add_columns(self) -> None:
        if self.compact:
            columns = [column for column in COLUMNS if column[2] != 0]
        else:
            columns = [(key, label, None) for key, label, _ in COLUMNS]
        self._column_keys = tuple(key for key, _, _ in columns)
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < COMPACT_BELOW
        if compact == self.compact:
            self._fit_id_column()
            return
        self.compact = compact
        jobs = [self._shown[str(key.value)] for key in self._row_order() if str(key.value) in self._shown]
        cursor_key = self.selected_job_id
        self.clear(columns=True)
        self._shown.clear()
        self._order = []
        self._add_columns()
        self.reconcile(jobs)
        if cursor_key is not None and cursor_key in self.rows:
            self.move_cursor(row=self.get_row_index(cursor_key), animate=False)

    def _row_order(self) -> list[RowKey]:
        return [self.coordinate_to_cell_key(Coordinate(row, 0)).row_key for row in range(self.row_count)]

    def reconcile(self, jobs: Sequence[Job]) -> None:
        """Update changed cells, add new rows, drop vanished ones; keep the cursor's job."""
        cursor_key = self.selected_job_id
        wanted_order = [job.id for job in jobs]
        wanted = set(wanted_order)
        now = self.clock()
        with self.app.batch_update():
            for row_key in [key for key in self.rows if key.value not in wanted]:
                self.remove_row(row_key)
                self._shown.pop(str(row_key.value), None)
            for job in jobs:
                shown = self._shown.get(job.id)
                if job.is_final and shown is not None and (shown is job or shown == job):
                    continue  # a finished job that has not changed (most often the very same object)
                self._shown[job.id] = job
                cells = self._cells(job, now)
                if job.id in self.rows:
                    for key, value in cells.items():
                        if self.get_cell(job.id, key) != value:
                            self.set_cell(job.id, key, value)
                else:
                    self.add_row(*cells.values(), key=job.id)
            if wanted_order != self._order:  # rows came or went, or the jobs come in a new order
                order = {job_id: index for index, job_id in enumerate(wanted_order)}
                self.sort("id", key=lambda cell: order.get(str(getattr(cell, "plain", cell)), len(order)))
                self._order = wanted_order
            if cursor_key is not None and cursor_key in self.rows:
                self.move_cursor(row=self.get_row_index(cursor_key), animate=False)
        self._fit_id_column()

    def _fit_id_column(self) -> None:
        """In the compact layout the ids take what the other columns leave, up to whole."""
        if not self.compact or "id" not in self.columns:
            return
        column = self.columns[ColumnKey("id")]
        others = sum(each.get_render_width(self) for key, each in self.columns.items() if key != "id")
        room = self.scrollable_content_region.width - others - 2 * self.cell_padding
        width = max(COMPACT_ID_WIDTH, min(JOB_ID_WIDTH, room))
        if width != column.width:
            column.width = width
            self._require_update_dimensions = True
            self.refresh()

    def _cells(self, job: Job, now: datetime) -> dict[str, str | Text]:
        """The row's cells by column key, for the columns of the current layout."""
        if job.is_final:
            elapsed = f"run {_duration(job.usage_seconds)}" if job.usage_seconds else "—"
        elif job.created is not None:
            elapsed = _duration((now - job.created).total_seconds())
        else:
            elapsed = "—"
        cells: dict[str, str | Text] = {
            "status": Text(job.status, style=STATUS_STYLES.get(job.status, "")),
            "id": Text(job.id, overflow="ellipsis", no_wrap=True),
            "backend": job.backend,
            "program": job.program,
            "created": _created(job, now, self.compact),
            "elapsed": elapsed,
            "session": Text((job.session_id or "")[:12], overflow="ellipsis", no_wrap=True),
            "tags": ", ".join(job.user_tags),
        }
        return {key: cells[key] for key in self._column_keys}

    @property
    def selected_job_id(self) -> str | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:  # noqa: BLE001 - an empty or shrinking table has no cursor cell
            return None


def _created(job: Job, now: datetime, compact: bool) -> str:
    if job.created is None:
        return "—"
    local = job.created.astimezone(now.tzinfo) if now.tzinfo else job.created
    today = now.astimezone(local.tzinfo).date()
    if local.date() == today:
        return local.strftime("%H:%M" if compact else "%H:%M:%S")
    return local.strftime("%m-%d" if compact else "%m-%d %H:%M")
