"""Moves queued jobs from the store into a pool of worker processes and back.

Like a device, each backend runs one job at a time, in order (see Store.next_runnable_jobs);
different backends run side by side, as many as there are workers.

A thread, not asyncio: it waits on a condition that submissions and finished jobs signal,
so an idle service costs nothing and a new job starts at once. Workers are spawned (not
forked) because the service process has threads of its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tui.server.backends import Catalogue
from tui.server.executor import JobOutcome, JobSpec, run_job, warm_up
from tui.server.store import JobRecord, Store, utc_now

log = logging.getLogger("qrt.serve")
PARSED_PUBS_KEPT = 64


class JobScheduler:
    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        workers: int,
        on_job_started: Callable[[Store, JobRecord], None] = lambda store, job: None,
        on_job_finished: Callable[[Store, str | None], None] = lambda store, session_id: None,
        is_held: Callable[[], bool] = lambda: False,
    ) -> None:
        self._is_held = is_held
        self._store = store
        self._on_job_started = on_job_started
        self._on_job_finished = on_job_finished
        self._catalogue = catalogue
        self._workers = max(1, workers)
        self._wakeup = threading.Condition()
        self._in_flight: dict[str, Future[JobOutcome]] = {}
        self._parsed_pubs: OrderedDict[str, list[Any]] = OrderedDict()
        self._stopping = False
        self._pool: ProcessPoolExecutor | None = None
        self._thread = threading.Thread(target=self._run, name="qrt-scheduler", daemon=True)

    def start(self) -> None:
        requeued = self._store.requeue_interrupted_jobs()
        if requeued:
            log.info("re-queued %d job(s) interrupted by the last shutdown", requeued)
        self._pool = self._new_pool()
        self._pool.submit(int)  # spawns the workers now, so they warm up before the first job
        self._thread.start()

    def stop(self) -> None:
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify_all()
        self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def hand_over_pubs(self, job_id: str, pubs: list[Any]) -> None:
        """Keep the pubs parsed at submission for the worker, which then skips parsing.

        Only the newest few are kept (a job cancelled while queued never collects its
        pubs); a job without them is parsed again in the worker, as after a restart.
        """
        with self._wakeup:
            self._parsed_pubs[job_id] = pubs
            while len(self._parsed_pubs) > PARSED_PUBS_KEPT:
                self._parsed_pubs.popitem(last=False)

    def notify(self) -> None:
        """A job was submitted or cancelled: look at the queue again."""
        with self._wakeup:
            self._wakeup.notify_all()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_up,
        )

    def _run(self) -> None:
        while True:
            with self._wakeup:
                if self._stopping:
                    return
                free_slots = 0 if self._is_held() else self._workers - len(self._in_flight)
                queued = self._store.next_runnable_jobs(free_slots)
                if not queued:
                    self._wakeup.wait(timeout=1.0)
                    continue
            for job in queued:
                self._dispatch(job)

    def _dispatch(self, job: JobRecord) -> None:
        with self._wakeup:
            parsed_pubs = self._parsed_pubs.pop(job.id, None)
        device = self._catalogue.get(job.backend)
        if device is None:
            self._store.mark_running(job.id)
            self._store.finish_job(
                job.id, status="Failed", result=f"Job failed: unknown backend {job.backend}",
                reason=f"unknown backend {job.backend}",
            )
            return
        if not self._store.mark_running(job.id):
            return
        self._on_job_started(self._store, job)
        spec = JobSpec(
            job_id=job.id,
            program=job.program,
            params=job.params,
            conf_file=str(device.conf_file),
            props_file=str(device.props_file) if device.props_file else None,
            support_qiskit=job.support_qiskit,
            pubs=parsed_pubs,
        )
        assert self._pool is not None
        try:
            future = self._pool.submit(run_job, spec)
        except BrokenProcessPool:
            self._pool = self._new_pool()
            future = self._pool.submit(run_job, spec)
        with self._wakeup:
            self._in_flight[job.id] = future
        future.add_done_callback(lambda done, job=job: self._finished(job, done))

    def _finished(self, job: JobRecord, future: Future[JobOutcome]) -> None:
        try:
            outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - a crashed worker fails only its job
            outcome = JobOutcome(
                "Failed", f"Job failed: the worker process stopped ({exc})",
                reason=f"the worker process stopped ({type(exc).__name__})",
            )
        log_text = "".join(f"{utc_now()} {line}\n" for line in outcome.log_lines)
        self._store.finish_job(
            job.id,
            status=outcome.status,
            result=outcome.result,
            reason=outcome.reason,
            reason_code=1517 if outcome.status == "Failed" else None,
            execution_ns=outcome.execution_ns,
            log_line=log_text,
        )
        self._on_job_finished(self._store, job.session_id)
        with self._wakeup:
            self._in_flight.pop(job.id, None)
            self._wakeup.notify_all()
