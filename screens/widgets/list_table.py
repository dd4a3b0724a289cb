"""ListTable: a DataTable that also moves the way k9s and lazygit users' fingers expect:
j/k down and up, g/G to the first and last row (the arrows, Home and End still work)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class ListTable(DataTable[str | Text]):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g", "scroll_top", "First row", show=False, id="table.first"),
        Binding("G", "scroll_bottom", "Last row", show=False, id="table.last"),
    ]

    def set_cell(self, row_key: RowKey | str, column_key: str, value: str | Text) -> None:
        """Update a cell; a value wider than its column ("Running" to "Completed") widens
        the column, a narrower one leaves it (narrowing measures every cell of the column:
        seconds, for a column of 10,000 jobs)."""
        width = value.cell_len if isinstance(value, Text) else cell_len(value)
        wider = width > self.columns[ColumnKey(column_key)].content_width
        self.update_cell(row_key, column_key, value, update_width=wider)
