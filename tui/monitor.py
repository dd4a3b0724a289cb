"""JobMonitor: what the jobs list needs to stay live, in one or two requests per cycle.

The caller schedules the next poll when the last one finishes (`next_delay`): fast while
jobs are queued or running, slow when idle, backing off while the service is unreachable.
A failed poll keeps the last good jobs and says since when they are stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tui.api.errors import ApiError, NotFound
from tui.api.models import Job, JobStatus

if TYPE_CHECKING:
    from tui.api.client import RuntimeClient


@dataclass(frozen=True)
class JobsSnapshot:
    jobs: tuple[Job, ...]  # newest first
    total: int
    fetched_at: datetime
    newly_final: tuple[Job, ...] = ()

    @property
    def active_jobs(self) -> tuple[Job, ...]:
        return tuple(job for job in self.jobs if not job.is_final)


@dataclass
class PollIntervals:
    active: float = 1.5
    idle: float = 15.0
    floor: float = 0.5
    max_backoff: float = 60.0


@dataclass
class JobMonitor:
    client: RuntimeClient
    page_size: int = 50
    intervals: PollIntervals = field(default_factory=PollIntervals)
    latest: JobsSnapshot | None = None
    stale_since: datetime | None = None
    last_error: ApiError | None = None
    consecutive_failures: int = 0
    requests_made: int = 0
    _statuses: dict[str, JobStatus] = field(default_factory=dict)

    async def poll(self) -> JobsSnapshot:
        """One cycle. On failure, remember since when the data is stale and re-raise."""
        try:
            snapshot = await self._fetch()
        except ApiError as exc:
            self.consecutive_failures += 1
            self.last_error = exc
            if self.stale_since is None:
                self.stale_since = self.latest.fetched_at if self.latest else datetime.now(timezone.utc)
            raise
        self.consecutive_failures = 0
        self.last_error = None
        self.stale_since = None
        self.latest = snapshot
        return snapshot

    async def _fetch(self) -> JobsSnapshot:
        page = await self.client.jobs(limit=self.page_size)
        self.requests_made += 1
        jobs = list(page.jobs)
        shown = {job.id for job in jobs}
        was_active = {job_id for job_id, status in self._statuses.items() if not status.is_final}
        if was_active - shown:
            # Active jobs older than the first page: one more request covers all of them.
            pending = await self.client.jobs(limit=200, pending=True)
            self.requests_made += 1
            jobs.extend(job for job in pending.jobs if job.id not in shown)
            # Those in neither list have just finished: read each once, so it is reported.
            listed = {job.id for job in jobs}
            for job_id in sorted(was_active - listed):
                try:
                    jobs.append(await self.client.job(job_id))
                except NotFound:
                    pass  # deleted meanwhile: nothing to report
                self.requests_made += 1
        newly_final = tuple(job for job in jobs if job.is_final and job.id in was_active)
        self._statuses = {job.id: job.status for job in jobs}
        return JobsSnapshot(
            jobs=tuple(jobs),
            total=page.count,
            fetched_at=datetime.now(timezone.utc),
            newly_final=newly_final,
        )

    def watch(self, job_id: str, status: JobStatus = JobStatus.QUEUED) -> None:
        """Track a job just submitted, so its completion is reported even off the first page."""
        self._statuses.setdefault(job_id, status)

    def next_delay(self) -> float:
        if self.consecutive_failures:
            return min(self.intervals.max_backoff, self.intervals.active * 2**self.consecutive_failures)
        busy = any(not status.is_final for status in self._statuses.values())
        delay = self.intervals.active if busy else self.intervals.idle
        return max(self.intervals.floor, delay)

