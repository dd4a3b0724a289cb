"""What the job detail screen shows besides results: a timeline and a summary of the
job's parameters, distilled from the job document and its metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.api.models import SUBMISSION_TAG_PREFIX, parse_timestamp


@dataclass(frozen=True)
class JobDetails:
    timeline: tuple[tuple[str, datetime], ...]
    summary: tuple[tuple[str, str], ...]
    usage_seconds: float | None

    def timeline_lines(self) -> list[str]:
        lines: list[str] = []
        previous: datetime | None = None
        for name, moment in self.timeline:
            step = f"  (+{(moment - previous).total_seconds():.2f} s)" if previous else ""
            lines.append(f"{moment.astimezone():%Y-%m-%d %H:%M:%S}  {name}{step}")
            previous = moment
        return lines


def _pub_shape(pub: Any) -> str:
    if not isinstance(pub, list) or not pub:
        return "?"
    circuit = pub[0]
    kind = "QASM" if isinstance(circuit, str) else "QPY" if isinstance(circuit, dict) else "?"
    extras = []
    if len(pub) > 2 and pub[2] is not None:
        extras.append(f"shots/precision {pub[2]}")
    if len(pub) > 1 and pub[1] is not None:
        extras.append("with parameters" if isinstance(pub[1], (list, dict)) else str(pub[1]))
    return kind + (f" ({', '.join(extras)})" if extras else "")


def job_details(job: dict[str, Any], metrics: dict[str, Any]) -> JobDetails:
    stamps = metrics.get("timestamps") or {}
    timeline = [("created", parse_timestamp(job.get("created") or stamps.get("created")))]
    timeline += [(name, parse_timestamp(stamps.get(name))) for name in ("running", "finished")]
    params = job.get("params") or {}
    options = params.get("options") or {}
    pubs = params.get("pubs") or []
    summary = [
        ("Program", str((job.get("program") or {}).get("id", ""))),
        ("Backend", str(job.get("backend", ""))),
        ("Status", str((job.get("state") or {}).get("status") or job.get("status", ""))),
        ("Session", str(job.get("session_id") or "—")),
        ("Pubs", f"{len(pubs)}: " + "; ".join(_pub_shape(pub) for pub in pubs[:5]) if pubs else "—"),
        ("Default shots", str(params.get("shots") or params.get("precision") or "—")),
        ("Options", ", ".join(sorted(options)) or "defaults"),
        ("Tags", ", ".join(t for t in job.get("tags") or [] if not t.startswith(SUBMISSION_TAG_PREFIX)) or "—"),
    ]
    reason = (job.get("state") or {}).get("reason")
    if reason:
        summary.append(("Reason", str(reason)))
    execution_ns = metrics.get("circuits_execution_time_ns")
    if isinstance(execution_ns, (int, float)):
        summary.append(("Execution", f"{execution_ns / 1e9:.3f} s of circuits"))
    if metrics.get("qiskit_version"):
        summary.append(("Qiskit", str(metrics["qiskit_version"])))
    usage = (metrics.get("usage") or job.get("usage") or {}).get("qpu_charge_time_seconds")
    return JobDetails(
        timeline=tuple((name, moment) for name, moment in timeline if moment is not None),
        summary=tuple(summary),
        usage_seconds=float(usage) if isinstance(usage, (int, float)) else None,
    )
