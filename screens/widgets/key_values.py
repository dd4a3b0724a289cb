"""Label/value pairs as a two-column grid: values are shown as plain text, never markup."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text


def key_value_grid(pairs: Iterable[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in pairs:
        grid.add_row(label, Text(value))
    return grid
