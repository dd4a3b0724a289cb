"""Helpers for Pilot tests of the app: its size, fast polling, waiting on a condition."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from tui.connection import Connection
from tui.preferences import Preferences

SIZE = (100, 30)


FAST_POLLING = Preferences(poll_seconds=0.5)


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            app = pilot.app
            state = f"connection: {getattr(app, 'connection_label', '?')}; notifications: " + " | ".join(
                f"{n.title}: {n.message}" for n in app._notifications)
            raise AssertionError(f"timed out after {timeout}s waiting for {what} ({state})")
        await pilot.pause(0.05)


async def never_connects() -> Connection:
    import asyncio

    await asyncio.sleep(3600)
    raise AssertionError("unreachable")
