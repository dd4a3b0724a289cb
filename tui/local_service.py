"""Starting and stopping the embedded `qrt serve` child process.

The app talks to it over HTTP exactly as to IBM. The API key is random per run and passed
in the environment, not on the command line, where other users of a shared login node
could read it with ps.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tui.api.auth import Secret
from tui.local_defaults import API_KEY_ENV, LOCAL_INSTANCE, READY_PREFIX

STARTUP_TIMEOUT_SECONDS = 60.0


class LocalServiceError(RuntimeError):
    pass


@dataclass
class LocalService:
    """A running `qrt serve` child: its URL, key and process."""

    url: str
    api_key: Secret
    instance: str
    process: asyncio.subprocess.Process
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def start(
        cls, data_dir: Path, timeout: float = STARTUP_TIMEOUT_SECONDS
    ) -> LocalService:
        api_key = secrets.token_urlsafe(24)
        env = {**os.environ, API_KEY_ENV: api_key}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tui", "serve", "--port", "0", "--data-dir", str(data_dir),
            "--instance", LOCAL_INSTANCE, "--stop-on-stdin-eof",
            # Never written to: when the app exits or dies, the pipe closes and the service stops.
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # Ctrl+C in the terminal goes to the app, not the child
        )
        try:
            url = await asyncio.wait_for(cls._read_url(process), timeout)
        except (asyncio.TimeoutError, LocalServiceError) as exc:
            stderr = await _drain(process)
            process.kill()
            await process.wait()
            reason = "it did not start in time" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            raise LocalServiceError(f"The local service failed: {reason}. {stderr}".strip()) from None
        readers = [asyncio.create_task(_discard(stream)) for stream in (process.stdout, process.stderr)]
        return cls(url, Secret(api_key), LOCAL_INSTANCE, process, readers)

    @staticmethod
    async def _read_url(process: asyncio.subprocess.Process) -> str:
        assert process.stdout is not None
        while True:
            line = await process.stdout.readline()
            if not line:
                raise LocalServiceError(f"it exited with code {await process.wait()}")
            text = line.decode(errors="replace").strip()
            if text.startswith(READY_PREFIX):
                return text.removeprefix(READY_PREFIX)

    async def stop(self, timeout: float = 5.0) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def _drain(process: asyncio.subprocess.Process) -> str:
    if process.stderr is None:
        return ""
    try:
        data = await asyncio.wait_for(process.stderr.read(4000), 1.0)
    except asyncio.TimeoutError:
        return ""
    return data.decode(errors="replace").strip().splitlines()[-1] if data.strip() else ""


async def _discard(stream: asyncio.StreamReader | None) -> None:
    """Keep reading the child's output so that a full pipe never blocks it."""
    if stream is None:
        return
    while await stream.read(65536):
        pass
