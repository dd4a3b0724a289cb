"""Frozen models of what the service returns; parsed once, shared freely between threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Literal

SUBMISSION_TAG_PREFIX = "qrt-submission:"  # the client's per-submission tag, hidden in tables


class JobStatus(StrEnum):
    """A job's status as IBM's API names it today. The older API's upper-case names
    (`DONE`, `ERROR`, `CANCELLED`...) are read into these; anything else is `UNKNOWN`."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    CANCELLED_RAN_TOO_LONG = "Cancelled - Ran too long"
    UNKNOWN = "Unknown"

    @property
    def is_final(self) -> bool:
        return self in FINAL_JOB_STATUSES

    @property
    def succeeded(self) -> bool:
        return self is JobStatus.COMPLETED

    @classmethod
    def parse(cls, value: Any) -> JobStatus:
        text = str(value or "").strip()
        try:
            return cls(text)
        except ValueError:
            pass
        upper = text.upper()
        legacy = {"DONE": cls.COMPLETED, "COMPLETED": cls.COMPLETED, "ERROR": cls.FAILED, "FAILED": cls.FAILED,
                  "CANCELLED": cls.CANCELLED, "CANCELED": cls.CANCELLED, "QUEUED": cls.QUEUED,
                  "INITIALIZING": cls.QUEUED, "VALIDATING": cls.QUEUED, "RUNNING": cls.RUNNING,
                  "CANCELLED - RAN TOO LONG": cls.CANCELLED_RAN_TOO_LONG}
        return legacy.get(upper, cls.UNKNOWN)


FINAL_JOB_STATUSES = frozenset({
    JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.CANCELLED_RAN_TOO_LONG,
})


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _metric(metrics: dict[str, Any], name: str) -> float | None:
    value = (metrics.get(name) or {}).get("value")
    return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class Backend:
    name: str
    status: str
    qubits: int
    processor: str
    queue_length: int
    two_q_error_median: float | None = None
    readout_error_median: float | None = None
    clops: int | None = None

    @property
    def is_mock(self) -> bool:
        """IBM's `mock_*` backends take dry runs of the executor primitives (validated,
        timed, random data); they are the same devices, so qrt does not list them."""
        return self.name.startswith("mock_")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Backend:
        processor = data.get("processor_type") or {}
        family = str(processor.get("family") or "")
        revision = str(processor.get("revision") or "")
        metrics = data.get("performance_metrics") or {}
        clops = (data.get("clops") or {}).get("value")
        return cls(
            name=str(data["name"]),
            status=str((data.get("status") or {}).get("name", "unknown")),
            qubits=int(data.get("qubits") or 0),
            processor=f"{family} r{revision}" if family and revision else family,
            queue_length=int(data.get("queue_length") or 0),
            two_q_error_median=_metric(metrics, "two_q_error_median"),
            readout_error_median=_metric(metrics, "readout_error_median"),
            clops=int(clops) if isinstance(clops, (int, float)) else None,
        )

    @classmethod
    def from_status(cls, name: str, status: dict[str, Any]) -> Backend:
        """A backend from its name and `/backends/{name}/status`, all the older API lists.

        Operational (`state` true) reads as today's "online"; otherwise the status message.
        Qubits (0), processor ("") and the metrics (None) are unknown here, not guessed.
        """
        operational = status.get("state") is True
        return cls(
            name=name,
            status="online" if operational else str(status.get("message") or "offline"),
            qubits=0,
            processor="",
            queue_length=int(status.get("length_queue") or 0),
        )


