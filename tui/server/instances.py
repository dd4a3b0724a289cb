"""The instance itself (reference §1.5, §1.9): its usage, its limit, its details.

Usage is what completed jobs were charged (their running time, see Store.finish_job),
summed over the calendar month in UTC. An instance limit, once set, is enforced: a
submission after the month's usage reached it gets a 409, as IBM answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem
from tui.server.responses import IBM_REFUSALS, IbmRoute, Instance, InstanceLimit, InstanceUsage
from tui.server.store import format_utc

PLAN = "local"


class InstanceConfiguration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_limit: float | None = Field(ge=0, le=10**9, examples=[600])


def usage_period(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) that usage is counted over, as IBM's monthly plans do."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(milliseconds=1)


def consumed_seconds(context: ServiceContext) -> float:
    start, _ = usage_period(datetime.now(timezone.utc))
    return context.store.usage_seconds_since(context.settings.instance, format_utc(start))


def ensure_usage_left(context: ServiceContext) -> None:
    limit = context.store.instance_limit(context.settings.instance)
    if limit is not None and consumed_seconds(context) >= limit:
        raise ApiProblem(
            409, f"The instance has used its limit of {limit:g} s this month; "
            "raise it with PUT /api/v1/instances/configuration.",
        )


def instances_router(context: ServiceContext) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1", dependencies=[Depends(context.authorize)], route_class=IbmRoute,
        responses=IBM_REFUSALS,
    )
    instance = context.settings.instance

    @router.get("/instances/usage", tags=["instances"], response_model=InstanceUsage)
    def instance_usage() -> dict[str, Any]:
        start, end = usage_period(datetime.now(timezone.utc))
        consumed = consumed_seconds(context)
        limit = context.store.instance_limit(instance)
        usage: dict[str, Any] = {
            "instance_id": instance,
            "plan_id": PLAN,
            "usage_period": {"start_time": format_utc(start), "end_time": format_utc(end)},
            "usage_consumed_seconds": consumed,
            "usage_limit_reached": limit is not None and consumed >= limit,
        }
        if limit is not None:
            usage["usage_limit_seconds"] = limit
        return usage

    @router.get("/instance", tags=["instances"], response_model=Instance)
    def instance_details() -> dict[str, Any]:
        return {
            "id": instance,
            "plan_id": PLAN,
            "backends": sorted(context.catalogue.devices),
            "instance_limit_seconds": context.store.instance_limit(instance),
            "usage_allocation_seconds": None,
        }

    @router.get("/instances/configuration", tags=["instances"], response_model=InstanceLimit)
    def instance_configuration() -> dict[str, float | None]:
        return {"instance_limit": context.store.instance_limit(instance)}

    @router.put("/instances/configuration", tags=["instances"], status_code=204)
    def configure_instance(body: InstanceConfiguration) -> Response:
        consumed = consumed_seconds(context)
        if body.instance_limit is not None and body.instance_limit < consumed:
            raise ApiProblem(
                409, f"The limit {body.instance_limit:g} s is under this month's usage "
                f"({consumed:g} s).",
            )
        context.store.set_instance_limit(instance, body.instance_limit)
        return Response(status_code=204)

    return router
