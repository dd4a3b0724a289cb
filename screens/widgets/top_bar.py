"""The one-line bar above every screen: where you are, what you are connected to, and
whether the jobs you see are live or stale."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.app import QrtApp

AREAS = (("F2", "Backends"), ("F3", "Editor"), ("F4", "Jobs"), ("F5", "Sessions"), ("F7", "Workloads"))
WIDE_ENOUGH = 110  # columns for every area's name and the connection's words


class TopBar(Static):
    def __init__(self, area: str) -> None:
        super().__init__(id="top-bar")
        self.area = area

    def on_mount(self) -> None:
        app = cast("QrtApp", self.app)
        self.watch(app, "connection_label", lambda _: self.refresh_bar())
        self.watch(app, "jobs_stale_since", lambda _: self.refresh_bar())
        self.watch(app, "polling_paused", lambda _: self.refresh_bar())

    def on_resize(self) -> None:
        self.refresh_bar()

    def refresh_bar(self) -> None:
        """Areas, then the jobs' state, then the connection, cut to the width there is: at
        80 columns the other areas show their keys only, and the connection's words are
        what gets shortened, never STALE or "polling paused"."""
        app = cast("QrtApp", self.app)
        width = self.size.width or 80
        narrow = width < WIDE_ENOUGH
        bar = Text(" qrt ", style="bold")
        for key, name in AREAS:
            if name == self.area:
                bar.append(f" {key} {name} ", style="reverse bold")
            else:
                bar.append(f" {key} " if narrow else f" {key} {name} ", style="dim")
        stale = app.jobs_stale_since
        if stale is not None:
            bar.append(f"  STALE since {_clock(stale)}", style="bold reverse")
        elif app.polling_paused:
            bar.append("  polling paused", style="bold")
        connection = app.connection
        words = "  " + app.connection_label
        room = max(0, width - bar.cell_len)
        if len(words) > room:  # "LOCAL SIMULATOR" says it alone
            words = words.replace(", not IBM hardware", "")
        label = Text(words, style="bold" if connection is not None and connection.simulates_locally else "")
        if label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        bar.append_text(label)
        self.update(bar)
        self.set_class(connection is not None and connection.simulates_locally, "local")
        self.set_class(stale is not None, "stale")


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")
