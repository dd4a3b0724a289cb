"""Simulator processes under supervision: one call at a time each, and killable at once.

`concurrent.futures.ProcessPoolExecutor` could not stop one running job (a cancelled job
ran on to its end and held its backend), and one dead worker broke the whole pool
(`BrokenProcessPool` failed the jobs of the healthy workers too). Here every worker is a
process of its own on a pipe of its own:

- stopping a call kills its process (SIGKILL) and a warm spare takes its place, so the
  next call does not wait for an interpreter and qiskit to load;
- a process that dies fails only the call it was making, and says how it died;
- each dies with the service, whatever kills the service: the kernel sends it SIGKILL when
  the thread that started it goes (`PR_SET_PDEATHSIG`), which is why one long-lived
  spawner thread starts them all, and it also exits when its pipe closes;
- each runs niced, under a cap on its data memory (`RLIMIT_DATA`), so one job can neither
  take the login node's memory nor crowd out other users' work.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

log = logging.getLogger("qrt.serve")

_PR_SET_PDEATHSIG = 1
_READY = "ready"
READY_TIMEOUT_SECONDS = 180.0


@dataclass(frozen=True)
class WorkerLimits:
    """What each worker process may use: data memory above its warm state, and priority."""

    memory_mib: int | None = None
    nice: int = 10


class WorkerDied(Exception):
    """The process ended during a call: killed on purpose, by a signal, or out of memory."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


class WorkerTimedOut(Exception):
    pass


class WorkerUnavailable(Exception):
    """No worker became free in time, or the pool is stopping."""


