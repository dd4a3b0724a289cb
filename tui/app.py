"""QrtApp: modes, global bindings, shared state, the poll loop, and the one place worker
failures are reported.

Screens share what the service told us through reactive attributes here (backends, the
picked backend, the latest jobs snapshot, the sessions); each screen watches what it
shows. The one poll loop (the core's Scheduler, on one timer) lives here too, so that
jobs and sessions stay live and finished jobs are announced on every screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from tui.api.errors import ApiError, Unauthorized
from tui.messages import (
    BackendsLoaded,
    JobsRefreshed,
    JobsRefreshFailed,
    JobSubmitted,
    ServiceConnected,
    ServiceFailed,
    SessionsLoaded,
)
from tui.preferences import Preferences, load_preferences

if TYPE_CHECKING:
    from tui.accounts import Accounts
    from tui.api.client import RuntimeClient
    from tui.api.models import Backend, Session
    from tui.connection import Connection
    from tui.credentials import TokenStore
    from tui.monitor import JobsSnapshot
    from tui.scheduler import Scheduler
    from tui.workspace import Workspace

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
MIN_SIZE = (80, 24)
PREFERRED_BACKEND = "ibm_brisbane"
LOGGED_OUT = "Logged out · F6 to log in"

ConnectionFactory = Callable[[], Awaitable["Connection"]]


def _screen(module: str, name: str) -> Callable[[], Screen[None]]:
    """Mode screens are imported when first shown, keeping them off the first frame's path."""

    def make() -> Screen[None]:
        import importlib

        screen: Screen[None] = getattr(importlib.import_module(module), name)()
        # Styled at mount by the stylesheet as it is now: without this, Textual reparses
        # every stylesheet again (0.2 s) the first time the screen is shown.
        screen._css_update_count = screen.app._css_update_count
        return screen

    return make


