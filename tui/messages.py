"""Textual messages posted by workers: past-tense events carrying immutable models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.api.models import Backend, Job, Session
    from tui.circuits import CircuitSummary, QasmProblem, TranspiledCircuit
    from tui.connection import Connection
    from tui.ideal import IdealComparison
    from tui.job_details import JobDetails
    from tui.monitor import JobsSnapshot
    from tui.results import PubValues, RegisterCounts


@dataclass
class ServiceConnected(Message):
    connection: Connection


@dataclass
class ServiceFailed(Message):
    reason: str


@dataclass
class BackendsLoaded(Message):
    backends: list[Backend]


@dataclass
class QasmChecked(Message):
    text: str
    summary: CircuitSummary | None
    problem: QasmProblem | None


@dataclass
class CircuitTranspiled(Message):
    source: str
    transpiled: TranspiledCircuit


@dataclass
class JobSubmitted(Message):
    """Bubbles to the app, which watches the job and remembers the session opened for it."""

    job_id: str
    backend: str
    session: Session | None = None
    what: str = ""


@dataclass
class JobsRefreshed(Message):
    snapshot: JobsSnapshot


@dataclass
class JobsRefreshFailed(Message):
    reason: str


@dataclass
class ResultsLoaded(Message):
    """A finished job's results: Sampler counts or Estimator values."""

    job_id: str
    tables: list[RegisterCounts]
    values: list[PubValues]


@dataclass
class CircuitDrawn(Message):
    text: str
    diagram: str


@dataclass
class OlderJobsLoaded(Message):
    jobs: tuple[Job, ...]
    exhausted: bool


@dataclass
class IdealCompared(Message):
    job_id: str
    comparison: IdealComparison


@dataclass
class JobDetailLoaded(Message):
    job_id: str
    details: JobDetails
    logs: str
    counts: list[RegisterCounts]
    values: list[PubValues]
    failure: str | None


@dataclass
class SessionsLoaded(Message):
    sessions: tuple[Session, ...]
