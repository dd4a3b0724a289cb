"""QrtApp: startup wiring, global bindings, and the one place worker failures are reported."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from tui.api.errors import ApiError
from tui.messages import ServiceConnected, ServiceFailed

if TYPE_CHECKING:
    from tui.api.client import RuntimeClient
    from tui.connection import Connection

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"

ConnectionFactory = Callable[[], Awaitable["Connection"]]


class QrtApp(App[None]):
    TITLE = "qrt"
    SUB_TITLE = "IBM Quantum console"
    CSS_PATH = [STYLES_DIR / "app.tcss"]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True)]

    def __init__(self, connect: ConnectionFactory) -> None:
        super().__init__()
        self._connect = connect
        self.connection: Connection | None = None

    def on_mount(self) -> None:
        from screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.open_connection()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def open_connection(self) -> None:
        try:
            connection = await self._connect()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the app stays up
            self.post_message(ServiceFailed(str(exc)))
            return
        self.post_message(ServiceConnected(connection))

    def on_service_connected(self, message: ServiceConnected) -> None:
        self.connection = message.connection
        self.sub_title = "local simulator" if message.connection.is_local else message.connection.profile_name
        screen = self.screen
        if hasattr(screen, "service_ready"):
            screen.service_ready()

    def on_service_failed(self, message: ServiceFailed) -> None:
        self.notify(message.reason, title="Cannot connect", severity="error", timeout=15)
        screen = self.screen
        if hasattr(screen, "service_failed"):
            screen.service_failed(message.reason)

    def require_client(self) -> RuntimeClient:
        if self.connection is None:
            raise ApiError("Not connected yet; wait for the service to come up.")
        return self.connection.client

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure ends here, as a notification rather than a crash."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, ApiError):
            self.notify(str(error), title="Service", severity="error", timeout=10)
        else:
            self.notify(f"{type(error).__name__}: {error}", title="Unexpected error", severity="error")

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


def default_connection_factory(profile_name: str | None = None) -> ConnectionFactory:
    """The chosen (or default) profile; with no account configured, the embedded service."""
    from tui.config import data_dir, load_settings
    from tui.connection import ProfileError, connect_profile, start_embedded_service
    from tui.credentials import TokenStore

    async def connect() -> Connection:
        settings = load_settings()
        profile = settings.profile(profile_name)
        if profile is None:
            if profile_name:
                raise ProfileError(f"There is no profile named '{profile_name}'.")
            return await start_embedded_service(data_dir() / "serve")
        return await connect_profile(profile, TokenStore())

    return connect


def run_app(profile_name: str | None = None) -> int:
    QrtApp(default_connection_factory(profile_name)).run()
    return 0
