"""The use cases both front ends call: the TUI's screens and the `qrt` command line.

A `Workspace` is one connection (a profile, or the embedded service) and what a user does
with it: list backends, transpile, submit alone or in a session or batch, wait, cancel,
delete, read and export results, and open, close or cancel sessions. It holds no widget
and imports no Textual: screens start a worker that calls one of these methods and render
what comes back; the command line prints it. Every step that used to live in a screen
(transpile for the program, re-transpile an Estimator's circuit without measurements,
open the session, build the params, submit exactly once) lives here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.api.errors import NotFound, TranspileFailed, Unavailable
from tui.api.models import (
    SUBMISSION_TAG_PREFIX,
    Backend,
    Job,
    JobPage,
    Session,
    SessionMode,
    Usage,
    WorkloadPage,
)

if TYPE_CHECKING:
    from tui.api.client import RuntimeClient
    from tui.api.transpiler import TranspileOutcome
    from tui.backend_detail import BackendDetail
    from tui.circuits import TranspiledCircuit, TranspileSettings
    from tui.connection import Connection
    from tui.credentials import TokenStore
    from tui.ideal import IdealComparison
    from tui.job_details import JobDetails
    from tui.programs import ProgramResults
    from tui.submission import SubmitRequest

TAG_SEARCH_MIN = 3  # IBM's /tags needs at least this many characters
WAIT_POLL_SECONDS = (0.2, 0.5, 1.0, 2.0)  # a wait's polls slow down to the last of these


async def connect(
    profile_name: str | None = None, *, embedded: bool = False, reuse_embedded: bool = False,
    tokens: TokenStore | None = None,
) -> Connection:
    """The chosen (or default) profile's connection; with no account configured, or when
    asked, the embedded service (`reuse_embedded`: one already running on the same data
    dir is used and left running, as the command line wants)."""
    from tui.accounts import Accounts
    from tui.config import data_dir
    from tui.connection import ProfileError, connect_profile, start_embedded_service

    accounts = Accounts(tokens=tokens)  # the user's token storage choices, plaintext opt-in included
    profile = None if embedded else accounts.settings.profile(profile_name)
    if profile is None:
        if profile_name:
            raise ProfileError(f"There is no profile named '{profile_name}'.")
        return await start_embedded_service(data_dir() / "serve", reuse=reuse_embedded)
    return await connect_profile(profile, accounts.tokens)


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    backend: str
    program_id: str
    session: Session | None  # the session or batch opened for it, if one was
    session_id: str | None
    what: str  # the request in words


@dataclass(frozen=True)
class JobResults:
    job: Job
    results: ProgramResults | None  # None unless the job completed
    failure: str | None = None  # what a failed job's result says


@dataclass(frozen=True)
class JobDetail:
    results: JobResults
    details: JobDetails
    logs: str
    params: dict[str, Any] = field(default_factory=dict)  # as submitted: the circuits, for the ideal


@dataclass
class Workspace:
    connection: Connection
    _max_shots: dict[str, int | None] = field(default_factory=dict)
    _backend_files: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)

    @property
    def client(self) -> RuntimeClient:
        return self.connection.client

    async def close(self) -> None:
        await self.connection.close()

    # backends ------------------------------------------------------------------------

    async def backends(self) -> list[Backend]:
        """The devices, without IBM's `mock_*` twins (they take dry runs only)."""
        return [backend for backend in await self.client.backends() if not backend.is_mock]

    async def backend_detail(self, name: str) -> BackendDetail:
        """What the backends screen shows of one device: its configuration and calibration."""
        from tui.backend_detail import backend_detail

        configuration, properties = await self._files(name)
        return backend_detail(configuration, properties)

    def max_shots(self, backend: str) -> int | None:
        """The backend's `max_shots`, once a transpile for it has read its configuration."""
        return self._max_shots.get(backend)

    # transpiling ---------------------------------------------------------------------

    async def transpile(
        self,
        source: str,
        backend: str,
        settings: TranspileSettings | None = None,
        without_measurements: bool = False,
    ) -> TranspiledCircuit:
        """An ISA circuit for `backend`: here with qiskit, or on the transpiler service, as
        `settings.where` says. Raises QasmError, CannotTranspile or TranspileFailed."""
        from tui import circuits

        settings = settings or circuits.TranspileSettings()
        if settings.where == "service":
            program = await asyncio.to_thread(circuits.source_for_service, source, without_measurements)
            outcome = await self._on_the_transpiler_service(
                program, backend, settings.optimization_level, settings.service_options()
            )
            [made] = outcome.circuits
            return await asyncio.to_thread(
                circuits.from_service, backend, made.qasm, made.final_layout, settings, without_measurements
            )
        configuration, properties = await self._files(backend)
        return await asyncio.to_thread(
            circuits.transpile_qasm, source, backend, configuration, properties,
            settings.optimization_level, None, settings.layout_method, without_measurements,
        )

    async def _on_the_transpiler_service(
        self, program: str, backend: str, optimization_level: int, options: dict[str, Any] | None
    ) -> TranspileOutcome:
        transpiler = self.connection.transpiler
        try:
            return await transpiler.transpile([program], backend, optimization_level, transpile_options=options)
        except (NotFound, Unavailable) as exc:
            # IBM's REST transpiler (cloud-transpiler.quantum.ibm.com) may no longer be
            # served: qiskit-ibm-transpiler >= 0.14 runs it as a Qiskit Function instead.
            raise TranspileFailed(
                f"The transpiler service at {transpiler.base_url} is not there ({exc.message}). "
                "Press Ctrl+L and pick \"here, with qiskit\" to transpile on this machine."
            ) from None

    async def _files(self, backend: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The backend's configuration and calibration, read once per connection."""
        if backend not in self._backend_files:
            configuration, properties = await asyncio.gather(
                self.client.backend_configuration(backend), self.client.backend_properties(backend)
            )
            self._backend_files[backend] = (configuration, properties)
            self._max_shots[backend] = configuration.get("max_shots")
        return self._backend_files[backend]

    async def prepare_transpile(self, backend: str) -> None:
        """Everything the first transpile for `backend` would wait for, done ahead: its
        files, its Target (a second for 127 qubits) and qiskit's transpiler imports."""
        from tui import circuits
        from tui.background import settle_heap

        configuration, properties = await self._files(backend)

        def build() -> None:
            from qiskit.transpiler import generate_preset_pass_manager  # noqa: F401

            circuits.backend_target(backend, configuration, properties)
            settle_heap()

        await asyncio.to_thread(build)

    # submitting ----------------------------------------------------------------------

    async def submit(
        self, source: str, transpiled: TranspiledCircuit, request: SubmitRequest, tags: Sequence[str] = ()
    ) -> SubmittedJob:
        """Submit `transpiled` (the ISA form of `source`) as `request` says: its program
        and way, opening a session or batch first if asked. An observables' program gets
        the circuit transpiled again without its measurements. Exactly once, whatever the
        network does (`RuntimeClient.submit_job`). Raises CannotBuildProgram or ApiError."""
        from tui.programs import submit_way

        way = submit_way(request.way)
        if way.measures_observables and not transpiled.without_measurements:
            transpiled = await self.transpile(source, transpiled.backend, transpiled.settings, True)
        params = await asyncio.to_thread(way.build_params, request, transpiled)
        session: Session | None = None
        session_id = request.session_id
        if request.mode in ("session", "batch"):
            session = await self.open_session(transpiled.backend, "dedicated" if request.mode == "session" else "batch")
            session_id = session.id
        job_id = await self.client.submit_job(
            way.program_id, transpiled.backend, params, session_id=session_id, tags=tags
        )
        return SubmittedJob(job_id, transpiled.backend, way.program_id, session, session_id, request.describe())

    # jobs ----------------------------------------------------------------------------

    async def job(self, job_id: str) -> Job:
        return await self.client.job(job_id)

    async def jobs(self, **filters: Any) -> JobPage:
        """A page of jobs, newest first (`RuntimeClient.jobs`' filters)."""
        return await self.client.jobs(**filters)

    async def wait(
        self,
        job_ids: Iterable[str],
        on_change: Callable[[Job], None] = lambda job: None,
        timeout: float | None = None,
    ) -> list[Job]:
        """Until every job is final; `on_change` hears each status change. Each cycle reads
        the jobs not yet final, the cycles slowing down to one every 2 s."""
        pending = list(dict.fromkeys(job_ids))
        seen: dict[str, Job] = {}
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        cycle = 0
        while True:
            for job in await self._current([i for i in pending if i not in seen or not seen[i].is_final]):
                if seen.get(job.id) is None or seen[job.id].status != job.status:
                    on_change(job)
                seen[job.id] = job
            if all(seen[job_id].is_final for job_id in pending):
                return [seen[job_id] for job_id in pending]
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"jobs still running after {timeout:g} s")
            await asyncio.sleep(WAIT_POLL_SECONDS[min(cycle, len(WAIT_POLL_SECONDS) - 1)])
            cycle += 1

    async def _current(self, job_ids: list[str]) -> list[Job]:
        return list(await asyncio.gather(*(self.client.job(job_id) for job_id in job_ids)))

    async def cancel(self, job_id: str) -> None:
        await self.client.cancel_job(job_id)

    async def delete(self, job_id: str) -> None:
        await self.client.delete_job(job_id)

    async def set_tags(self, job_id: str, tags: Sequence[str]) -> Job:
        """Replace the job's own tags (qrt's submission tag stays); the job as it is now.
        Raises InvalidInput beyond IBM's limits, before anything is sent."""
        await self.client.set_job_tags(job_id, list(dict.fromkeys(tags)))
        return await self.client.job(job_id)

    async def workloads(
        self, text_filter: str = "", *, next_cursor: str | None = None, previous_cursor: str | None = None,
        page_size: int = 50,
    ) -> WorkloadPage:
        """A page of the instance's workloads, newest first, as the filter line asks;
        WorkloadFilterError for a filter it cannot use (before anything is sent)."""
        from tui.workload_filter import parse_workload_filter

        wanted = parse_workload_filter(text_filter)
        return await self.client.workloads(
            limit=page_size, next_cursor=next_cursor, previous_cursor=previous_cursor, mode=wanted.mode,
            statuses=wanted.statuses, backend=wanted.backend, search=wanted.search,
        )

    async def tags_starting(self, prefix: str) -> list[str]:
        """The user's tags that start with `prefix` (none below IBM's 3 characters), for
        completing a filter; qrt's own submission tags are not the user's."""
        if len(prefix) < TAG_SEARCH_MIN:
            return []
        found = await self.client.search_tags(prefix)
        return sorted(t for t in found if t.startswith(prefix) and not t.startswith(SUBMISSION_TAG_PREFIX))

    async def results(self, job_id: str, labels: tuple[str, ...] | None = None) -> JobResults:
        """The job and, when it completed, its results as qrt reads its program's."""
        return await self._results_of(await self.client.job_document(job_id), labels)

    async def _results_of(self, document: dict[str, Any], labels: tuple[str, ...] | None = None) -> JobResults:
        from tui.programs import read_results

        job = Job.from_api(document)
        if not job.status.is_final:
            return JobResults(job, None)
        body = await self.client.job_results(job.id)
        if not job.status.succeeded or not isinstance(body, dict):
            return JobResults(job, None, body if isinstance(body, str) else job.reason or None)
        read = await asyncio.to_thread(read_results, job.program, body, document.get("params"), labels)
        return JobResults(job, read)

    async def job_detail(self, job_id: str) -> JobDetail:
        """Everything the job detail shows: results, timeline and parameters, logs."""
        from tui.job_details import job_details

        document, metrics, logs = await asyncio.gather(
            self.client.job_document(job_id), self.client.job_metrics(job_id), self.client.job_logs(job_id)
        )
        results = await self._results_of(document)
        params = document.get("params")
        return JobDetail(results, job_details(document, metrics), logs, params if isinstance(params, dict) else {})

    async def usage(self) -> Usage:
        """The instance's quantum time this period, and its limit."""
        return await self.client.usage()

    async def job_logs(self, job_id: str) -> str:
        return await self.client.job_logs(job_id)

    async def compare_with_ideal(self, detail: JobDetail) -> IdealComparison | None:
        """A completed Sampler job's counts against the exact noiseless distribution of
        its circuits (`tui.ideal`); None for other programs or without counts."""
        from tui import ideal

        read = detail.results.results
        if detail.results.job.program != "sampler" or read is None or not read.counts:
            return None
        return await asyncio.to_thread(ideal.compare, detail.params.get("pubs"), read.counts)

    # sessions ------------------------------------------------------------------------

    async def open_session(self, backend: str, mode: SessionMode = "dedicated") -> Session:
        return await self.client.create_session(backend, mode)

    async def close_session(self, session_id: str) -> None:
        """Stop it taking jobs; queued and running ones still finish."""
        await self.client.close_session(session_id)

    async def cancel_session(self, session_id: str) -> None:
        """Stop it now: running jobs finish, queued ones never run."""
        await self.client.cancel_session(session_id)

    async def sessions(self, known: Iterable[str] = (), recent_jobs: int = 100) -> list[Session]:
        """The `known` sessions and those of the recent jobs (`recent_jobs=0`: only the
        known ones), each read once. IBM's API has no list of sessions, so this is where
        they are found; one the service forgot is left out."""
        ids = list(dict.fromkeys(known))
        if recent_jobs:
            page = await self.client.jobs(limit=recent_jobs)
            ids += [job.session_id for job in page.jobs if job.session_id and job.session_id not in ids]
        found = await asyncio.gather(*(self.client.session(i) for i in ids), return_exceptions=True)
        problems = [error for error in found if isinstance(error, BaseException) and not isinstance(error, NotFound)]
        if problems:
            raise problems[0]
        return [session for session in found if isinstance(session, Session)]
