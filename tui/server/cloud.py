"""`/api/v1/...`: today's IBM Quantum REST API (reference §1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from tui.server.backend_routes import add_backend_detail_routes
from tui.server.context import API_VERSIONS, ServiceContext
from tui.server.iam import TokenClaims
from tui.server.jobs import (
    JobCreate,
    JobListFilters,
    add_job_routes,
    created_json,
    job_json,
    job_list_filters,
    list_page,
    submit_job,
)


def cloud_router(context: ServiceContext) -> APIRouter:
    def authorized(request: Request) -> TokenClaims:
        return context.authorize(request)

    instance = context.settings.instance
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

    add_backend_detail_routes(secured, context)

    @secured.post("/jobs", tags=["jobs"])
    def create_job(body: JobCreate, request: Request) -> dict[str, Any]:
        caller = request.headers.get("x-qx-client-application")
        job = submit_job(context, instance, body.as_new_job(caller))
        return created_json(job)

    @secured.get("/jobs", tags=["jobs"])
    def list_jobs(filters: Annotated[JobListFilters, Depends(job_list_filters)]) -> dict[str, Any]:
        return list_page(context, instance, filters, job_json)

    add_job_routes(secured, context, instance, job_json)

    @secured.get("/instances/usage", tags=["instances"])
    def instance_usage() -> JSONResponse:
        return JSONResponse(
            {
                "instance_id": instance,
                "plan_id": "local",
                "usage_consumed_seconds": 0,
                "usage_limit_reached": False,
            }
        )

    router.include_router(secured)
    return router
