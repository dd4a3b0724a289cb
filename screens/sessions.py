"""SessionsScreen (F5): the sessions and batches qrt knows of (made here, or seen on
jobs), their state and TTLs, their jobs; open one, stop it taking jobs, or cancel it.

IBM's API has no list of sessions, so the list is built from the jobs and from what
this app created; the app's scheduler reads them (every few seconds while this screen is
shown), and this screen only renders what it knows.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Static

from screens.area import AreaScreen
from screens.widgets.confirm_modal import ConfirmModal
from screens.widgets.key_values import key_value_grid
from screens.widgets.list_table import ListTable
from screens.widgets.pick_modal import PickModal
from tui.api.models import Session

STATE_STYLES = {"open": "yellow", "active": "cyan", "inactive": "blue", "closed": "dim"}


def _ttl(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = int(seconds)
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m" if whole >= 3600 else f"{whole // 60}m{whole % 60:02d}s"


def _countdowns(session: Session, now: datetime) -> tuple[str, str]:
    """(time until max_ttl closes it, time until interactive_ttl makes it inactive)."""
    closes = _ttl(session.seconds_to_max_ttl(now)) if session.has_started or session.is_closed else "not started"
    return closes, _ttl(session.seconds_to_inactive(now))


class SessionsScreen(AreaScreen):
    AREA = "Sessions"
    BINDINGS = [
        Binding("n", "new_session", "New", id="sessions.new"),
        Binding("a", "stop_accepting", "Stop accepting", id="sessions.stop-accepting"),
        Binding("c", "cancel_session", "Cancel", id="sessions.cancel"),
        Binding("r", "refresh", "Refresh", id="sessions.refresh"),
        Binding("y", "copy_id", "Copy id", id="sessions.copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._clock: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield ListTable(id="sessions")
        yield Static("", id="session-detail")

    def on_mount(self) -> None:
        table = self.query_one("#sessions", ListTable)
        table.cursor_type = "row"
        # Most telling first: at 80 columns mode and backend scroll off, and the detail shows them.
        for key, label in (("state", "State"), ("id", "Session"), ("closes", "Closes in"), ("inactive", "Idle left"),
                           ("accepting", "Accepting"), ("jobs", "Jobs"), ("mode", "Mode"), ("backend", "Backend")):
            table.add_column(label, key=key)
        table.border_title = "Sessions and batches"
        self.watch(self.qrt, "sessions", lambda _: self.show_sessions())
        self._clock = self.set_interval(1.0, self._count_down)
        table.focus()

    def on_screen_resume(self) -> None:
        self.qrt.set_sessions_watched(True)
        if self._clock is not None:
            self._clock.resume()

    def on_screen_suspend(self) -> None:
        self.qrt.set_sessions_watched(False)
        if self._clock is not None:
            self._clock.pause()

    def _count_down(self) -> None:
        """Tick the TTL columns between refreshes, without rebuilding the table."""
        table = self.query_one("#sessions", ListTable)
        now = datetime.now(timezone.utc)
        for session in self.qrt.sessions.values():
            if session.id in table.rows and not session.is_closed:
                closes, inactive = _countdowns(session, now)
                table.set_cell(session.id, "closes", closes)
                table.set_cell(session.id, "inactive", inactive)
        self._show_detail()

    def show_sessions(self) -> None:
        """Reconcile the table with what is known, row by session id: cells change in
        place, new sessions are added, forgotten ones removed; the cursor stays put."""
        table = self.query_one("#sessions", ListTable)
        keep = self._selected_id()
        snapshot = self.qrt.jobs_snapshot
        jobs_by_session: dict[str, int] = {}
        for job in snapshot.jobs if snapshot else ():
            if job.session_id:
                jobs_by_session[job.session_id] = jobs_by_session.get(job.session_id, 0) + 1
        now = datetime.now(timezone.utc)
        sessions = self.qrt.sessions
        for gone in [key for key in table.rows if key.value not in sessions]:
            table.remove_row(gone)
        for session in sorted(sessions.values(), key=lambda s: (s.is_closed, s.id)):
            cells = {
                "state": Text(session.state, style=STATE_STYLES.get(session.state, "")), "id": session.id,
                **dict(zip(("closes", "inactive"), _countdowns(session, now))),
                "accepting": "yes" if session.accepting_jobs else "no",
                "jobs": str(jobs_by_session.get(session.id, 0)), "mode": session.mode,
                "backend": session.backend or "—",
            }
            if session.id in table.rows:
                for column, value in cells.items():
                    table.set_cell(session.id, column, value)
            else:
                table.add_row(*cells.values(), key=session.id)
        table.sort("state", "id", key=lambda cells: (cells[0].plain == "closed", cells[1]))
        if keep in sessions:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._show_detail()

    def _selected_id(self) -> str | None:
        table = self.query_one("#sessions", ListTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted, "#sessions")
    def _show_detail(self) -> None:
        session = self.qrt.sessions.get(self._selected_id() or "")
        detail = self.query_one("#session-detail", Static)
        if session is None:
            detail.update("No sessions yet. Press n to open one, or submit from the editor (F3) with Run: in a new session.")
            return
        snapshot = self.qrt.jobs_snapshot
        jobs = [job for job in snapshot.jobs if job.session_id == session.id] if snapshot else []
        job_lines = ", ".join(f"{job.id} {job.status.lower()}" for job in jobs[:6]) or "none yet"
        started = f"{session.started_at.astimezone():%H:%M:%S}" if session.started_at else "not yet"
        reason = f" ({session.state_reason})" if session.state_reason else ""
        closes, inactive = _countdowns(session, datetime.now(timezone.utc))
        idle = f"goes inactive in {inactive}" if inactive != "—" else "idle clock not running"
        detail.update(key_value_grid([
            ("Session", f"{session.id} · {session.mode} on {session.backend or '—'} · {session.status}"),
            ("State", f"{session.state}{reason} · started {started}"),
            ("TTLs", f"max {_ttl(session.max_ttl)}, "
                     + (f"closes in {closes}" if session.has_started else "counted from its first job")
                     + f" · interactive {_ttl(session.interactive_ttl)}, {idle}"),
            ("Jobs", job_lines),
        ]))

    # actions ---------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.qrt.session_changed()

    def action_copy_id(self) -> None:
        session_id = self._selected_id()
        if session_id:
            self.app.copy_to_clipboard(session_id)
            self.notify(f"Copied {session_id}.", timeout=2)

    def action_new_session(self) -> None:
        backend = self.qrt.selected_backend
        if backend is None:
            self.notify("Pick a backend first (F2, then Enter).", severity="warning")
            return
        choices = [(f"Dedicated session on {backend}", "dedicated"), (f"Batch on {backend}", "batch")]
        def picked(mode: str | None) -> None:
            if mode:
                self.open_session(backend, mode)

        self.app.push_screen(PickModal("Open", choices), picked)

    @work(exit_on_error=False)
    async def open_session(self, backend: str, mode: str) -> None:
        session = await self.qrt.require_workspace().open_session(backend, mode)  # type: ignore[arg-type]
        self.qrt.remember_session(session)
        self.notify(f"Opened {mode} {session.id} on {backend}; the editor's submit dialog can join it.", timeout=5)

    def _confirm_then(self, question: str, change: str) -> None:
        session_id = self._selected_id()
        if session_id is None:
            return
        known = self.qrt.sessions.get(session_id)
        if known is not None and (known.is_closed or (change == "close" and not known.accepting_jobs)):
            said = "is closed" if known.is_closed else "already takes no new jobs"
            self.notify(f"Session {session_id} {said}: nothing to change.", severity="warning", timeout=4)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_session(session_id, change)

        self.app.push_screen(ConfirmModal(question.format(session_id)), answered)

    def action_stop_accepting(self) -> None:
        self._confirm_then("Stop {} accepting new jobs? Queued jobs still run.", "close")

    def action_cancel_session(self) -> None:
        self._confirm_then("Cancel {}? Running jobs finish; queued jobs will not run.", "cancel")

    @work(exit_on_error=False)
    async def change_session(self, session_id: str, change: str) -> None:
        workspace = self.qrt.require_workspace()
        if change == "close":
            await workspace.close_session(session_id)
        else:
            await workspace.cancel_session(session_id)
        self.notify(f"Session {session_id}: {'no longer accepting jobs' if change == 'close' else 'cancelled'}.", timeout=4)
        self.qrt.session_changed()
