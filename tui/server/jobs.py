"""Jobs as both APIs see them: today's `/api/v1/jobs` and the older `/runtime/jobs`.

The two APIs differ in their bodies, credentials and a few field names. What a job is, how
a submission is checked and queued, and how a job is read, cancelled or deleted is this one
piece of code, so both APIs run on the same records, scheduler and rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from tui.server.backend_routes import device_or_404
from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem
from tui.server.instances import ensure_usage_left
from tui.server.options import OptionError
from tui.server.programs import ProgramInputError, program_named
from tui.server.responses import IBM_REFUSALS_AS_JSON, JSON_OBJECT, PLAIN_TEXT, JobMetrics
from tui.server.scheduler import DEFAULT_TIME_LIMIT_SECONDS
from tui.server.sessions import open_session, session_for_new_job
from tui.server.store import JobQuery, JobRecord, format_utc, new_id, utc_now

MAX_PAGE = 200
MAX_OFFSET = 2**63 - 1  # SQLite's largest integer
MAX_TAGS = 8  # IBM's limits on a job's tags
MAX_TAG_LENGTH = 86

JobRenderer = Callable[[JobRecord, bool], dict[str, Any]]
RESULT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The program's result (JSON), or a failed job's reason (text).",
        "content": {"application/json": JSON_OBJECT, "text/plain": PLAIN_TEXT},
    },
    204: {"description": "The job has no result yet."},
}

EXAMPLE_BACKEND = "ibm_brisbane"
EXAMPLE_SAMPLER_PARAMS = {
    "pubs": [
        [
            'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; rz(pi/2) $0; sx $0; c[0] = measure $0;',
            None,
            16,
        ]
    ],
    "version": 2,
    "options": {"simulator": {"seed_simulator": 7}},
}


def truthy(value: str | None) -> bool | None:
    """A query flag as clients send it ('true', 'True', '1'); None when absent."""
    if value is None:
        return None
    return value.strip().lower() in {"true", "1", "yes"}


def job_or_404(context: ServiceContext, instance: str, job_id: str) -> JobRecord:
    job = context.store.get_job(job_id, instance)
    if job is None:
        raise ApiProblem(404, f"Job {job_id} not found.")
    return job


def usage_json(job: JobRecord) -> dict[str, Any]:
    return {
        "qpu_charge_time_seconds": job.usage_seconds or 0,
        "status": "complete" if job.is_final else "pending",
    }


def job_json(job: JobRecord, include_params: bool = False) -> dict[str, Any]:
    """A job as `/api/v1` returns it (reference §1.7.3)."""
    body: dict[str, Any] = {
        "id": job.id,
        "backend": job.backend,
        "state": {"status": job.status, "reason": job.reason or "", "reason_code": job.reason_code},
        "status": job.status,
        "program": {"id": job.program},
        "created": job.created,
        "cost": job.cost,
        "tags": job.tags,
        "session_id": job.session_id,
        "user_id": "local-user",
        "runtime": "",
        "private": job.private,
        "usage": usage_json(job),
        "estimated_running_time_seconds": 1.0,
    }
    if include_params and not job.private:
        body["params"] = job.params
    return body


class JobCreate(BaseModel):
    """The body of POST /api/v1/jobs; the older API adds a few fields to it. The examples
    give schema-driven clients and fuzzers a real job."""

    model_config = ConfigDict(extra="ignore")

    program_id: str = Field(min_length=1, max_length=64, examples=["sampler", "estimator"])
    backend: str = Field(min_length=1, max_length=64, examples=[EXAMPLE_BACKEND])
    params: dict[str, Any] = Field(examples=[EXAMPLE_SAMPLER_PARAMS])
    session_id: str | None = Field(default=None, max_length=36)
    tags: list[Annotated[str, Field(max_length=MAX_TAG_LENGTH)]] = Field(default_factory=list, max_length=MAX_TAGS)
    log_level: str | None = Field(default=None, max_length=16)
    cost: int | None = Field(default=None, ge=0, le=10800)
    private: bool = False

    def as_new_job(self, caller: str | None, **changes: Any) -> NewJob:
        fields: dict[str, Any] = {
            "program_id": self.program_id,
            "backend": self.backend,
            "params": self.params,
            "session_id": self.session_id,
            "tags": self.tags,
            "private": self.private,
            "cost": self.cost,
            "caller": caller,
        }
        return NewJob(**{**fields, **changes})


@dataclass(frozen=True)
class NewJob:
    """A submission, whichever API it came through."""

    program_id: str
    backend: str
    params: dict[str, Any]
    session_id: str | None = None
    start_session: bool = False  # legacy: open a dedicated session named after this job
    tags: list[str] = field(default_factory=list)
    private: bool = False
    cost: int | None = None
    caller: str | None = None
    logs: str = ""


def submit_job(context: ServiceContext, instance: str, new: NewJob) -> JobRecord:
    """Check a submission as IBM does (400/404/409 before queueing), store it, wake the scheduler."""
    program = program_named(new.program_id)
    if program is None:
        raise ApiProblem(404, f"Program {new.program_id} not found.")
    device = device_or_404(context, new.backend)
    if device.is_mock and not program.runs_dry:
        raise ApiProblem(
            400, f"backend: {device.name} is a mock backend for dry runs of the executor program; "
            f"run {program.name} on a real backend"
        )
    try:
        program.check_request(new.params)
    except (ProgramInputError, OptionError) as exc:
        raise ApiProblem(400, str(exc)) from None
    ensure_usage_left(context)
    if new.session_id:
        session_for_new_job(context, instance, new.session_id, device.name)
    context.checker.check(program, new.params, device)
    job_id = new_id()
    session_id = new.session_id
    if new.start_session and not session_id:
        # The older API named the session after the job that started it.
        session_id = open_session(context, instance, device.name, "dedicated", session_id=job_id).id
    job = JobRecord(
        id=job_id,
        instance=instance,
        backend=device.name,
        program=new.program_id,
        status="Queued",
        created=utc_now(),
        params=new.params,
        session_id=session_id,
        tags=new.tags,
        support_qiskit=bool(new.params.get("support_qiskit", False)),
        private=new.private,
        cost=new.cost if new.cost is not None else DEFAULT_TIME_LIMIT_SECONDS,
        caller=new.caller,
        logs=new.logs,
    )
    context.store.create_job(job)
    context.scheduler.notify()
    return job


def created_json(job: JobRecord) -> dict[str, Any]:
    """The answer to a submission: `{"id", "backend"}`, plus `session_id` when in one."""
    response: dict[str, Any] = {"id": job.id, "backend": job.backend}
    if job.session_id:
        response["session_id"] = job.session_id
    return response


@dataclass(frozen=True)
class JobListFilters:
    """The query of a jobs listing, the same in both APIs (reference §1.7.2)."""

    limit: int
    offset: int
    pending: bool | None
    program: str | None
    backend: str | None
    session_id: str | None
    created_after: str | None
    created_before: str | None
    tags: tuple[str, ...]
    newest_first: bool
    include_params: bool

    def query(self, instance: str) -> JobQuery:
        return JobQuery(
            instance=instance,
            pending=self.pending,
            backend=self.backend,
            program=self.program,
            session_id=self.session_id,
            created_after=self.created_after,
            created_before=self.created_before,
            tags=self.tags,
            newest_first=self.newest_first,
            limit=self.limit,
            offset=self.offset,
            with_params=self.include_params,
        )


def timestamp_filter(name: str, value: str | None) -> str | None:
    """An ISO-8601 query value in the stored form (UTC, milliseconds, Z), so it compares right."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        return format_utc(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
    except (ValueError, OverflowError):
        raise ApiProblem(400, f"{name} must be an ISO-8601 date or time, got {value[:40]!r}.") from None