def _usage_seconds(usage: Any) -> float | None:
    value = usage.get("qpu_charge_time_seconds") if isinstance(usage, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class Job:
    id: str
    backend: str
    program: str
    status: JobStatus
    created: datetime | None
    reason: str = ""
    session_id: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    usage_seconds: float | None = None

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    @property
    def user_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if not tag.startswith(SUBMISSION_TAG_PREFIX))

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Job:
        state = data.get("state") or {}
        status = JobStatus.parse(state.get("status") or data.get("status"))
        return cls(
            id=str(data["id"]),
            backend=str(data.get("backend") or ""),
            program=str((data.get("program") or {}).get("id") or ""),
            status=status,
            created=parse_timestamp(data.get("created")),
            reason=str(state.get("reason") or ""),
            session_id=data.get("session_id") or None,
            tags=tuple(data.get("tags") or ()),
            usage_seconds=_usage_seconds(data.get("usage")),
        )


@dataclass(frozen=True)
class JobPage:
    jobs: tuple[Job, ...]
    count: int


SessionMode = Literal["dedicated", "batch"]


@dataclass(frozen=True)
class Session:
    """A session (mode `dedicated`) or batch (mode `batch`), as GET /sessions/{id} says."""

    id: str
    mode: str
    state: str
    backend: str = ""
    accepting_jobs: bool = True
    state_reason: str = ""
    max_ttl: int | None = None
    interactive_ttl: int | None = None
    active_ttl: int | None = None
    started_at: datetime | None = None
    closed_at: datetime | None = None
    elapsed_seconds: float | None = None
    last_job_started: datetime | None = None
    last_job_completed: datetime | None = None
    received_at: datetime | None = None  # when this snapshot was read: its TTLs count from here

    def seconds_to_max_ttl(self, now: datetime) -> float | None:
        """Until the service closes the session for good (its `active_ttl`, counted down
        from when it was read; else `max_ttl` from its start). None before its first job
        starts: IBM's clock runs from then (an open session reports a full `active_ttl`)."""
        if self.is_closed or not self.has_started:
            return None
        if self.active_ttl is not None and self.received_at is not None:
            left = self.active_ttl - (now - self.received_at).total_seconds()
        elif self.max_ttl is not None and self.started_at is not None:
            left = self.max_ttl - (now - self.started_at).total_seconds()
        else:
            return None
        return max(0.0, left)

    def seconds_to_inactive(self, now: datetime) -> float | None:
        """Until an idle active session goes inactive (`interactive_ttl` after its last job
        finished); None while a job runs or the clock is not running."""
        if self.state != "active" or self.interactive_ttl is None:
            return None
        idle_since = self.last_job_completed
        if idle_since is None or (self.last_job_started is not None and self.last_job_started > idle_since):
            return None
        return max(0.0, self.interactive_ttl - (now - idle_since).total_seconds())

    @property
    def has_started(self) -> bool:
        return self.started_at is not None or self.last_job_started is not None or self.state != "open"

    @property
    def is_closed(self) -> bool:
        return self.state == "closed"

    @property
    def status(self) -> str:
        """The wording of the official client's `Session.status()`, for familiarity."""
        if self.state in ("open", "inactive"):
            return "Pending"
        if self.state == "pending_inactive" or (self.state == "active" and self.accepting_jobs):
            return "In progress, accepting new jobs"
        if self.state in ("active", "pending_closed"):
            return "In progress, not accepting new jobs"
        return self.state.capitalize()

    @classmethod
    def from_api(cls, data: dict[str, Any], received_at: datetime | None = None) -> Session:
        def optional_int(key: str) -> int | None:
            value = data.get(key)
            return int(value) if isinstance(value, (int, float)) else None

        elapsed = data.get("elapsed_time")
        return cls(
            id=str(data["id"]),
            mode=str(data.get("mode") or ""),
            state=str(data.get("state") or "open"),
            backend=str(data.get("backend_name") or ""),
            accepting_jobs=bool(data.get("accepting_jobs", True)),
            state_reason=str(data.get("state_reason") or ""),
            max_ttl=optional_int("max_ttl"),
            interactive_ttl=optional_int("interactive_ttl"),
            active_ttl=optional_int("active_ttl"),
            started_at=parse_timestamp(data.get("started_at")),
            closed_at=parse_timestamp(data.get("closed_at")),
            elapsed_seconds=float(elapsed) if isinstance(elapsed, (int, float)) else None,
            last_job_started=parse_timestamp(data.get("last_job_started")),
            last_job_completed=parse_timestamp(data.get("last_job_completed")),
            received_at=received_at or datetime.now(timezone.utc),
        )


