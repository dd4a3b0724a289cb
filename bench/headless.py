"""The app's jobs view, mounted headless (`App.run_test()`), for benchmarks that need it.

`JobsView` is the one thing the benchmarks touch: today the JobsTable widget; point
`make_view` at the jobs screen's widget once it exists and the benchmarks follow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

from screens.widgets.jobs_table import JobsTable
from tui.api.models import Job


class JobsView(Protocol):
    def reconcile(self, jobs: tuple[Job, ...]) -> None: ...


def make_view() -> Widget:
    return JobsTable(id="jobs")


class JobsViewApp(App[None]):
    def __init__(self, view_factory: Callable[[], Widget]) -> None:
        super().__init__()
        self._view_factory = view_factory

    def compose(self) -> ComposeResult:
        yield self._view_factory()

    @property
    def view(self) -> JobsView:
        return self.query_one("#jobs")  # type: ignore[return-value]


@asynccontextmanager
async def headless_view(
    view_factory: Callable[[], Widget] = make_view, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[JobsViewApp, Pilot[None]]]:
    app = JobsViewApp(view_factory)
    async with app.run_test(size=size) as pilot:
        yield app, pilot
