"""TooSmallScreen: shown while the terminal is under 80x24, instead of a broken layout."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class TooSmallScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self._describe()

    def on_resize(self) -> None:
        self._describe()

    def _describe(self) -> None:
        from tui.app import MIN_SIZE

        width, height = self.app.size
        self.query_one("#too-small", Static).update(
            f"qrt needs a terminal of at least {MIN_SIZE[0]}x{MIN_SIZE[1]}; "
            f"this one is {width}x{height}.\nMake it larger (jobs keep running meanwhile)."
        )
