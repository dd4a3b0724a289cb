"""`/api/v1/...`: today's IBM Quantum REST API (reference §1)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tui.server.backend_routes import add_backend_detail_routes
from tui.server.backends import device_summary
from tui.server.context import API_VERSIONS, ServiceContext
from tui.server.iam import TokenClaims
from tui.server.jobs import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    JobCreate,
    JobListFilters,
    add_job_routes,
    created_json,
    job_json,
    job_list_filters,
    job_or_404,
    list_page,
    submit_job,
)
from tui.server.responses import IBM_REFUSALS, Devices, IbmRoute, Job, JobCreated, JobsPage, Tags, Versions


class TagsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)]] = Field(max_length=MAX_TAGS)


def cloud_router(context: ServiceContext) -> APIRouter:
    # The token check and the job reads that pollers hammer are `async`: they take well
    # under a millisecond, less than the hop to a worker thread a plain `def` costs.
    async def authorized(request: Request) -> TokenClaims:
        return context.authorize(request)

    instance = context.settings.instance
    router = APIRouter(prefix="/api/v1", route_class=IbmRoute, responses=IBM_REFUSALS)
    secured = APIRouter(dependencies=[Depends(authorized)], route_class=IbmRoute)

    @router.get("/versions", tags=["meta"], response_model=Versions)
    def versions() -> dict[str, Any]:
        return {
            "versions": [
                {"version": v, "status": s, **({"sunset_date": d} if d else {})}
                for v, s, d in API_VERSIONS
            ]
        }

    @secured.get("/backends", tags=["backends"], response_model=Devices)
    def list_backends(fields: str | None = None) -> dict[str, Any]:
        with_wait = fields is not None and "wait_time_seconds" in fields.split(",")
        queues = context.store.queue_lengths()
        return {
            "devices": [
                device_summary(static, queues.get(name, 0), with_wait)
                for name, static in context.catalogue.summaries().items()
            ]
        }

    add_backend_detail_routes(secured, context)

    @secured.post("/jobs", tags=["jobs"], response_model=JobCreated)
    def create_job(body: JobCreate, request: Request) -> dict[str, Any]:
        caller = request.headers.get("x-qx-client-application")
        job = submit_job(context, instance, body.as_new_job(caller))
        return created_json(job)

    @secured.get("/jobs", tags=["jobs"], response_model=JobsPage)
    async def list_jobs(filters: Annotated[JobListFilters, Depends(job_list_filters)]) -> dict[str, Any]:
        return list_page(context, instance, filters, job_json)

    add_job_routes(secured, context, instance, job_json, Job)

    @secured.put("/jobs/{job_id}/tags", tags=["jobs"], status_code=204)
    def replace_job_tags(job_id: str, body: TagsUpdate) -> Response:
        job_or_404(context, instance, job_id)
        context.store.replace_tags(job_id, body.tags)
        return Response(status_code=204)

    @secured.get("/tags", tags=["jobs"], response_model=Tags)
    def search_tags(
        search: Annotated[str, Query(min_length=3, max_length=128)],
        type: Annotated[Literal["job"], Query()] = "job",  # noqa: A002 - IBM's name
    ) -> dict[str, list[str]]:
        return {"tags": context.store.search_tags(instance, search)}

    router.include_router(secured)
    return router
