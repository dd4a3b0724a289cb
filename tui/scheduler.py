"""Scheduler: the one poller of a connection, for the jobs and the sessions alike.

Each cycle reads the jobs (`JobMonitor`: one or two requests) and, when they are due, the
sessions qrt knows of that may still change. The caller sleeps `next_delay()` between
cycles, so there is one timer in the app however many screens show live data: the
sessions screen only says it is looking (`sessions_watched`), which makes the sessions
due every few seconds rather than twice a minute.

IBM's API has no list of sessions: the known ones are those this app opened and those
its jobs ran in. A closed session never changes again, so it is read once and then only
remembered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.api.errors import ApiError
from tui.api.models import Job, Session
from tui.monitor import JobMonitor, JobsSnapshot

if TYPE_CHECKING:
    from tui.workspace import Workspace

MAX_TRACKED_SESSIONS = 30


@dataclass(frozen=True)
class SessionIntervals:
    watched: float = 5.0  # while the sessions screen is shown
    background: float = 30.0  # otherwise, while one is open (the submit dialog offers it)


@dataclass(frozen=True)
class Refresh:
    """What one cycle learnt: new jobs, or why not; the sessions, if they were read."""

    jobs: JobsSnapshot | None
    jobs_error: ApiError | None = None
    sessions: tuple[Session, ...] | None = None  # None: not read this cycle
    sessions_error: ApiError | None = None


@dataclass
class Scheduler:
    workspace: Workspace
    jobs: JobMonitor
    session_intervals: SessionIntervals = field(default_factory=SessionIntervals)
    clock: Callable[[], float] = time.monotonic
    sessions_watched: bool = False
    sessions: dict[str, Session] = field(default_factory=dict)  # by id, in the order first known
    _sessions_read_at: float | None = None  # None: due at the next cycle

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> Scheduler:
        return cls(workspace, JobMonitor(workspace.client))

    # what the front end tells it -------------------------------------------------------

    def remember(self, session: Session) -> None:
        """A session this app just opened (or changed): known at once, read again soon."""
        self.sessions[session.id] = session
        self.sessions_changed()

    def sessions_changed(self) -> None:
        """Something was done to a session: read the sessions at the next cycle."""
        self._sessions_read_at = None

    def watch_job(self, job_id: str) -> None:
        self.jobs.watch(job_id)

    # the cycle -----------------------------------------------------------------------

    async def cycle(self) -> Refresh:
        """Read the jobs, then the sessions if they are due. Never raises an ApiError: a
        failure is in the Refresh, and the next delay backs off."""
        try:
            snapshot = await self.jobs.poll()
        except ApiError as exc:
            return Refresh(None, exc)
        due = self.sessions_to_read(snapshot)
        if not due or self._seconds_to_sessions() > 0:
            return Refresh(snapshot)
        self._sessions_read_at = self.clock()
        try:
            read = await self.workspace.sessions(due, recent_jobs=0)
        except ApiError as exc:
            return Refresh(snapshot, sessions_error=exc)
        self.sessions.update((session.id, session) for session in read)
        return Refresh(snapshot, sessions=tuple(self.sessions.values()))

    def sessions_to_read(self, snapshot: JobsSnapshot | None) -> list[str]:
        """The sessions that may have changed: known and not closed, and those the jobs
        name that are not known yet (the most recent MAX_TRACKED_SESSIONS of them)."""
        ids = [i for i, session in self.sessions.items() if not session.is_closed]
        ids += [i for i in _session_ids(snapshot.jobs if snapshot else ()) if i not in self.sessions]
        return list(dict.fromkeys(ids))[-MAX_TRACKED_SESSIONS:]

    def _seconds_to_sessions(self) -> float:
        if self._sessions_read_at is None:
            return 0.0
        interval = self.session_intervals.watched if self.sessions_watched else self.session_intervals.background
        return self._sessions_read_at + interval - self.clock()

    def next_delay(self) -> float:
        """Seconds until the next cycle: the jobs' pace, sooner if the sessions fall due."""
        delay = self.jobs.next_delay()
        if self.jobs.consecutive_failures or not self.sessions_to_read(self.jobs.latest):
            return delay
        return max(self.jobs.intervals.floor, min(delay, self._seconds_to_sessions()))


def _session_ids(jobs: Iterable[Job]) -> list[str]:
    return [job.session_id for job in jobs if job.session_id]
