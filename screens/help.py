"""HelpScreen (F1): every key of the screen underneath, grouped by where it acts.

Built from the live bindings, so remapped keys ([keys] in the config) show as remapped and
nothing can be missing from it.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

INTRO = (
    "qrt: IBM Quantum from the keyboard. F2–F5 and F7 switch areas; Ctrl+P searches every action;"
    " Esc closes dialogs. Keys can be remapped under [keys] in the config file, by the ids below."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, underneath: Screen[object]) -> None:
        super().__init__()
        self.underneath = underneath
        self.rows: list[tuple[str, str, str, str]] = []  # key, action, where, binding id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box", classes="dialog"):
            yield Static(INTRO, id="help-intro", markup=False)
            yield Static(self._keys_table(), id="help-keys")

    def _keys_table(self) -> Table:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Action")
        table.add_column("Where", style="dim", no_wrap=True)
        table.add_column("Id (for \\[keys])", style="dim", no_wrap=True)
        area = type(self.underneath).__name__.removesuffix("Screen")
        keys: dict[tuple[str, str, str], list[str]] = {}  # every key of an action, in binding order
        for _, active in self.underneath.active_bindings.items():
            binding = active.binding
            if not binding.description or not (binding.show or binding.id):
                continue
            where = "everywhere" if active.node is self.app else area
            shown = keys.setdefault((binding.id or "", binding.description, where), [])
            display = self.app.get_key_display(binding)
            if display not in shown:
                shown.append(display)
        rows = [(" / ".join(displays), description, where, ident)
                for (ident, description, where), displays in keys.items()]
        # The screen's own keys first, then the moves every table shares, then the app's.
        rows.sort(key=lambda row: (row[2] == "everywhere", row[2], row[3].startswith("table.")))
        self.rows = rows
        for key_display, description, where, ident in rows:
            table.add_row(Text(key_display, style="bold"), description, where, ident)
        return table
