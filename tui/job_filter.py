"""The jobs screen's filter line (`status:failed backend:ibm_fez session:abc bell`) and
its orders.

Fields narrow by prefix (status:run matches Running); free words must all appear somewhere
in the job's id, backend, program, status, session or tags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tui.api.models import Job, JobStatus

FIELDS = ("status", "backend", "session", "program", "tag")


@dataclass(frozen=True)
class JobFilter:
    fields: tuple[tuple[str, str], ...] = ()
    words: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.fields and not self.words

    def matches(self, job: Job) -> bool:
        values = {
            "status": job.status.lower(),
            "backend": job.backend.lower(),
            "session": (job.session_id or "").lower(),
            "program": job.program.lower(),
        }
        for name, wanted in self.fields:
            if name == "tag":
                if not any(tag.lower().startswith(wanted) for tag in job.tags):
                    return False
            elif name == "status" and wanted == "active":
                if job.is_final:
                    return False
            elif not values[name].startswith(wanted):
                return False
        haystack = " ".join([job.id.lower(), *values.values(), *(t.lower() for t in job.tags)])
        return all(word in haystack for word in self.words)


def parse_job_filter(text: str) -> JobFilter:
    fields: list[tuple[str, str]] = []
    words: list[str] = []
    for part in text.lower().split():
        name, sep, value = part.partition(":")
        if sep and name in FIELDS and value:
            fields.append((name, value))
        else:
            words.append(part)
    return JobFilter(tuple(fields), tuple(words))


STATUS_ORDER = {JobStatus.RUNNING: 0, JobStatus.QUEUED: 1, JobStatus.FAILED: 2, JobStatus.CANCELLED: 3,
                JobStatus.CANCELLED_RAN_TOO_LONG: 3, JobStatus.COMPLETED: 4}
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)
# Each order's key, ascending; every order is stable, so equal keys stay newest first.
JOB_ORDERS: dict[str, Callable[[Job], Any]] = {
    "newest": lambda job: 0,
    "status": lambda job: STATUS_ORDER.get(job.status, 5),
    "backend": lambda job: job.backend,
    "program": lambda job: job.program,
    "session": lambda job: (job.session_id is None, job.session_id or ""),
    "created": lambda job: job.created or _EPOCH,
    "usage": lambda job: job.usage_seconds or 0.0,
}
COLUMN_ORDERS = {"status": "status", "id": "newest", "backend": "backend", "program": "program",
                 "created": "created", "elapsed": "usage", "session": "session"}


def sort_jobs(jobs: Sequence[Job], order: str, reverse: bool = False) -> list[Job]:
    """`jobs` (newest first) in `order`; `reverse` turns the order round (for `newest`:
    oldest first)."""
    ordered = sorted(jobs, key=JOB_ORDERS[order])
    return ordered[::-1] if reverse else ordered


def parse_tags(text: str) -> list[str]:
    """Tags as typed: separated by commas (spaces inside a tag are kept), each trimmed."""
    return list(dict.fromkeys(tag.strip() for tag in text.split(",") if tag.strip()))
