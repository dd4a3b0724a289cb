"""The programs qrt submits and reads, one descriptor each: sampler, estimator, executor.

A descriptor says how what the user asked for in the submit dialog becomes a job's
params (the executor has two ways in: IBM's executor-based Sampler and Estimator), which
fields the dialog shows for each way, and how a finished job's results become counts
tables or values. Screens and the command line ask this module; nothing else compares
program ids. Adding a program is adding its descriptor to `PROGRAMS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tui.circuits import TranspiledCircuit
    from tui.results import PubValues, RegisterCounts
    from tui.submission import SubmitRequest

Reads = Literal["counts", "values"]


class CannotBuildProgram(ValueError):
    """The job cannot be built from this circuit and request; the message says what to change."""


@dataclass(frozen=True)
class ProgramResults:
    counts: list[RegisterCounts] = field(default_factory=list)
    values: list[PubValues] = field(default_factory=list)

    def export(self, as_json: bool) -> str | None:
        """The results as CSV or JSON (the formats README documents); None if there are none."""
        from tui.results import counts_to_csv, counts_to_json, values_to_csv, values_to_json

        if self.values:
            return values_to_json(self.values) if as_json else values_to_csv(self.values)
        if self.counts:
            return counts_to_json(self.counts) if as_json else counts_to_csv(self.counts)
        return None


@dataclass(frozen=True)
class SubmitWay:
    """One entry of the submit dialog's Program list."""

    key: str  # the dialog's value, remembered in SubmitRequest.way
    label: str
    program_id: str
    reads: Reads  # counts: the dialog asks for shots; values: observables and precision
    build_params: Callable[[SubmitRequest, TranspiledCircuit], dict[str, Any]]
    note: str = ""  # said under the list when picked: what the job runs as
    offers_decoupling: bool = True  # the executor-based primitives need the backend's target for it

    @property
    def measures_observables(self) -> bool:
        return self.reads == "values"


ResultReader = Callable[[Any, dict[str, Any] | None, "tuple[str, ...] | None"], ProgramResults]


@dataclass(frozen=True)
class ClientProgram:
    """A runtime program as qrt uses it.

    `read_results(body, params, labels)`: the results body (parsed JSON), the job's params
    when known (the classic Estimator names its values from them), and the observables'
    labels when the caller knows them (the job it just submitted).
    """

    program_id: str
    ways: tuple[SubmitWay, ...]
    read_results: ResultReader


def _sampler_params(request: SubmitRequest, transpiled: TranspiledCircuit) -> dict[str, Any]:
    from tui.submission import primitive_params

    return primitive_params(request, transpiled, "sampler")


def _estimator_params(request: SubmitRequest, transpiled: TranspiledCircuit) -> dict[str, Any]:
    from tui.submission import primitive_params

    return primitive_params(request, transpiled, "estimator")


def _executor_sampler_params(request: SubmitRequest, transpiled: TranspiledCircuit) -> dict[str, Any]:
    from tui.executor_programs import sampler_params

    return sampler_params(request, transpiled)


def _executor_estimator_params(request: SubmitRequest, transpiled: TranspiledCircuit) -> dict[str, Any]:
    from tui.executor_programs import estimator_params

    return estimator_params(request, transpiled)


def _read_sampler(body: Any, params: dict[str, Any] | None, labels: tuple[str, ...] | None) -> ProgramResults:
    from tui.results import sampler_counts

    return ProgramResults(counts=sampler_counts(body))


def _read_estimator(body: Any, params: dict[str, Any] | None, labels: tuple[str, ...] | None) -> ProgramResults:
    from tui.results import estimator_values

    pubs_param = [[None, list(labels)]] if labels else (params or {}).get("pubs")
    return ProgramResults(values=estimator_values(body, pubs_param))


def _read_executor(body: Any, params: dict[str, Any] | None, labels: tuple[str, ...] | None) -> ProgramResults:
    from tui.executor_programs import read_results

    counts, values = read_results(body, labels)
    return ProgramResults(counts, values)


SAMPLER = ClientProgram("sampler", (
    SubmitWay("sampler", "Sampler", "sampler", "counts", _sampler_params, "the Sampler V2 program"),
), _read_sampler)
ESTIMATOR = ClientProgram("estimator", (
    SubmitWay("estimator", "Estimator", "estimator", "values", _estimator_params, "the Estimator V2 program"),
), _read_estimator)
EXECUTOR = ClientProgram("executor", (
    SubmitWay("executor-sampler", "Sampler on the executor", "executor", "counts", _executor_sampler_params,
              "the executor program, as IBM's executor-based Sampler builds it", offers_decoupling=False),
    SubmitWay("executor-estimator", "Estimator on the executor", "executor", "values", _executor_estimator_params,
              "the executor program, as IBM's executor-based Estimator builds it", offers_decoupling=False),
), _read_executor)

PROGRAMS: tuple[ClientProgram, ...] = (SAMPLER, ESTIMATOR, EXECUTOR)


def submit_ways() -> list[SubmitWay]:
    return [way for program in PROGRAMS for way in program.ways]


def submit_way(key: str) -> SubmitWay:
    """The way named `key`; the Sampler for a key no longer known (an old saved request)."""
    return next((way for way in submit_ways() if way.key == key), SAMPLER.ways[0])


def client_program(program_id: str) -> ClientProgram | None:
    return next((program for program in PROGRAMS if program.program_id == program_id), None)


def read_results(
    program_id: str, body: Any, params: dict[str, Any] | None = None, labels: tuple[str, ...] | None = None
) -> ProgramResults:
    """A finished job's results as qrt shows them; counts for a program qrt does not know."""
    program = client_program(program_id) or SAMPLER
    return program.read_results(body, params, labels)
