"""The app's background threads: daemon threads, so that quitting never waits for them.

`asyncio.to_thread` and Textual's thread workers run on the event loop's default executor,
and `asyncio.run` waits for that executor's threads when the app ends: Ctrl+Q took a
second or more when a backend's Target (a second for 127 qubits) or qiskit's import was
being built in the background. Their work is computation only (nothing half-written is
left by abandoning it), so the app's loop gets an executor of daemon threads instead,
whose shutdown does not wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class DaemonThreadExecutor(ThreadPoolExecutor):
    """One daemon thread per call; `shutdown` never waits for them. (A ThreadPoolExecutor
    by type only, as asyncio's `set_default_executor` asks: none of its pool is used.)"""

    def __init__(self, name: str = "qrt-background") -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self._name = name
        self._shut = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._shut:
            raise RuntimeError("cannot schedule new work after shutdown")
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits it
                future.set_exception(exc)

        threading.Thread(target=run, name=self._name, daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shut = True


def settle_heap() -> None:
    """Take what is alive now out of the cyclic collector's sight (`gc.freeze`).

    qiskit's import and a 127-qubit Target leave a few million long-lived objects, and
    every full collection walks them all: a 100-300 ms pause that lands wherever the
    app happens to allocate, typically in the middle of drawing a screen. Called off the
    event loop once such a step is done (the collection before it takes its own pause
    there, while the user reads, not later while they wait)."""
    import gc

    gc.collect()
    gc.freeze()
