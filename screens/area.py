"""AreaScreen: the frame every top-level area shares (top bar, body, footer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker

from screens.widgets.steady_footer import SteadyFooter
from screens.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from tui.app import QrtApp


class AreaScreen(Screen[None]):
    AREA = ""
    _title_forms: tuple[Widget, tuple[list[str], ...]] | None = None

    @property
    def qrt(self) -> QrtApp:
        return cast("QrtApp", self.app)

    def compose(self) -> ComposeResult:
        yield TopBar(self.AREA)
        yield from self.compose_body()
        yield SteadyFooter(show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def show_title(self, widget: Widget, *forms: list[str]) -> None:
        """`widget`'s border title: the first of `forms` (fullest first, each a list of
        parts) that fits the terminal's width, else the last; fitted again on a resize."""
        self._title_forms = (widget, forms)
        self._fit_title()

    def _fit_title(self) -> None:
        if self._title_forms is None:
            return
        widget, forms = self._title_forms
        titles = [" · ".join(part for part in form if part) for form in forms]
        room = self.app.size.width - 6  # the border's corners and the title's padding
        widget.border_title = next((title for title in titles if len(title) <= room), titles[-1])

    def on_resize(self) -> None:
        self._fit_title()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.qrt.report_worker_failure(event)