def die_with_parent(signal_number: int = signal.SIGKILL) -> None:
    """Ask the kernel for `signal_number` when the parent (the thread that forked us) ends.

    Linux only; elsewhere the pipe and the parent-pid check below are what remain.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal_number, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent or parent == 1:  # the parent went before the request took hold
        os._exit(0)


def _data_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_main(
    connection: Connection, initializer: Callable[[], None] | None, limits: WorkerLimits
) -> None:
    die_with_parent()
    if limits.nice:
        try:
            os.nice(limits.nice)
        except OSError:
            pass
    if initializer is not None:
        initializer()
    if limits.memory_mib:
        # Counted from the warm state, so the budget is what a call may add.
        cap = int((_data_mib() + limits.memory_mib) * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, resource.RLIM_INFINITY))
    connection.send(_READY)
    while True:
        try:
            function, arguments = connection.recv()
        except (EOFError, OSError):
            os._exit(0)  # the service is gone
        try:
            answer: tuple[str, Any] = ("ok", function(*arguments))
        except MemoryError:
            answer = ("memory", None)
        except Exception as exc:  # noqa: BLE001 - raised again in the caller
            answer = ("raise", exc)
        try:
            connection.send(answer)
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
            connection.send(("raise", RuntimeError(f"{type(exc).__name__}: {exc}")))


class Worker:
    """One spawned process and its end of the pipe."""

    def __init__(
        self,
        name: str,
        initializer: Callable[[], None] | None,
        limits: WorkerLimits,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe(duplex=True)
        self._child_end: Connection | None = child_end
        self.process = context.Process(
            target=_worker_main, args=(child_end, initializer, limits), name=name, daemon=True
        )
        self.limits = limits

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def start(self) -> None:
        self.process.start()
        assert self._child_end is not None
        self._child_end.close()
        self._child_end = None

    def wait_ready(self, timeout: float) -> bool:
        ready = wait([self._connection, self.process.sentinel], timeout)
        if self._connection not in ready:
            return False
        try:
            return self._connection.recv() == _READY
        except (EOFError, OSError):
            return False

    def call(self, function: Callable[..., Any], *arguments: Any, timeout: float | None) -> Any:
        """`function(*arguments)` in the process: its value, or its exception raised here;
        WorkerDied or WorkerTimedOut (after killing it) when it did not answer."""
        try:
            self._connection.send((function, arguments))
        except (OSError, ValueError):
            raise WorkerDied(self.how_it_ended()) from None
        ready = wait([self._connection, self.process.sentinel], timeout)
        if not ready:
            self.kill()
            raise WorkerTimedOut()
        if self._connection in ready:
            try:
                kind, value = self._connection.recv()
            except (EOFError, OSError):
                raise WorkerDied(self.how_it_ended()) from None
            if kind == "ok":
                return value
            if kind == "memory":
                raise WorkerDied(self._out_of_memory())
            raise value
        raise WorkerDied(self.how_it_ended())

    def _out_of_memory(self) -> str:
        return (
            f"the simulation needed more memory than a simulator process may use "
            f"({self.limits.memory_mib} MiB)"
        )

    def how_it_ended(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is None:
            return "the simulator process stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            if -code in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS) and self.limits.memory_mib:
                return f"the simulator process crashed ({name}), most likely out of memory: " + (
                    self._out_of_memory()
                )
            return f"the simulator process was killed ({name})"
        return f"the simulator process exited with code {code}"

    def kill(self) -> None:
        if self.process.pid is not None and self.process.exitcode is None:
            try:
                os.kill(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        self.kill()
        if self.process.pid is not None:
            self.process.join(timeout=2.0)
        try:
            self._connection.close()
        except OSError:
            pass  # closed already, by the pool's shutdown or its spawner


class WorkerPool:
    """`size` processes kept warm, plus `spares`, so a killed one is replaced at once.

    `lazy` pools start their processes on the first `acquire`, for services that may
    never need them (the transpiler's).
    """

    def __init__(
        self,
        name: str,
        size: int,
        *,
        initializer: Callable[[], None] | None = None,
        limits: WorkerLimits = WorkerLimits(),
        spares: int = 0,
        lazy: bool = False,
    ) -> None:
        self._name = name
        self._target = max(1, size) + max(0, spares)
        self._initializer = initializer
        self._limits = limits
        self._lazy = lazy
        # Last in, first out: the warmest worker (its caches hold the last jobs' devices) goes first.
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._spawn_requests: queue.Queue[bool] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[Worker] = set()
        self._requested = 0
        self._stopping = False
        self._spawner = threading.Thread(target=self._spawn_loop, name=f"{name}-spawner", daemon=True)
        self._spawner.start()
        if not lazy:
            self._top_up()

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [worker.pid for worker in self._workers if worker.pid is not None]

    def _top_up(self) -> None:
        with self._lock:
            missing = self._target - len(self._workers) - self._requested
            self._requested += max(0, missing)
        for _ in range(max(0, missing)):
            self._spawn_requests.put(True)

    def _spawn_loop(self) -> None:
        """The only thread that starts workers: their parent-death signal is tied to it."""
        serial = 0
        while self._spawn_requests.get() and not self._stopping:
            serial += 1
            worker = Worker(f"{self._name}-{serial}", self._initializer, self._limits)
            with self._lock:
                self._requested -= 1
                if self._stopping:
                    return
                self._workers.add(worker)
            try:
                worker.start()
                ready = worker.wait_ready(READY_TIMEOUT_SECONDS)
            except OSError as exc:
                log.warning("%s: could not start a worker: %s", self._name, exc)
                ready = False
            if self._stopping:
                worker.close()
                return
            if ready:
                self._idle.put(worker)
                continue
            log.warning("%s: a worker did not start (%s)", self._name, worker.how_it_ended())
            self._forget(worker)
            time.sleep(1.0)
            self._top_up()

    def acquire(self, timeout: float | None = None) -> Worker | None:
        """A warm idle worker, waiting for one to start if need be; None on timeout or stop."""
        if self._lazy:
            self._top_up()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopping:
            remaining = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if remaining <= 0:
                return None
            try:
                worker = self._idle.get(timeout=remaining)
            except queue.Empty:
                continue
            if worker.process.exitcode is None:
                return worker
            self.discard(worker)  # died while idle
        return None

    def call(
        self, function: Callable[..., Any], *arguments: Any, timeout: float | None,
        wait_for_worker: float | None = None,
    ) -> Any:
        """`function(*arguments)` on a worker of the pool, which goes back to the pool if
        it answered (a value or the function's own exception) and is replaced if it died
        or ran out of time (WorkerDied, WorkerTimedOut); WorkerUnavailable if none came."""
        worker = self.acquire(wait_for_worker)
        if worker is None:
            raise WorkerUnavailable()
        try:
            value = worker.call(function, *arguments, timeout=timeout)
        except (WorkerDied, WorkerTimedOut):
            self.discard(worker)
            raise
        except BaseException:
            self.release(worker)
            raise
        self.release(worker)
        return value

    def release(self, worker: Worker, recycle: bool = False) -> None:
        """Back to the idle workers, or replaced by a fresh one if it holds too much memory."""
        if recycle or self._stopping or worker.process.exitcode is not None:
            self.discard(worker)
        else:
            self._idle.put(worker)

    def discard(self, worker: Worker) -> None:
        worker.kill()
        self._forget(worker)
        threading.Thread(target=worker.close, daemon=True).start()  # reap it
        if not self._stopping:
            self._top_up()

    def _forget(self, worker: Worker) -> None:
        with self._lock:
            self._workers.discard(worker)

    def shutdown(self) -> None:
        """Kill every worker now: a running call is abandoned, not waited for."""
        self._stopping = True
        self._spawn_requests.put(False)
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.close()
