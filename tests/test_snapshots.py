"""SVG snapshots of every screen at 80x24 and 120x40, from fixed data: no service, no clock.

The app is given a connection that never arrives; the tests then set the state the
screens watch (backends, jobs, sessions), as the poller would. Update with
`pytest tests/test_snapshots.py --snapshot-update` and look at the SVGs before committing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui.api.models import Backend, Job, JobStatus, Session
from tui.app import QrtApp
from tui.connection import Connection
from tui.job_details import JobDetails
from tui.messages import JobDetailLoaded
from tui.monitor import JobsSnapshot
from tui.results import count_register

SIZES = [(80, 24), (120, 40)]
WHEN = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)

BACKENDS = (
    Backend("ibm_brisbane", "online", 127, "Eagle r3", 12, 0.0077, 0.02, 180_000),
    Backend("ibm_fez", "online", 156, "Heron r2", 3, 0.0038, 0.0076, 195_000),
    Backend("ibm_torino", "paused", 133, "Heron r1", 0, 0.0051, 0.0224, 210_000),
)
JOBS = (
    Job("d1f3k0job0000000000a", "ibm_fez", "sampler", JobStatus.COMPLETED, WHEN, session_id="s-42a", usage_seconds=2),
    Job("d1f3k0job0000000000b", "ibm_brisbane", "estimator", JobStatus.FAILED, WHEN, reason="ISA check failed"),
    Job("d1f3k0job0000000000c", "ibm_fez", "sampler", JobStatus.CANCELLED, WHEN, tags=("bell", "week-9")),
)
SESSIONS = {
    "s-42a": Session("s-42a", "dedicated", "active", "ibm_fez", True, max_ttl=28800, interactive_ttl=60),
    "s-43b": Session("s-43b", "batch", "closed", "ibm_brisbane", False, max_ttl=600),
}


async def never_connects() -> Connection:
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")


@pytest.fixture(autouse=True)
def fixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("QRT_CONFIG", str(tmp_path / "config.toml"))


def app_with_data() -> QrtApp:
    app = QrtApp(never_connects)
    app.connection_label = "LOCAL SIMULATOR · not IBM hardware"
    return app


def feed(app: QrtApp) -> None:
    app.backends = BACKENDS
    app.selected_backend = "ibm_fez"
    app.jobs_snapshot = JobsSnapshot(JOBS, total=3, fetched_at=WHEN)
    app.sessions = dict(SESSIONS)


def before(*keys: str, then: Callable[[QrtApp], Awaitable[None] | None] | None = None):  # noqa: ANN201
    async def run(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, QrtApp)
        feed(app)
        await pilot.pause()
        await pilot.press(*keys)
        if then is not None:
            result = then(app)
            if result is not None:
                await result
        await pilot.pause(0.2)
        app.clear_notifications()
        await pilot.pause()

    return run


async def editor_checked(app: QrtApp) -> None:
    editor = app.screen.query_one("#editor")
    editor.cursor_blink = False
    deadline = time.monotonic() + 60
    while "✓" not in str(app.screen.query_one("#editor-status").render()):
        assert time.monotonic() < deadline, "the circuit check never finished"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the diagram follows the check


def job_detail_loaded(app: QrtApp) -> None:
    from screens.job_detail import JobDetailScreen

    app.push_screen(JobDetailScreen(JOBS[0]))
    counts = [count_register(0, "c", ["0x0"] * 980 + ["0x3"] * 1000 + ["0x1"] * 12 + ["0x2"] * 8, 2)]
    details = JobDetails(timeline=(("created", WHEN),), summary=(("Program", "sampler"),), usage_seconds=2)
    app.screen.post_message(JobDetailLoaded(JOBS[0].id, details, "log line", counts, [], None))


def submit_dialog(app: QrtApp) -> None:
    from screens.widgets.submit_modal import SubmitModal

    app.push_screen(SubmitModal("ibm_fez", num_qubits=2, num_parameters=0, open_sessions=[("s-42a", "dedicated")]))


def workloads_listed(app: QrtApp) -> None:
    from tui.api.models import Workload, WorkloadPage

    rows = (
        Workload("s-42a", "session", "in_progress", "ibm_fez", WHEN, tags=("bell",), usage_seconds=2.0),
        Workload("d1f3k0job0000000000b", "job", "failed", "ibm_brisbane", WHEN, usage_seconds=0.0),
        Workload("s-43b", "batch", "completed", "ibm_brisbane", WHEN, WHEN, usage_seconds=4.5),
    )
    app.screen.show(WorkloadPage(rows, 23, next_cursor="c2"))  # type: ignore[attr-defined]


def transpile_dialog(app: QrtApp) -> None:
    from screens.widgets.transpile_modal import TranspileModal
    from tui.circuits import TranspileSettings

    app.push_screen(TranspileModal(TranspileSettings("service", 3, "sabre"), "http://127.0.0.1:8290"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "screen",
    ["backends", "editor", "jobs", "sessions", "workloads", "job_detail", "help", "login", "submit", "transpile"],
)
def test_screen_snapshot(screen: str, size: tuple[int, int], snap_compare) -> None:  # noqa: ANN001
    runs = {
        "backends": before("f2"),
        "editor": before("f3", then=editor_checked),
        "jobs": before("f4"),
        "sessions": before("f5"),
        "workloads": before("f7", then=workloads_listed),
        "job_detail": before("f4", then=job_detail_loaded),
        "help": before("f4", "f1"),
        "login": before("f6"),
        "submit": before("f3", then=submit_dialog),
        "transpile": before("f3", then=transpile_dialog),
    }
    assert snap_compare(app_with_data(), terminal_size=size, run_before=runs[screen])
