"""The jobs screen's filter line: `status:failed backend:ibm_fez session:abc bell`.

Fields narrow by prefix (status:run matches Running); free words must all appear somewhere
in the job's id, backend, program, status, session or tags.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.api.models import Job

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