class QrtApp(App[None]):
    TITLE = "qrt"
    SUB_TITLE = "IBM Quantum console"
    CSS_PATH = [STYLES_DIR / "app.tcss"]
    MODES = {
        "backends": _screen("screens.backends", "BackendsScreen"),
        "editor": _screen("screens.editor", "EditorScreen"),
        "jobs": _screen("screens.jobs", "JobsScreen"),
        "sessions": _screen("screens.sessions", "SessionsScreen"),
        "workloads": _screen("screens.workloads", "WorkloadsScreen"),
    }
    DEFAULT_MODE = "editor"
    # Priority: the editor's TextArea binds F6/F7 itself, and area keys must work everywhere.
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("f1", "help", "Help", id="app.help", priority=True),
        Binding("f2", "switch_mode('backends')", "Backends", id="app.backends", priority=True),
        Binding("f3", "switch_mode('editor')", "Editor", id="app.editor", priority=True),
        Binding("f4", "switch_mode('jobs')", "Jobs", id="app.jobs", priority=True),
        Binding("f5", "switch_mode('sessions')", "Sessions", id="app.sessions", priority=True),
        Binding("f6", "login", "Login", id="app.login", priority=True),
        Binding("f7", "switch_mode('workloads')", "Workloads", id="app.workloads", priority=True),
    ]

    backends: reactive[tuple[Backend, ...]] = reactive(())
    selected_backend: reactive[str | None] = reactive(None)
    jobs_snapshot: reactive[JobsSnapshot | None] = reactive(None)
    jobs_stale_since: reactive[datetime | None] = reactive(None)
    connection_label: reactive[str] = reactive("Connecting…")
    polling_paused: reactive[bool] = reactive(False)
    sessions: reactive[dict[str, Session]] = reactive(dict)  # the ones qrt has seen, by id
    unsaved_edits: str | None = None  # the editor's file with edits not saved, if any

    def __init__(self, connect: ConnectionFactory, preferences: Preferences | None = None) -> None:
        super().__init__()
        self._connect = connect
        self.preferences = preferences or Preferences()
        self.connection: Connection | None = None
        self.workspace: Workspace | None = None  # the use cases, on `connection`
        self.scheduler: Scheduler | None = None  # the one poller of jobs and sessions
        self._refused_connection: Connection | None = None  # whose key was refused (said once)
        self._poll_timer: Timer | None = None
        self._accounts: Accounts | None = None
        self._first_frame_shown = False
        self._after_first_frame: list[Callable[[], object]] = []
        self._screens_prepared = False
        if self.preferences.keys:
            self.set_keymap(self.preferences.keys)
        if not self.preferences.animations_enabled:
            self.animation_level = "none"

    def on_mount(self) -> None:
        import asyncio

        from tui.background import DaemonThreadExecutor

        asyncio.get_running_loop().set_default_executor(DaemonThreadExecutor())  # quitting never waits
        if self.preferences.theme:
            try:
                self.theme = self.preferences.theme
            except Exception:  # noqa: BLE001 - an unknown theme name is only a warning
                known = ", ".join(sorted(self.available_themes))
                self.notify(f"Unknown theme '{self.preferences.theme}'; known: {known}.", severity="warning")
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for problem in self.preferences.problems:
            self.notify(problem, title="Config", severity="warning", timeout=10)
        self.after_first_frame(self.open_connection)

    def _remember_theme(self, theme: object) -> None:
        """A theme picked in the palette is the next run's theme too ([ui] theme, in place)."""
        name = str(getattr(theme, "name", theme))
        if name == (self.preferences.theme or "") or not self.preferences.remember_theme:
            return
        from dataclasses import replace

        from tui.config import set_ui_preference

        try:
            set_ui_preference("theme", name)
        except OSError as exc:
            self.notify(f"The theme could not be saved: {exc.strerror}.", severity="warning")
            return
        self.preferences = replace(self.preferences, theme=name)

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the first frame is on screen (at once if it is already).

        Work that imports heavy libraries (the HTTP stack, qiskit) waits for it: imports
        hold the GIL, and the first frame should not wait for them.
        """
        if self._first_frame_shown:
            callback()
        else:
            self._after_first_frame.append(callback)

    def on_ready(self) -> None:
        self._first_frame_shown = True
        waiting, self._after_first_frame = self._after_first_frame, []
        for callback in waiting:
            callback()

    @work(thread=True, group="prepare-screens", exit_on_error=False)
    def prepare_screens(self) -> None:
        """Import the mode screens once the backends are on screen, so that a first switch
        only builds its screen (not before: the first frames come first)."""
        import importlib

        from tui.background import settle_heap

        for module in ("screens.backends", "screens.editor", "screens.jobs", "screens.sessions", "screens.workloads",
                       "screens.job_detail", "screens.login", "screens.help"):
            importlib.import_module(module)
        settle_heap()
        # Messages, not call_from_thread: an app that is closing drops them.
        self.call_later(self._build_mode_screens)
        if self.preferences.keys:
            self.call_later(self._warn_of_unknown_key_ids)

    def _build_mode_screens(self) -> None:
        """Compose every mode's screen ahead, hidden, so that a first F2/F4/F5/F7 only
        shows it (a first switch built it: 0.3-0.7 s, against about 0.1 s later).
        Textual (pinned) builds a mode's screen only in `switch_mode`, through this same
        `_init_mode`; a screen built here is what that switch would have built. An app
        that is shutting down is closing its stacks one by one: adding one then breaks it."""
        if not self.is_running:
            return
        for mode in self.MODES:
            if mode != self.current_mode and mode not in self._screen_stacks:
                self._init_mode(mode)

    def _warn_of_unknown_key_ids(self) -> None:
        """A misspelt id under [keys] would be ignored without a word: name it. Every
        binding id is known once the screens' modules are imported."""
        from textual.dom import DOMNode

        known: set[str] = set()
        classes: list[type] = [DOMNode]
        while classes:
            cls = classes.pop()
            classes.extend(cls.__subclasses__())
            known.update(b.id for b in getattr(cls, "BINDINGS", ()) if isinstance(b, Binding) and b.id)
        unknown = sorted(set(self.preferences.keys) - known)
        if unknown:
            self.notify(f"[keys]: no binding has the id {', '.join(repr(i) for i in unknown)}; F1 lists the ids.",
                        title="Config", severity="warning", timeout=15)

    # connection ----------------------------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def open_connection(self) -> None:
        try:
            connection = await self._connect()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the app stays up
            self.post_message(ServiceFailed(str(exc)))
            return
        self.post_message(ServiceConnected(connection))

    async def use_connection(self, connect: ConnectionFactory) -> None:
        """Switch profile: close the old connection, forget its data, open the new one."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
        old = self.connection
        self._forget_connection()
        self.connection_label = "Connecting…"
        if old is not None:
            # In the background: a busy or dead old service never holds up the new profile.
            self.run_worker(old.close(), group="close-connection", exit_on_error=False)
        self._connect = connect
        self.open_connection()

    @property
    def accounts(self) -> Accounts:
        """Profiles and tokens, one for the run: a token kept in memory lives as long as it."""
        if self._accounts is None:
            from tui.accounts import Accounts

            self._accounts = Accounts()
        return self._accounts

    def switch_profile(self, profile_name: str | None) -> None:
        """Connect to a profile (None: the embedded local simulator)."""
        self.run_worker(
            self.use_connection(default_connection_factory(profile_name, self.accounts.tokens, profile_name is None)),
            group="connect", exit_on_error=False,
        )

    async def disconnect(self) -> None:
        """Forget the current connection without closing it (its owner closes it)."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self.workers.cancel_group(self, "poll")
        self._forget_connection()
        self.connection_label = LOGGED_OUT

    def _forget_connection(self) -> None:
        """No connection, and nothing of the old profile's (jobs, backends, sessions) kept."""
        self.connection, self.scheduler, self.workspace = None, None, None
        self.backends, self.selected_backend, self.jobs_snapshot, self.sessions = (), None, None, {}
        self.jobs_stale_since = None

    def on_service_connected(self, message: ServiceConnected) -> None:
        from tui.scheduler import Scheduler
        from tui.workspace import Workspace

        connection = message.connection
        self.connection = connection
        self.workspace = Workspace(connection)
        self.connection_label = connection.description
        self.sub_title = "local simulator" if connection.is_local else connection.profile_name
        self.scheduler = Scheduler.for_workspace(self.workspace)
        self.scheduler.jobs.intervals.active = self.preferences.poll_seconds
        if connection.local_service is not None:
            connection.local_service.on_restart = self._local_service_restarted
        self.load_backends()
        self.poll()

    def _local_service_restarted(self, text: str) -> None:
        self.notify(text, title="Local service", severity="warning", timeout=10)
        self.poll()

    def on_service_failed(self, message: ServiceFailed) -> None:
        self.connection_label = f"Not connected: {message.reason}"
        self.notify(message.reason, title="Cannot connect", severity="error", timeout=15)

    def _not_connected(self) -> ApiError:
        if self.connection_label == LOGGED_OUT:
            return ApiError("Logged out: press F6 and pick a profile (or the embedded service) first.")
        return ApiError("Not connected yet; wait for the service to come up.")

    def require_connection(self) -> Connection:
        if self.connection is None:
            raise self._not_connected()
        return self.connection

    def require_client(self) -> RuntimeClient:
        return self.require_connection().client

    def require_workspace(self) -> Workspace:
        if self.workspace is None:
            raise self._not_connected()
        return self.workspace

    # backends ------------------------------------------------------------------------

    @work(exclusive=True, group="backends", exit_on_error=False)
    async def load_backends(self) -> None:
        self.post_message(BackendsLoaded(await self.require_workspace().backends()))

    def watch_selected_backend(self, backend: str | None) -> None:
        if backend is not None and self.workspace is not None:
            self.prepare_backend(backend)

    @work(exclusive=True, group="prepare", exit_on_error=False)
    async def prepare_backend(self, backend: str) -> None:
        """The picked backend's Target and qiskit's transpiler, ready before the first Ctrl+T;
        a failure here is only a missed head start (the transpile reports its own)."""
        workspace = self.workspace
        if workspace is not None:
            try:
                await workspace.prepare_transpile(backend)
            except Exception:  # noqa: BLE001 - the transpile itself will say what is wrong
                pass

    def on_backends_loaded(self, message: BackendsLoaded) -> None:
        if not self._screens_prepared:  # after the first screen has what it waited for
            self._screens_prepared = True
            self.call_after_refresh(self.prepare_screens)
        self.backends = tuple(message.backends)
        names = {backend.name for backend in message.backends}
        if message.backends and self.selected_backend not in names:
            self.selected_backend = (
                PREFERRED_BACKEND if PREFERRED_BACKEND in names else least_busy(message.backends).name
            )

    # jobs ----------------------------------------------------------------------------

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self) -> None:
        """One cycle of the scheduler now (jobs, and sessions if due), then the next on
        its timer: the one poll loop of the app."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
        scheduler = self.scheduler
        if scheduler is None:
            return
        refresh = await scheduler.cycle()
        if isinstance(refresh.jobs_error, Unauthorized):
            self.call_later(self.key_refused, refresh.jobs_error)
            return  # no retrying a refused key: logging in again starts polling anew
        if refresh.jobs is None:
            self.post_message(JobsRefreshFailed(str(refresh.jobs_error)))
        else:
            self.post_message(JobsRefreshed(refresh.jobs))
        if refresh.sessions is not None:
            self.post_message(SessionsLoaded(refresh.sessions))
        if not self.polling_paused:
            self._poll_timer = self.set_timer(scheduler.next_delay(), self.poll)

    def set_sessions_watched(self, watched: bool) -> None:
        """The sessions screen is (or is no longer) shown: sessions are read every few
        seconds while it is, and now."""
        if self.scheduler is not None:
            self.scheduler.sessions_watched = watched
            if watched:
                self.scheduler.sessions_changed()
                self.poll()

    def watch_polling_paused(self, paused: bool) -> None:
        if paused and self._poll_timer is not None:
            self._poll_timer.stop()
        elif not paused:
            self.poll()

    def set_poll_interval(self, seconds: float) -> float:
        from tui.preferences import POLL_FLOOR_SECONDS

        seconds = max(POLL_FLOOR_SECONDS, seconds)
        if self.scheduler is not None:
            self.scheduler.jobs.intervals.active = seconds
        return seconds

    def on_job_submitted(self, message: JobSubmitted) -> None:
        if self.scheduler is not None:
            self.scheduler.watch_job(message.job_id)
        if message.session is not None:
            self.remember_session(message.session)  # which polls now
        else:
            self.poll()

    def remember_session(self, session: Session) -> None:
        """A session opened or changed here: shown at once, read again at the next poll."""
        if self.scheduler is not None:
            self.scheduler.remember(session)
            self.poll()
        self.sessions = {**self.sessions, session.id: session}

    def session_changed(self) -> None:
        """A session was closed or cancelled here: read the sessions now."""
        if self.scheduler is not None:
            self.scheduler.sessions_changed()
            self.poll()

    def on_sessions_loaded(self, message: SessionsLoaded) -> None:
        if self.scheduler is not None:  # not a poll that ended after a log-out
            self.sessions = {session.id: session for session in message.sessions}

    def open_sessions_on(self, backend: str) -> list[Session]:
        """Sessions and batches on this backend that still take jobs."""
        return [
            s for s in self.sessions.values()
            if s.accepting_jobs and not s.is_closed and s.backend in (backend, "")
        ]

    def on_jobs_refreshed(self, message: JobsRefreshed) -> None:
        if self.scheduler is None:
            return  # a poll that ended after a log-out or a profile switch
        self.jobs_snapshot = message.snapshot
        self.jobs_stale_since = None
        for job in message.snapshot.newly_final:
            severity: Literal["information", "warning"] = "information" if job.status.succeeded else "warning"
            self.notify(f"Job {job.id} {job.status.lower()} on {job.backend}.", severity=severity)
            if self.preferences.bell:
                self.bell()

    def on_jobs_refresh_failed(self, message: JobsRefreshFailed) -> None:
        scheduler = self.scheduler
        self.jobs_stale_since = scheduler.jobs.stale_since if scheduler else None

    # screens -------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit at once, unless the editor holds edits not saved: then ask first."""
        if self.unsaved_edits is None:
            self.exit()
            return
        from screens.widgets.confirm_modal import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        if not isinstance(self.screen, ConfirmModal):
            self.push_screen(ConfirmModal(f"Quit, losing the unsaved edits to {self.unsaved_edits}?"), answered)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_login(self) -> None:
        from screens.login import LoginScreen

        if not isinstance(self.screen, LoginScreen):
            self.push_screen(LoginScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action that has a key is in the palette too, named after its screen, once
        however many keys it has."""
        yield from super().get_system_commands(screen)
        area = type(screen).__name__.removesuffix("Screen") or "App"
        found: dict[tuple[str, str, str], tuple[list[str], Binding, object]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in ("quit", "command_palette"):
                continue
            where = "App" if active.node is self else area
            keys, _, _ = found.setdefault((where, binding.description, binding.action), ([], binding, active.node))
            keys.append(self.get_key_display(binding))
        for (where, description, action), (keys, binding, node) in found.items():
            yield SystemCommand(
                f"{where}: {description}",
                f"{binding.tooltip or description} ({', '.join(dict.fromkeys(keys))})",
                lambda action=action, node=node: self.call_later(self.run_action, action, node),
            )

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen where one can be written, and say where (Textual's own
        aimed at ~/Downloads, which a fresh home over SSH does not have)."""
        import os
        from pathlib import Path

        from tui.config import data_dir

        candidates = [Path(path)] if path else [Path.home() / "Downloads", Path.cwd(), data_dir() / "screenshots"]
        for directory in candidates:
            if directory == candidates[-1]:  # qrt's own: made if need be
                try:
                    directory.mkdir(parents=True, exist_ok=True)
                except OSError:
                    continue
            if not directory.is_dir() or not os.access(directory, os.W_OK):
                continue
            try:
                saved = self.save_screenshot(filename, str(directory))
            except OSError:
                continue
            self.notify(f"Saved {Path(saved).resolve()}", title="Screenshot", timeout=8)
            return
        self.notify("No directory could take it: ~/Downloads, the current directory and qrt's "
                    "data dir are not writable.", title="Screenshot failed", severity="error")

    def on_resize(self, event: events.Resize) -> None:
        self.fit_to_terminal(event.size.width, event.size.height)

    def switch_mode(self, mode: str) -> AwaitMount:
        """Each mode has its own screens: the size notice follows into the new one (or
        leaves it), rather than waiting there for when the terminal was small."""
        mounted = super().switch_mode(mode)
        self.call_later(self.fit_to_terminal)
        return mounted

    def fit_to_terminal(self, width: int | None = None, height: int | None = None) -> None:
        """The size notice over the current screen while the terminal is under MIN_SIZE."""
        from screens.too_small import TooSmallScreen

        width, height = width or self.size.width, height or self.size.height
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen())
        elif not small and showing:
            self.pop_screen()

    # failures ------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_failure(event)

    def report_worker_failure(self, event: Worker.StateChanged) -> None:
        """Every worker failure ends here (screens forward theirs: the event does not
        bubble), as a notification rather than a crash."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, Unauthorized):
            self.key_refused(error)
        elif isinstance(error, ApiError):
            self.notify(str(error), title="Service", severity="error", timeout=10)
        else:
            self.notify(f"{type(error).__name__}: {error}", title="Unexpected error", severity="error")

    def key_refused(self, error: Unauthorized) -> None:
        """The service refused this connection's key: said once, in the top bar and in one
        notification, rather than as stale data retried forever."""
        connection = self.connection
        if connection is None or self._refused_connection is connection:
            return
        self._refused_connection = connection
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self.connection_label = f"{connection.profile_name} · KEY REFUSED: press F6 to log in again"
        self.notify(f"{error.message} Press F6 to log in again.", title="Not authorized", severity="error", timeout=15)

    def _fatal_error(self) -> None:
        """Textual prints crash tracebacks with local variables, where a token could be;
        qrt's show none."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        if self.connection is not None:
            await self.connection.close()


