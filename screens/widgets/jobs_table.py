"""The live jobs list: rows reconciled by job id, so the cursor never jumps.

Cells are compared before they are written, so a poll that changes nothing repaints
nothing, and one that changes 50 rows touches only their changed cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from rich.text import Text
from textual.widgets import DataTable

from tui.api.models import Job

STATUS_STYLES = {
    "Queued": "yellow",
    "Running": "cyan",
    "Completed": "green",
    "Failed": "red",
    "Cancelled": "magenta",
}
COLUMNS = (("status", "Status"), ("id", "Job"), ("backend", "Backend"), ("program", "Program"),
           ("created", "Created"), ("elapsed", "Elapsed"), ("session", "Session"), ("tags", "Tags"))

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


class JobsTable(DataTable[str | Text]):
    def __init__(self, clock: Clock = _now, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self._shown: dict[str, Job] = {}  # the job each row was last drawn from

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def reconcile(self, jobs: Sequence[Job]) -> None:
        """Update changed cells, add new rows, drop vanished ones; keep the cursor's job."""
        cursor_key = self.selected_job_id
        wanted = {job.id for job in jobs}
        now = self.clock()
        order_changed = False
        with self.app.batch_update():
            for row_key in [key for key in self.rows if key.value not in wanted]:
                self.remove_row(row_key)
                self._shown.pop(str(row_key.value), None)
                order_changed = True
            for job in jobs:
                if job.id in self.rows and job.is_final and self._shown.get(job.id) == job:
                    continue  # a finished job that has not changed: nothing to compare
                self._shown[job.id] = job
                cells = self._cells(job, now)
                if job.id in self.rows:
                    for (key, _), value in zip(COLUMNS, cells):
                        if self.get_cell(job.id, key) != value:
                            self.update_cell(job.id, key, value)
                else:
                    self.add_row(*cells, key=job.id)
                    order_changed = True
            if order_changed:
                order = {job.id: index for index, job in enumerate(jobs)}
                self.sort("id", key=lambda cell: order.get(str(getattr(cell, "plain", cell)), len(order)))
            if cursor_key is not None and cursor_key in self.rows:
                self.move_cursor(row=self.get_row_index(cursor_key), animate=False)

    def _cells(self, job: Job, now: datetime) -> list[str | Text]:
        if job.is_final:
            elapsed = f"run {_duration(job.usage_seconds)}" if job.usage_seconds else "—"
        elif job.created is not None:
            elapsed = _duration((now - job.created).total_seconds())
        else:
            elapsed = "—"
        return [
            Text(job.status, style=STATUS_STYLES.get(job.status, "")),
            job.id,
            job.backend,
            job.program,
            _created(job, now),
            elapsed,
            (job.session_id or "")[:12],
            ", ".join(job.user_tags),
        ]

    @property
    def selected_job_id(self) -> str | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:  # noqa: BLE001 - an empty or shrinking table has no cursor cell
            return None


def _created(job: Job, now: datetime) -> str:
    if job.created is None:
        return "—"
    local = job.created.astimezone(now.tzinfo) if now.tzinfo else job.created
    today = now.astimezone(local.tzinfo).date()
    return local.strftime("%H:%M:%S" if local.date() == today else "%m-%d %H:%M")