async def job_list_filters(
    limit: int = MAX_PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    pending: str | None = None,
    program: str | None = None,
    backend: str | None = None,
    session_id: str | None = None,
    created_after: str | None = None,
    created_before: str | None = None,
    tags: Annotated[list[Annotated[str, Field(max_length=MAX_TAG_LENGTH)]] | None, Query(max_length=MAX_TAGS)] = None,
    sort: str = "DESC",
    exclude_params: str | None = None,
) -> JobListFilters:
    """FastAPI dependency: the listing's query parameters, checked."""
    if sort.upper() not in {"ASC", "DESC"}:
        raise ApiProblem(400, "sort must be ASC or DESC.")
    return JobListFilters(
        # Out-of-range limits fall back to the default, as IBM's service does.
        limit=limit if 1 <= limit <= MAX_PAGE else MAX_PAGE,
        offset=offset,
        pending=truthy(pending),
        program=program,
        backend=backend,
        session_id=session_id,
        created_after=timestamp_filter("created_after", created_after),
        created_before=timestamp_filter("created_before", created_before),
        tags=tuple(tags or ()),
        newest_first=sort.upper() == "DESC",
        include_params=truthy(exclude_params) is False,
    )


def list_page(
    context: ServiceContext, instance: str, filters: JobListFilters, render: JobRenderer
) -> dict[str, Any]:
    query = filters.query(instance)
    jobs, count = context.store.list_jobs(query)
    return {
        "jobs": [render(job, filters.include_params) for job in jobs],
        "count": count,
        "offset": query.offset,
        "limit": query.limit,
    }


