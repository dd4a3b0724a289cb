"""The backends table: one row per device, rebuilt only when what it shows changes."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from screens.widgets.list_table import ListTable
from tui.api.models import Backend

COLUMNS = (("name", "Backend"), ("status", "Status"), ("qubits", "Qubits"), ("processor", "Processor"),
           ("queue", "Queue"), ("two_q", "2Q err %"), ("readout", "RO err %"), ("clops", "CLOPS"))
SORT_KEYS = ("name", "queue", "qubits", "2Q error", "readout error")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}"


def _sort_key(name: str) -> Any:  # a key function for sorted()
    worst = float("inf")
    return {
        "name": lambda b: b.name,
        "queue": lambda b: (b.queue_length, b.name),
        "qubits": lambda b: (-b.qubits, b.name),
        "2Q error": lambda b: (b.two_q_error_median if b.two_q_error_median is not None else worst, b.name),
        "readout error": lambda b: (b.readout_error_median if b.readout_error_median is not None else worst, b.name),
    }[name]


class BackendsTable(ListTable):
    """Enter picks the highlighted backend for the editor (▸); ★ marks the least busy."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        self._shown: list[tuple[str | Text, ...]] = []

    @property
    def highlighted_name(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def show(
        self, backends: list[Backend], selected: str | None, least_busy: str | None, sort: str, to_top: bool = False
    ) -> None:
        """Rows in `sort` order, the cursor kept on its backend; `to_top` (a new sort):
        on the first row, so the best by the new order are in view."""
        rows = [self._cells(b, b.name == selected, b.name == least_busy) for b in sorted(backends, key=_sort_key(sort))]
        names = [b.name for b in sorted(backends, key=_sort_key(sort))]
        keep = self.highlighted_name
        if rows != self._shown:
            with self.app.batch_update():
                self.clear()
                for name, cells in zip(names, rows):
                    self.add_row(*cells, key=name)
            self._shown = rows
        if to_top and names:
            self.move_cursor(row=0, animate=False)
            self.scroll_home(animate=False)
        elif keep in names:
            self.move_cursor(row=names.index(keep), animate=False)

    @staticmethod
    def _cells(backend: Backend, selected: bool, least_busy: bool) -> tuple[str | Text, ...]:
        marks = ("▸" if selected else " ") + ("★" if least_busy else " ")
        status_style = "green" if backend.status == "online" else "yellow"
        return (
            Text(f"{marks}{backend.name}", style="bold" if selected else ""),
            Text(backend.status, style=status_style),
            Text(str(backend.qubits), justify="right"),
            backend.processor or "—",
            Text(str(backend.queue_length), justify="right"),
            Text(_percent(backend.two_q_error_median), justify="right"),
            Text(_percent(backend.readout_error_median), justify="right"),
            Text(f"{backend.clops:,}" if backend.clops else "—", justify="right"),
        )
