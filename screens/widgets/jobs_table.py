"""The live jobs list: rows reconciled by job id, so the cursor never jumps."""

from __future__ import annotations

from datetime import datetime

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
COLUMNS = (("status", "Status"), ("id", "Job"), ("created", "Created"), ("backend", "Backend"))


def _created(job: Job) -> str:
    if job.created is None:
        return "—"
    local = job.created.astimezone()
    today = datetime.now(local.tzinfo).date()
    return local.strftime("%H:%M:%S" if local.date() == today else "%m-%d %H:%M")


class JobsTable(DataTable[str | Text]):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def reconcile(self, jobs: tuple[Job, ...]) -> None:
        """Update changed cells, add new rows, drop vanished ones; keep the cursor's job."""
        cursor_key = self._cursor_key()
        wanted = {job.id for job in jobs}
        added = False
        for row_key in [key for key in self.rows if key.value not in wanted]:
            self.remove_row(row_key)
        for job in jobs:
            cells = self._cells(job)
            if job.id in self.rows:
                for (key, _), value in zip(COLUMNS, cells):
                    if self.get_cell(job.id, key) != value:
                        self.update_cell(job.id, key, value, update_width=True)
            else:
                self.add_row(*cells, key=job.id)
                added = True
        if added:
            order = {job.id: index for index, job in enumerate(jobs)}
            self.sort("id", key=lambda job_id: order.get(str(job_id), len(order)))
        if cursor_key is not None and cursor_key in self.rows:
            self.move_cursor(row=self.get_row_index(cursor_key), animate=False)

    def _cursor_key(self) -> str | None:
        if not self.rows or self.cursor_row < 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - an empty or shrinking table has no cursor cell
            return None

    @staticmethod
    def _cells(job: Job) -> list[str | Text]:
        return [
            Text(job.status, style=STATUS_STYLES.get(job.status, ""), justify="left"),
            job.id,
            _created(job),
            job.backend,
        ]

    @property
    def selected_job_id(self) -> str | None:
        return self._cursor_key()


