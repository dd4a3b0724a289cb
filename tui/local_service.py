"""Starting, supervising and stopping the embedded `qrt serve` child process.

The app talks to it over HTTP exactly as to IBM. The API key is random per run and passed
in the environment, not on the command line, where other users of a shared login node
could read it with ps.

The child dies with the app whatever ends the app: it asks the kernel for SIGTERM when the
app goes (`--stop-on-stdin-eof` turns on `PR_SET_PDEATHSIG`), and it also stops when its
stdin, a pipe only the app holds, closes. If the child dies while the app runs, it is
started again on the same data dir, port and key, so the client and the job monitor go on
by themselves (jobs live in SQLite and survive); the app is told once per restart.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tui.api.auth import Secret
from tui.local_defaults import API_KEY_ENV, LOCAL_INSTANCE, READY_PREFIX, RENDEZVOUS_FILE

STARTUP_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 0.8
RESTART_DELAYS_SECONDS = (0.0, 1.0, 2.0, 5.0, 10.0)


class LocalServiceError(RuntimeError):
    pass


class DataDirInUse(LocalServiceError):
    """Another `qrt serve` runs on the data dir (exit code 3): reuse it, or wait for it."""


DATA_DIR_IN_USE_EXIT = 3


async def _spawn(data_dir: Path, api_key: str, port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui", "serve", "--port", str(port), "--data-dir", str(data_dir),
        "--instance", LOCAL_INSTANCE, "--stop-on-stdin-eof", "--rendezvous",
        # Never written to: when the app exits or dies, the pipe closes and the service stops.
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, API_KEY_ENV: api_key},
        start_new_session=True,  # Ctrl+C in the terminal goes to the app, not the child
    )


async def _started(process: asyncio.subprocess.Process, timeout: float) -> str:
    """The URL the child announces; kills it and raises LocalServiceError if it does not."""
    try:
        return await asyncio.wait_for(_read_url(process), timeout)
    except DataDirInUse:
        await process.wait()
        raise
    except (TimeoutError, LocalServiceError) as exc:
        stderr = await _drain(process)
        if process.returncode is None:
            process.kill()
        await process.wait()
        reason = "it did not start in time" if isinstance(exc, asyncio.TimeoutError) else str(exc)
        raise LocalServiceError(f"The local service failed: {reason}. {stderr}".strip()) from None


@dataclass
class LocalService:
    """A running `qrt serve` child: its URL, key and process, restarted if it dies."""

    url: str
    api_key: Secret
    instance: str
    process: asyncio.subprocess.Process
    data_dir: Path
    # Told, in the app's event loop, each time the child died and what came of restarting it.
    on_restart: Callable[[str], None] = lambda text: None
    restarts: int = 0
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _supervisor: asyncio.Task[None] | None = None
    _stopping: bool = False

    @classmethod
    async def start(
        cls, data_dir: Path, timeout: float = STARTUP_TIMEOUT_SECONDS
    ) -> LocalService:
        api_key = secrets.token_urlsafe(24)
        process = await _spawn(data_dir, api_key, 0)
        url = await _started(process, timeout)
        service = cls(url, Secret(api_key), LOCAL_INSTANCE, process, data_dir)
        service._watch_output()
        service._supervisor = asyncio.create_task(service._supervise(), name="qrt-local-service")
        return service

    def _watch_output(self) -> None:
        self._readers = [
            asyncio.create_task(_discard(stream)) for stream in (self.process.stdout, self.process.stderr)
        ]

    async def _supervise(self) -> None:
        while True:
            code = await self.process.wait()
            if self._stopping:
                return
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
            await asyncio.gather(*self._readers, return_exceptions=True)
            if await self._restart():
                self.restarts += 1
                self.on_restart(
                    f"The local service stopped ({how}); it was started again on the same "
                    "data, and its jobs are kept."
                )
            else:
                self.on_restart(
                    f"The local service stopped ({how}) and could not be started again; "
                    "switch profile (F6) to try once more."
                )
                return

    async def _restart(self) -> bool:
        """The same port and key, so the client and its tokens go on working unchanged."""
        port = urlsplit(self.url).port or 0
        for delay in RESTART_DELAYS_SECONDS:
            await asyncio.sleep(delay)
            if self._stopping:
                return False
            process = await _spawn(self.data_dir, self.api_key.reveal(), port)
            try:
                await _started(process, STARTUP_TIMEOUT_SECONDS)
            except LocalServiceError:
                continue
            self.process = process
            self._watch_output()
            return True
        return False

    async def stop(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        """Ask the child to stop, and kill it if it has not within `timeout`: the app's
        exit and a profile switch never wait on a busy service."""
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.returncode is None:
            try:
                self.process.terminate()
                await asyncio.wait_for(self.process.wait(), timeout)
            except ProcessLookupError:
                pass
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def running_embedded(data_dir: Path) -> tuple[str, Secret] | None:
    """The URL and key of the embedded service already running on `data_dir` (the app's,
    or another command's), from its rendezvous file; None if there is none alive."""
    import json

    try:
        found = json.loads((data_dir / RENDEZVOUS_FILE).read_text())
        url, pid, key = str(found["url"]), int(found["pid"]), str(found["api_key"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url, Secret(key)


async def _read_url(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    while True:
        line = await process.stdout.readline()
        if not line:
            code = await process.wait()
            if code == DATA_DIR_IN_USE_EXIT:
                raise DataDirInUse("another qrt serve is running on its data dir")
            raise LocalServiceError(f"it exited with code {code}")
        text = line.decode(errors="replace").strip()
        if text.startswith(READY_PREFIX):
            return text.removeprefix(READY_PREFIX)


async def _drain(process: asyncio.subprocess.Process) -> str:
    if process.stderr is None:
        return ""
    try:
        data = await asyncio.wait_for(process.stderr.read(4000), 1.0)
    except TimeoutError:
        return ""
    return data.decode(errors="replace").strip().splitlines()[-1] if data.strip() else ""


async def _discard(stream: asyncio.StreamReader | None) -> None:
    """Keep reading the child's output so that a full pipe never blocks it."""
    if stream is None:
        return
    while await stream.read(65536):
        pass
