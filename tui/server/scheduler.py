"""Moves queued jobs from the store onto supervised worker processes, and stops them.

Like a device, each backend runs one job at a time, in order (see Store.next_runnable_jobs);
different backends run side by side, as many as there are workers.

A thread, not asyncio: it waits on a condition that submissions, cancellations and
finished jobs signal, so an idle service costs nothing and a new job starts at once. Each
running job has a thread of its own that waits on its worker (`tui.server.workers`).

A running job is stopped by killing its worker, never by a flag it would read after its
simulation: whenever the scheduler wakes, any job in flight that the store no longer says
is Running (cancelled, its session cancelled, deleted) loses its process, and a warm
spare takes the next job at once. A job past its time limit (IBM's `max_execution_time`,
sent as `cost`, within the service's own cap) is stopped the same way, with IBM's reason.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tui.server.backends import Catalogue
from tui.server.job_worker import JobOutcome, JobSpec, run_job, warm_up
from tui.server.store import JobRecord, Store, utc_now
from tui.server.workers import Worker, WorkerDied, WorkerLimits, WorkerPool, WorkerTimedOut

log = logging.getLogger("qrt.serve")
DEFAULT_LIMITS = WorkerLimits()
FAILED_CODE = 1517
RAN_TOO_LONG_CODE = 1305  # the official client raises RuntimeJobMaxTimeoutError for it
DEFAULT_TIME_LIMIT_SECONDS = 600  # IBM's default `cost` when a job names none
# A worker that grew past this is replaced after its job, so a big job's memory goes back.
RECYCLE_ABOVE_MIB = 1024
STORAGE_RETRY_SECONDS = 1.0


@dataclass
class RunningJob:
    job: JobRecord
    time_limit: float
    stop_reason: str | None = None
    worker: Worker | None = None  # once it has one


class JobScheduler:
    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        workers: int,
        on_job_started: Callable[[Store, JobRecord], None] = lambda store, job: None,
        on_job_finished: Callable[[Store, str | None], None] = lambda store, session_id: None,
        is_held: Callable[[], bool] = lambda: False,
        limits: WorkerLimits = DEFAULT_LIMITS,
        max_job_seconds: float | None = None,
    ) -> None:
        self._is_held = is_held
        self._store = store
        self._on_job_started = on_job_started
        self._on_job_finished = on_job_finished
        self._catalogue = catalogue
        self._workers = max(1, workers)
        self._limits = limits
        self._max_job_seconds = max_job_seconds
        self._wakeup = threading.Condition()
        self._in_flight: dict[str, RunningJob] = {}
        self._stopping = False
        self._storage_failing = False
        self._pool: WorkerPool | None = None
        self._thread = threading.Thread(target=self._run, name="qrt-scheduler", daemon=True)

    @property
    def worker_pids(self) -> list[int]:
        return self._pool.pids if self._pool else []

    def start(self) -> None:
        requeued = self._store.requeue_interrupted_jobs()
        if requeued:
            log.info("re-queued %d job(s) interrupted by the last shutdown", requeued)
        # One spare beyond the busy workers: a stopped job's backend goes on at once.
        self._pool = WorkerPool(
            "qrt-simulator", self._workers, initializer=warm_up, limits=self._limits, spares=1
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop at once: running simulations are killed, and run again at the next start."""
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify_all()
        if self._pool is not None:
            self._pool.shutdown()
        self._thread.join(timeout=2)

    def notify(self) -> None:
        """A job was submitted, cancelled or deleted: look at the queue and the running jobs."""
        with self._wakeup:
            self._wakeup.notify_all()

    def _run(self) -> None:
        while True:
            try:
                with self._wakeup:
                    if self._stopping:
                        return
                    self._stop_jobs_no_longer_running()
                    free_slots = 0 if self._is_held() else self._workers - len(self._in_flight)
                    queued = self._store.next_runnable_jobs(free_slots)
                    if not queued:
                        self._wakeup.wait(timeout=1.0)
                        continue
                for job in queued:
                    self._dispatch(job)
            except sqlite3.Error as exc:  # a full disk or a failing one: wait, then go on
                self._storage_trouble(exc)
                time.sleep(STORAGE_RETRY_SECONDS)

    def _storage_trouble(self, exc: sqlite3.Error) -> None:
        """Say so once per spell of trouble, not once per retry."""
        if not self._storage_failing:
            self._storage_failing = True
            log.error("the job database cannot be written (%s); retrying until it can", exc)

    def _stop_jobs_no_longer_running(self) -> None:
        if not self._in_flight:
            return
        statuses = self._store.job_statuses(list(self._in_flight))
        for job_id, running in self._in_flight.items():
            status = statuses.get(job_id)
            if status != "Running" and running.stop_reason is None:
                running.stop_reason = f"job {status.lower() if status else 'deleted'}"
                if running.worker is not None:
                    running.worker.kill()
                    log.info("stopped the simulation of job %s (%s)", job_id, running.stop_reason)

    def _time_limit(self, job: JobRecord) -> float:
        limit = float(job.cost or DEFAULT_TIME_LIMIT_SECONDS)
        return min(limit, self._max_job_seconds) if self._max_job_seconds else limit

    def _dispatch(self, job: JobRecord) -> None:
        device = self._catalogue.get(job.backend)
        if device is None:
            self._store.mark_running(job.id)
            self._store.finish_job(
                job.id, status="Failed", result=f"Job failed: unknown backend {job.backend}",
                reason=f"unknown backend {job.backend}", reason_code=FAILED_CODE,
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
            memory_mib=self._limits.memory_mib,
            dry_run=device.is_mock,
            backend_name=device.name,
        )
        running = RunningJob(job, self._time_limit(job))
        with self._wakeup:
            self._in_flight[job.id] = running
        threading.Thread(
            target=self._run_on_worker, args=(running, spec), name=f"qrt-job-{job.id}", daemon=True
        ).start()

    def _run_on_worker(self, running: RunningJob, spec: JobSpec) -> None:
        outcome: JobOutcome | None = None
        try:
            outcome = self._outcome(running, spec)
        finally:
            with self._wakeup:
                self._in_flight.pop(running.job.id, None)
                self._wakeup.notify_all()
        if outcome is not None and not self._stopping:
            self._record(running.job, outcome)

    def _outcome(self, running: RunningJob, spec: JobSpec) -> JobOutcome | None:
        """What the job came to; None when it was stopped (its record already says so)."""
        assert self._pool is not None
        worker = self._pool.acquire()
        if worker is None:  # the service is stopping
            return None
        with self._wakeup:
            if running.stop_reason is not None:
                self._pool.release(worker)
                return None
            running.worker = worker
        self._store.append_log(running.job.id, f"running in simulator process {worker.pid}")
        try:
            outcome: JobOutcome = worker.call(run_job, spec, timeout=running.time_limit)
        except WorkerTimedOut:
            self._pool.discard(worker)
            limit = f"{running.time_limit:g}"
            return JobOutcome(
                "Cancelled",
                f"Job cancelled: it ran longer than its maximum execution time of {limit} s.",
                reason=f"Ran too long: the maximum execution time is {limit} s",
                reason_code=RAN_TOO_LONG_CODE,
                log_lines=[f"stopped after {limit} s, the job's maximum execution time"],
            )
        except WorkerDied as died:
            self._pool.discard(worker)
            if running.stop_reason is not None or self._stopping:
                return None
            log.warning("job %s: %s", running.job.id, died.how)
            return JobOutcome(
                "Failed", f"Job failed: {died.how}.", reason=died.how, log_lines=[died.how]
            )
        except Exception as exc:  # noqa: BLE001 - run_job never raises; a broken pipe might
            self._pool.discard(worker)
            reason = "the local simulator hit an internal error on this job"
            return JobOutcome("Failed", f"Job failed: {reason}.", reason=reason, log_lines=[f"{reason}: {exc}"])
        self._pool.release(worker, recycle=outcome.peak_rss_mib > RECYCLE_ABOVE_MIB)
        return outcome

    def _record(self, job: JobRecord, outcome: JobOutcome) -> None:
        """Store the outcome; on a full disk, fail the job with the reason (a few bytes
        where its result did not fit), and keep trying until one of the two is stored."""
        log_text = "".join(f"{utc_now()} {line}\n" for line in outcome.log_lines)
        no_room = "its result could not be stored: the service's disk is full"
        attempts = [
            dict(status=outcome.status, result=outcome.result, reason=outcome.reason,
                 reason_code=outcome.reason_code or (FAILED_CODE if outcome.status == "Failed" else None),
                 execution_ns=outcome.execution_ns, log_line=log_text),
            dict(status="Failed", result=f"Job failed: {no_room}.", reason=no_room,
                 reason_code=FAILED_CODE, log_line=f"{utc_now()} {no_room}\n"),
        ]
        while not self._stopping:
            for attempt in attempts:
                try:
                    self._store.finish_job(job.id, **attempt)  # type: ignore[arg-type]
                except sqlite3.Error as exc:
                    self._storage_trouble(exc)
                    continue
                if self._storage_failing:
                    self._storage_failing = False
                    log.warning("the job database can be written again")
                self._on_job_finished(self._store, job.session_id)
                return
            time.sleep(STORAGE_RETRY_SECONDS)