@dataclass(frozen=True)
class Usage:
    """The instance's quantum time this period (GET /instances/usage)."""

    instance: str
    plan: str
    consumed_seconds: float
    limit_seconds: float | None = None
    limit_reached: bool = False
    period_end: datetime | None = None

    def describe(self) -> str:
        """One line: what is used of what, and until when the period runs."""
        used = f"{self.consumed_seconds:,.1f} s used"
        if self.limit_seconds is not None:
            share = 100 * self.consumed_seconds / self.limit_seconds if self.limit_seconds else 100.0
            used += f" of {self.limit_seconds:,.0f} s ({share:.0f} %){' · LIMIT REACHED' if self.limit_reached else ''}"
        else:
            used += ", no limit"
        until = f" · period ends {self.period_end:%Y-%m-%d}" if self.period_end else ""
        return f"Usage: {used}{until}"

    @property
    def remaining_seconds(self) -> float | None:
        if self.limit_seconds is None:
            return None
        return max(0.0, self.limit_seconds - self.consumed_seconds)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Usage:
        limit = data.get("usage_limit_seconds")
        if not isinstance(limit, (int, float)):
            limit = data.get("usage_allocation_seconds")
        return cls(
            instance=str(data.get("instance_id") or ""),
            plan=str(data.get("plan_id") or ""),
            consumed_seconds=float(data.get("usage_consumed_seconds") or 0),
            limit_seconds=float(limit) if isinstance(limit, (int, float)) else None,
            limit_reached=bool(data.get("usage_limit_reached", False)),
            period_end=parse_timestamp((data.get("usage_period") or {}).get("end_time")),
        )


WorkloadMode = Literal["job", "session", "batch"]
WORKLOAD_STATUSES = ("pending", "in_progress", "completed", "failed", "canceled")


@dataclass(frozen=True)
class Workload:
    """A row of IBM's workloads list: a job outside any session, or a session or batch."""

    id: str
    mode: str
    status: str
    backend: str
    created: datetime | None
    ended: datetime | None = None
    tags: tuple[str, ...] = ()
    usage_seconds: float | None = None
    reason: str = ""

    @property
    def is_session(self) -> bool:
        return self.mode != "job"

    @property
    def user_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if not tag.startswith(SUBMISSION_TAG_PREFIX))

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Workload:
        return cls(
            id=str(data["id"]),
            mode=str(data.get("mode") or "job"),
            status=str(data.get("status") or ""),
            backend=str(data.get("backend") or ""),
            created=parse_timestamp(data.get("created")),
            ended=parse_timestamp(data.get("ended")),
            tags=tuple(str(tag) for tag in data.get("tags") or ()),
            usage_seconds=_usage_seconds(data.get("usage")),
            reason=str(data.get("status_reason") or ""),
        )


def _cursor_of(link: Any, name: str) -> str | None:
    """The cursor in a page link (`{"href": "...?next=<cursor>"}`)."""
    from urllib.parse import parse_qs, urlsplit

    href = link.get("href") if isinstance(link, dict) else None
    values = parse_qs(urlsplit(href).query).get(name) if isinstance(href, str) else None
    return values[0] if values else None


@dataclass(frozen=True)
class WorkloadPage:
    workloads: tuple[Workload, ...]
    total: int
    next_cursor: str | None = None
    previous_cursor: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> WorkloadPage:
        return cls(
            workloads=tuple(Workload.from_api(item) for item in data.get("workloads") or ()),
            total=int(data.get("total_count") or 0),
            next_cursor=_cursor_of(data.get("next"), "next"),
            previous_cursor=_cursor_of(data.get("previous"), "previous"),
        )