def least_busy(backends: Iterable[Backend]) -> Backend:
    return min(backends, key=lambda b: (b.status != "online", b.queue_length, b.name))


def default_connection_factory(
    profile_name: str | None = None, tokens: TokenStore | None = None, embedded: bool = False
) -> ConnectionFactory:
    """The chosen (or default) profile; with no account configured, or when asked, the
    embedded service (`tui.workspace.connect`)."""
    from tui.workspace import connect

    return lambda: connect(profile_name, embedded=embedded, tokens=tokens)


def keep_secrets_out_of_textual_log() -> None:
    """Textual writes every event and message it dispatches to `TEXTUAL_LOG`: each key and
    paste typed into the API key field, and that field's `Input.Changed(value=...)`, once
    put the key in the log a dozen times. Those entries are replaced by a placeholder for
    any password field; the rest of the log is as Textual writes it."""
    import textual
    from textual import constants, events
    from textual._context import active_app
    from textual.widgets import Input

    if getattr(textual.Logger.__call__, "keeps_secrets", False):
        return
    write = textual.Logger.__call__

    def holds_secret(value: object) -> bool:
        field = getattr(value, "input", None)  # Input.Changed, Submitted, Blurred carry the value
        if isinstance(field, Input):
            return bool(field.password)
        if isinstance(value, (events.Key, events.Paste)):
            try:
                focused = active_app.get().focused
            except LookupError:
                return True
            return isinstance(focused, Input) and focused.password
        return False

    def read_by_someone() -> bool:
        """A log file, debug printing or a devtools console: else Textual writes nowhere,
        and every dispatched message (the hot path) goes straight through."""
        if constants.LOG_FILE or constants.DEBUG:
            return True
        app = active_app.get(None)
        return app is not None and app._is_devtools_connected

    def call(self: textual.Logger, *args: object, **kwargs: object) -> None:
        if read_by_someone() and any(holds_secret(arg) for arg in args):
            args = tuple("<input to a password field, not logged>" if holds_secret(a) else a for a in args)
        write(self, *args, **kwargs)

    call.keeps_secrets = True  # type: ignore[attr-defined]
    textual.Logger.__call__ = call  # type: ignore[method-assign]


def run_app(profile_name: str | None = None) -> int:
    keep_secrets_out_of_textual_log()
    app = QrtApp(lambda: default_connection_factory(profile_name, app.accounts.tokens)(), load_preferences())
    app.run()
    return app.return_code or 0  # an error that ended the app ends it with a failure status
