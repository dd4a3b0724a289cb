"""TranspileModal: where and how the editor transpiles (qiskit here or the transpiler
service, optimization level, layout method)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from tui.circuits import LAYOUT_METHODS, OPTIMIZATION_LEVELS, TranspileSettings


class TranspileModal(ModalScreen[TranspileSettings | None]):
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="transpile.apply"),
        Binding("escape", "dismiss(None)", "Cancel", id="transpile.cancel"),
    ]

    def __init__(self, current: TranspileSettings, service_url: str | None) -> None:
        super().__init__()
        self.current = current
        self.service_url = service_url  # None: this connection has no transpiler service

    def compose(self) -> ComposeResult:
        current = self.current
        places = [("here, with qiskit", "local")]
        if self.service_url:
            places.append((f"transpiler service ({self.service_url})", "service"))
        with Vertical(classes="dialog", id="transpile-box"):
            yield Static("Transpile with", classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Where")
                yield Select(compact=True, options=places, value=current.where, allow_blank=False, id="transpile-where")
            with Horizontal(classes="field"):
                yield Label("Level")
                yield Select(compact=True, options=[(f"optimization level {n}", n) for n in OPTIMIZATION_LEVELS],
                             value=current.optimization_level, allow_blank=False, id="transpile-level")
            with Horizontal(classes="field"):
                yield Label("Layout")
                yield Select(compact=True, options=[(method, method) for method in LAYOUT_METHODS],
                             value=current.layout_method, allow_blank=False, id="transpile-layout")
            yield Static("", id="transpile-error", classes="dialog-error")
            yield Static("[b]Ctrl+S[/b] apply   [b]Esc[/b] cancel   [b]Tab[/b] next field", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#transpile-where", Select).focus()

    def _settings(self) -> TranspileSettings:
        return TranspileSettings(
            where="service" if self.query_one("#transpile-where", Select).value == "service" else "local",
            optimization_level=int(self.query_one("#transpile-level", Select).value),  # type: ignore[arg-type]
            layout_method=str(self.query_one("#transpile-layout", Select).value),
        )

    @on(Select.Changed)
    def _show_problem(self) -> str | None:
        problem = self._settings().problem()
        self.query_one("#transpile-error", Static).update(f"✗ {problem}" if problem else "")
        return problem

    def action_apply(self) -> None:
        if self._show_problem() is None:
            self.dismiss(self._settings())
