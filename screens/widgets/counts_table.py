"""A job's results as a table: Sampler counts (bitstring, integer, hex, count, probability
and a bar), or Estimator values with their standard deviations."""

from __future__ import annotations

from rich.text import Text

from screens.widgets.bars import bar
from screens.widgets.list_table import ListTable
from tui.ideal import IdealComparison
from tui.results import CountsRow, PubValues, RegisterCounts

BAR_WIDTH = 16
MAX_ROWS = 256
NARROW_COLUMNS = 48  # below this a table leaves out the integer and hex forms of a bitstring


class CountsTable(ListTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True

    def show_counts(self, tables: list[RegisterCounts], ideal: IdealComparison | None = None) -> None:
        """Counts, most frequent first; with `ideal`, each outcome's exact noiseless
        probability beside them, and the ideal outcomes never measured at the end."""
        self.clear(columns=True)
        multi = len(tables) > 1
        if multi:
            self.add_column("Pub/reg", key="where")
        narrow = 0 < self.size.width < NARROW_COLUMNS  # the editor's panel at 80 columns
        columns = [("bits", "Bitstring"), ("int", "Int"), ("hex", "Hex"), ("count", "Count"), ("prob", "Prob")]
        if narrow:
            columns = [column for column in columns if column[0] not in ("int", "hex")]
        if ideal is not None:
            columns.append(("ideal", "Ideal"))
        for key, label in (*columns, ("bar", "")):
            self.add_column(label, key=key)
        for table in tables:
            peak = table.rows[0].count if table.rows else 1
            exact = ideal.of(table.pub_index, table.register) if ideal else None
            rows = list(table.rows[:MAX_ROWS])
            if exact is not None:
                seen = {row.value for row in table.rows}
                rows += [CountsRow(format(value, f"0{table.num_bits}b"), value, 0, 0.0)
                         for value in sorted(exact.ideal, key=lambda v: -exact.ideal[v]) if value not in seen]
            for row in rows[:MAX_ROWS]:
                cells: list[str | Text] = [
                    row.bitstring, *(() if narrow else (str(row.value), row.hex)),
                    Text(str(row.count), justify="right"),
                    Text(f"{row.probability:.4f}", justify="right"),
                ]
                if ideal is not None:
                    shown = f"{exact.ideal.get(row.value, 0.0):.4f}" if exact is not None else "—"
                    cells.append(Text(shown, justify="right", style="green"))
                cells.append(Text(bar(row.count / peak, BAR_WIDTH), style="cyan"))
                if multi:
                    cells.insert(0, f"{table.pub_index}/{table.register}")
                self.add_row(*cells)

    def show_values(self, values: list[PubValues]) -> None:
        self.clear(columns=True)
        labelled = any(pub.labels for pub in values)
        self.add_columns("Pub", "Observable" if labelled else "Index", "Value", "Std")
        for pub in values:
            for position, (index, value, std) in enumerate(zip(pub.indices(), pub.values, pub.stds)):
                self.add_row(str(pub.pub_index), pub.label(position, index),
                             Text(f"{value:+.5f}", justify="right"), Text(f"{std:.5f}", justify="right"))
