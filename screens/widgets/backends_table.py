"""The backends table: one row per device, reconciled by name."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.api.models import Backend

COLUMNS = (("name", "Backend"), ("status", ""), ("qubits", "Qb"),
           ("queue", "Queue"), ("two_q", "2Q %"), ("readout", "RO %"))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}"


class BackendsTable(DataTable[str | Text]):
    """Backends with the selected one marked; Enter picks a backend for the editor."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show_backends(self, backends: list[Backend], selected: str | None) -> None:
        for backend in backends:
            cells = self._cells(backend, backend.name == selected)
            if backend.name in self.rows:
                for (key, _), value in zip(COLUMNS, cells):
                    self.update_cell(backend.name, key, value)
            else:
                self.add_row(*cells, key=backend.name)

    def mark_selected(self, backends: list[Backend], selected: str | None) -> None:
        for backend in backends:
            if backend.name in self.rows:
                self.update_cell(backend.name, "name", self._name_cell(backend, backend.name == selected))

    @staticmethod
    def _name_cell(backend: Backend, selected: bool) -> Text:
        return Text(f"▸{backend.name}" if selected else f" {backend.name}",
                    style="bold" if selected else "")

    def _cells(self, backend: Backend, selected: bool) -> list[str | Text]:
        status_style = "green" if backend.status == "online" else "yellow"
        return [
            self._name_cell(backend, selected),
            Text("●", style=status_style),
            str(backend.qubits),
            str(backend.queue_length),
            _percent(backend.two_q_error_median),
            _percent(backend.readout_error_median),
        ]
