"""The one-line bar above every screen: where you are, what you are connected to, and
whether the jobs you see are live or stale."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.app import QrtApp

AREAS = (("F2", "Backends"), ("F3", "Editor"), ("F4", "Jobs"), ("F5", "Sessions"))


class TopBar(Static):
    def __init__(self, area: str) -> None:
        super().__init__(id="top-bar")
        self.area = area

    def on_mount(self) -> None:
        app = cast("QrtApp", self.app)
        self.watch(app, "connection_label", lambda _: self.refresh_bar())
        self.watch(app, "jobs_stale_since", lambda _: self.refresh_bar())
        self.watch(app, "polling_paused", lambda _: self.refresh_bar())

    def refresh_bar(self) -> None:
        app = cast("QrtApp", self.app)
        bar = Text(" qrt ", style="bold")
        for key, name in AREAS:
            style = "reverse bold" if name == self.area else "dim"
            bar.append(f" {key} {name} ", style=style)
        bar.append("  ")
        connection = app.connection
        label = app.connection_label
        bar.append(label, style="bold" if connection is not None and connection.is_local else "")
        stale = app.jobs_stale_since
        if stale is not None:
            bar.append(f"  STALE since {_clock(stale)}", style="bold reverse")
        elif app.polling_paused:
            bar.append("  polling paused", style="bold")
        self.update(bar)
        self.set_class(connection is not None and connection.is_local, "local")
        self.set_class(stale is not None, "stale")


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")
