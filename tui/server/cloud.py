"""`/api/v1/...`: today's IBM Quantum REST API (reference §1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from tui.server.context import API_VERSIONS, ServiceContext, pubs_module
from tui.server.errors import ApiProblem
from tui.server.iam import TokenClaims
from tui.server.sessions import session_for_new_job
from tui.server.store import JobQuery, JobRecord, new_id, utc_now

PROGRAMS = frozenset({"sampler", "estimator"})


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    program_id: str = Field(min_length=1, max_length=64)
    backend: str = Field(min_length=1, max_length=64)
    params: dict[str, Any]
    session_id: str | None = Field(default=None, max_length=36)
    tags: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list, max_length=8)
    log_level: str | None = Field(default=None, max_length=16)
    cost: int | None = Field(default=None, ge=0, le=10800)
    private: bool = False


def job_json(job: JobRecord, include_params: bool = False) -> dict[str, Any]:
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
        "usage": {
            "qpu_charge_time_seconds": job.usage_seconds or 0,
            "status": "complete" if job.is_final else "pending",
        },
        "estimated_running_time_seconds": 1.0,
    }
    if include_params and not job.private:
        body["params"] = job.params
    return body


def _device_or_404(context: ServiceContext, name: str):  # noqa: ANN202 - DeviceSnapshot
    device = context.catalogue.get(name)
    if device is None:
        raise ApiProblem(404, f"Backend {name} not found.")
    return device


def _job_or_404(context: ServiceContext, job_id: str) -> JobRecord:
    job = context.store.get_job(job_id, context.settings.instance)
    if job is None:
        raise ApiProblem(404, f"Job {job_id} not found.")
    return job


def _truthy(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in {"true", "1", "yes"}


def cloud_router(context: ServiceContext) -> APIRouter:
    # The token check and the job reads that pollers hammer are `async`: they take well
    # under a millisecond, less than the hop to a worker thread a plain `def` costs.
    async def authorized(request: Request) -> TokenClaims:
        return context.authorize(request)

    router = APIRouter(prefix="/api/v1")
    secured = APIRouter(dependencies=[Depends(authorized)])

    @router.get("/versions", tags=["meta"])
    def versions() -> dict[str, Any]:
        return {
            "versions": [
                {"version": v, "status": s, **({"sunset_date": d} if d else {})}
                for v, s, d in API_VERSIONS
            ]
        }

    @secured.get("/backends", tags=["backends"])
    def list_backends(fields: str | None = None) -> dict[str, Any]:
        with_wait = fields is not None and "wait_time_seconds" in fields.split(",")
        queues = context.store.queue_lengths()
        devices = context.catalogue.devices
        return {
            "devices": [
                devices[name].device_summary(queues.get(name, 0), with_wait)
                for name in sorted(devices)
            ]
        }

    @secured.get("/backends/{name}/configuration", tags=["backends"])
    def backend_configuration(name: str) -> dict[str, Any]:
        return _device_or_404(context, name).configuration

    @secured.get("/backends/{name}/properties", tags=["backends"])
    def backend_properties(name: str) -> dict[str, Any]:
        properties = _device_or_404(context, name).properties
        if properties is None:
            raise ApiProblem(404, f"Backend {name} has no calibration properties.")
        return properties

    @secured.get("/backends/{name}/status", tags=["backends"])
    def backend_status(name: str) -> dict[str, Any]:
        device = _device_or_404(context, name)
        return {
            "state": True,
            "status": "active",
            "message": "available",
            "length_queue": context.store.queue_lengths().get(name, 0),
            "backend_version": str(device.configuration.get("backend_version", "0.0.0")),
        }

    @secured.post("/jobs", tags=["jobs"])
    def create_job(body: JobCreate, request: Request) -> dict[str, Any]:
        if body.program_id not in PROGRAMS:
            raise ApiProblem(404, f"Program {body.program_id} not found.")
        device = _device_or_404(context, body.backend)
        if body.params.get("version", 2) != 2:
            raise ApiProblem(400, "params.version must be 2.")
        if body.session_id:
            session_for_new_job(context, body.session_id, device.name)
        pubs = pubs_module()
        try:
            pubs.parse_pubs(body.program_id, body.params, device)
        except pubs.PubError as exc:
            raise ApiProblem(400, str(exc)) from None
        job = JobRecord(
            id=new_id(),
            instance=context.settings.instance,
            backend=device.name,
            program=body.program_id,
            status="Queued",
            created=utc_now(),
            params=body.params,
            session_id=body.session_id,
            tags=body.tags,
            support_qiskit=bool(body.params.get("support_qiskit", False)),
            private=body.private,
            cost=body.cost if body.cost is not None else 600,
            caller=request.headers.get("x-qx-client-application"),
        )
        context.store.create_job(job)
        context.scheduler.notify()
        response: dict[str, Any] = {"id": job.id, "backend": job.backend}
        if job.session_id:
            response["session_id"] = job.session_id
        return response

    @secured.get("/jobs", tags=["jobs"])
    async def list_jobs(
        limit: int = 200,
        offset: Annotated[int, Query(ge=0)] = 0,
        pending: str | None = None,
        program: str | None = None,
        backend: str | None = None,
        session_id: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        tags: Annotated[list[str] | None, Query()] = None,
        sort: str = "DESC",
        exclude_params: str | None = None,
    ) -> dict[str, Any]:
        if not 1 <= limit <= 200:
            limit = 200
        if sort.upper() not in {"ASC", "DESC"}:
            raise ApiProblem(400, "sort must be ASC or DESC.")
        jobs, count = context.store.list_jobs(
            JobQuery(
                instance=context.settings.instance,
                pending=_truthy(pending),
                backend=backend,
                program=program,
                session_id=session_id,
                created_after=created_after,
                created_before=created_before,
                tags=tuple(tags or ()),
                newest_first=sort.upper() == "DESC",
                limit=limit,
                offset=offset,
            )
        )
        include_params = _truthy(exclude_params) is False
        return {
            "jobs": [job_json(job, include_params) for job in jobs],
            "count": count,
            "offset": offset,
            "limit": limit,
        }

    @secured.get("/jobs/{job_id}", tags=["jobs"])
    async def get_job(job_id: str, exclude_params: str | None = None) -> dict[str, Any]:
        job = _job_or_404(context, job_id)
        return job_json(job, include_params=_truthy(exclude_params) is not True)

    @secured.get("/jobs/{job_id}/results", tags=["jobs"])
    def job_results(job_id: str) -> Response:
        job = _job_or_404(context, job_id)
        if job.status not in {"Completed", "Failed"}:
            return Response(status_code=204)
        result = context.store.job_result(job_id) or ""
        if job.status == "Failed":
            return PlainTextResponse(result)
        return Response(result, media_type="application/json")

    @secured.post("/jobs/{job_id}/cancel", tags=["jobs"], status_code=204)
    def cancel_job(job_id: str) -> Response:
        job = _job_or_404(context, job_id)
        if job.is_final or not context.store.cancel_job(job_id):
            raise ApiProblem(409, f"Job {job_id} is {job.status} and cannot be cancelled.")
        context.scheduler.notify()
        return Response(status_code=204)

    @secured.delete("/jobs/{job_id}", tags=["jobs"], status_code=204)
    def delete_job(job_id: str) -> Response:
        job = _job_or_404(context, job_id)
        if not job.is_final:
            raise ApiProblem(409, f"Job {job_id} is {job.status}; cancel it before deleting it.")
        context.store.delete_job(job_id)
        return Response(status_code=204)

    @secured.get("/jobs/{job_id}/metrics", tags=["jobs"])
    def job_metrics(job_id: str) -> dict[str, Any]:
        job = _job_or_404(context, job_id)
        return {
            "caller": job.caller,
            "timestamps": {"created": job.created, "running": job.running, "finished": job.finished},
            "usage": {
                "qpu_charge_time_seconds": job.usage_seconds or 0,
                "status": "complete" if job.is_final else "pending",
            },
            "circuits_execution_time_ns": job.execution_ns,
            "qiskit_version": _qiskit_version(),
        }

    @secured.get("/jobs/{job_id}/logs", tags=["jobs"])
    def job_logs(job_id: str) -> PlainTextResponse:
        return PlainTextResponse(_job_or_404(context, job_id).logs)

    @secured.get("/instances/usage", tags=["instances"])
    def instance_usage() -> JSONResponse:
        return JSONResponse(
            {
                "instance_id": context.settings.instance,
                "plan_id": "local",
                "usage_consumed_seconds": 0,
                "usage_limit_reached": False,
            }
        )

    router.include_router(secured)
    return router


def _qiskit_version() -> str:
    from importlib.metadata import version

    return version("qiskit")
