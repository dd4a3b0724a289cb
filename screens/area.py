"""AreaScreen: the frame every top-level area shares (top bar, body, footer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.worker import Worker

from screens.widgets.steady_footer import SteadyFooter
from screens.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from tui.app import QrtApp


class AreaScreen(Screen[None]):
    AREA = ""

    @property
    def qrt(self) -> QrtApp:
        return cast("QrtApp", self.app)

    def compose(self) -> ComposeResult:
        yield TopBar(self.AREA)
        yield from self.compose_body()
        yield SteadyFooter(show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.qrt.report_worker_failure(event)
