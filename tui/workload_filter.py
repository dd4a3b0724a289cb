"""The workloads screen's filter line (`mode:batch status:failed backend:ibm_fez bell`),
turned into the query IBM's `GET /workloads` takes: the service filters, not the app.

Status words may be IBM's (in_progress, canceled) or the job words users type (running,
queued, done, cancelled); a prefix is enough when it names one status. Free words go to
`search` (an id or a tag), joined by spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.api.models import WORKLOAD_STATUSES

MODES = ("job", "session", "batch")
STATUS_WORDS = {
    **{status: status for status in WORKLOAD_STATUSES},
    "queued": "pending", "running": "in_progress", "active": "in_progress", "done": "completed",
    "cancelled": "canceled", "error": "failed",
}


class WorkloadFilterError(ValueError):
    """A field the filter cannot use; the message says which and what would do."""


@dataclass(frozen=True)
class WorkloadFilter:
    mode: str | None = None
    statuses: tuple[str, ...] = ()
    backend: str | None = None
    search: str | None = None


def _one_of(kind: str, value: str, choices: dict[str, str]) -> str:
    matches = {choices[name] for name in choices if name.startswith(value)}
    if len(matches) != 1:
        raise WorkloadFilterError(f"{kind}:{value} names {'no' if not matches else 'more than one'} {kind}; "
                                  f"use one of {', '.join(sorted(set(choices.values())))}")
    return matches.pop()


def parse_workload_filter(text: str) -> WorkloadFilter:
    mode: str | None = None
    backend: str | None = None
    statuses: list[str] = []
    words: list[str] = []
    for part in text.split():
        name, sep, value = part.partition(":")
        lowered = value.lower()
        if sep and name.lower() == "mode" and lowered:
            mode = _one_of("mode", lowered, {m: m for m in MODES})
        elif sep and name.lower() == "status" and lowered:
            statuses.append(_one_of("status", lowered, STATUS_WORDS))
        elif sep and name.lower() == "backend" and value:
            backend = value
        else:
            words.append(part)
    return WorkloadFilter(mode, tuple(dict.fromkeys(statuses)), backend, " ".join(words) or None)
