"""A horizontal histogram of the most frequent outcomes of one register."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from screens.widgets.bars import bar
from tui.results import RegisterCounts

MAX_BARS = 32


class Histogram(Static):
    def show(self, tables: list[RegisterCounts], width: int) -> None:
        blocks: list[Text] = []
        for table in tables:
            blocks.append(Text(f"pub {table.pub_index} · {table.register} · {table.shots} shots", style="bold"))
            rows = table.rows[:MAX_BARS]
            label_width = max((len(r.bitstring) for r in rows), default=1)
            bar_room = max(5, width - label_width - 12)
            peak = rows[0].count if rows else 1
            for row in rows:
                line = Text(f"{row.bitstring:>{label_width}} ")
                line.append(bar(row.count / peak, bar_room).ljust(bar_room), style="cyan")
                line.append(f" {row.probability:6.2%}")
                blocks.append(line)
            if len(table.rows) > MAX_BARS:
                blocks.append(Text(f"… {len(table.rows) - MAX_BARS} rarer outcomes", style="dim"))
            blocks.append(Text(""))
        self.update(Group(*blocks))