def add_job_routes(
    router: APIRouter, context: ServiceContext, instance: str, render: JobRenderer,
    shape: type[BaseModel],
) -> None:
    """GET/DELETE one job, its results, cancel, metrics and logs, identical in both APIs;
    `render` and its `shape` are the API's view of a job."""

    @router.get("/jobs/{job_id}", tags=["jobs"], response_model=shape)
    async def get_job(job_id: str, exclude_params: str | None = None) -> dict[str, Any]:
        job = job_or_404(context, instance, job_id)
        return render(job, truthy(exclude_params) is not True)

    @router.get("/jobs/{job_id}/results", tags=["jobs"], responses=RESULT_RESPONSES)
    def job_results(job_id: str) -> Response:
        job = job_or_404(context, instance, job_id)
        if job.status not in {"Completed", "Failed"}:
            return Response(status_code=204)
        result = context.store.job_result(job_id) or ""
        if job.status == "Failed":
            return PlainTextResponse(result)
        if job.private:
            # IBM: a private job's results can be read once, then they are gone.
            if not context.store.take_private_result(job_id):
                raise ApiProblem(404, f"The results of private job {job_id} were read already.")
        return Response(result, media_type="application/json")

    @router.post("/jobs/{job_id}/cancel", tags=["jobs"], status_code=204)
    def cancel_job(job_id: str) -> Response:
        job = job_or_404(context, instance, job_id)
        if job.is_final or not context.store.cancel_job(job_id):
            raise ApiProblem(409, f"Job {job_id} is {job.status} and cannot be cancelled.")
        context.scheduler.notify()
        return Response(status_code=204)

    @router.delete("/jobs/{job_id}", tags=["jobs"], status_code=204)
    def delete_job(job_id: str) -> Response:
        job = job_or_404(context, instance, job_id)
        if not job.is_final:
            raise ApiProblem(409, f"Job {job_id} is {job.status}; cancel it before deleting it.")
        context.store.delete_job(job_id)
        return Response(status_code=204)

    @router.get("/jobs/{job_id}/metrics", tags=["jobs"], response_model=JobMetrics)
    def job_metrics(job_id: str) -> dict[str, Any]:
        job = job_or_404(context, instance, job_id)
        return {
            "caller": job.caller,
            "timestamps": {"created": job.created, "running": job.running, "finished": job.finished},
            "usage": usage_json(job),
            "circuits_execution_time_ns": job.execution_ns,
            "qiskit_version": version("qiskit"),
        }

    @router.get(
        "/jobs/{job_id}/logs", tags=["jobs"], response_class=PlainTextResponse,
        responses=IBM_REFUSALS_AS_JSON,
    )
    def job_logs(job_id: str) -> PlainTextResponse:
        return PlainTextResponse(job_or_404(context, instance, job_id).logs)

