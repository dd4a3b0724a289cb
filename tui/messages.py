"""Textual messages posted by workers: past-tense events carrying immutable models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.api.models import Backend
    from tui.circuits import CircuitSummary, QasmProblem, TranspiledCircuit
    from tui.connection import Connection
    from tui.monitor import JobsSnapshot
    from tui.results import RegisterCounts


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
    job_id: str
    backend: str


@dataclass
class JobsRefreshed(Message):
    snapshot: JobsSnapshot


@dataclass
class JobsRefreshFailed(Message):
    reason: str


@dataclass
class ResultsLoaded(Message):
    job_id: str
    tables: list[RegisterCounts]
