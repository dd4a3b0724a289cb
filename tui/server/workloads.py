"""`GET /api/v1/workloads`: IBM's one list of jobs, sessions and batches (its dashboard's).

A workload is a job outside any session, or a session or batch (whose jobs it stands for);
each has IBM's workload status: pending, in_progress, completed, failed or canceled.
Pages are cursor-based: `next`/`previous` carry an opaque cursor (the edge row's creation
time and id), so a page does not shift when new work arrives, as offsets would.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem
from tui.server.jobs import MAX_TAG_LENGTH, MAX_TAGS, timestamp_filter
from tui.server.responses import IBM_REFUSALS, IbmRoute, WorkloadsPage
from tui.server.sessions import refresh_state
from tui.server.store import WorkloadQuery

MAX_SEARCH = 128
PATH = "/api/v1/workloads"

Status = Literal["pending", "in_progress", "completed", "failed", "canceled"]
Tag = Annotated[str, Query(max_length=MAX_TAG_LENGTH)]


def _cursor(created: str, workload_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created, workload_id]).encode()).decode().rstrip("=")


def _decoded(name: str, cursor: str) -> tuple[str, str]:
    try:
        created, workload_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(created, str) and isinstance(workload_id, str):
            return created, workload_id
    except (ValueError, binascii.Error, TypeError):
        pass
    raise ApiProblem(400, f"{name} is not a cursor this service gave out.")


def workload_json(row: dict[str, Any], instance: str) -> dict[str, Any]:
    is_job = row["mode"] == "job"
    item: dict[str, Any] = {
        "id": row["id"], "created": row["created"], "backend": row["backend"], "instance": instance,
        "user_id": "local-user", "mode": row["mode"], "status": row["status"],
        "accepting_jobs": None if is_job else bool(row["accepting_jobs"]),
        "tags": json.loads(row["tags"]),
    }
    if row["ended"]:
        item["ended"] = row["ended"]
    if is_job and row["status_reason"]:
        item["status_reason"] = row["status_reason"]
    if row["usage_seconds"] is not None or row["final"]:
        usage = float(row["usage_seconds"] or 0)
        item["usage_seconds"] = usage
        item["usage"] = {"qpu_charge_time_seconds": usage}
        if is_job:
            item["usage"]["status"] = "complete" if row["final"] else "pending"
    if is_job:
        item["estimated_running_time_seconds"] = 1.0
    return item


def workloads_router(context: ServiceContext) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1", dependencies=[Depends(context.authorize)], route_class=IbmRoute,
        responses=IBM_REFUSALS,
    )
    instance = context.settings.instance

    @router.get("/workloads", tags=["workloads"], response_model=WorkloadsPage)
    def list_workloads(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        sort: Literal["createdAt", "-createdAt"] = "createdAt",
        next: Annotated[str | None, Query(max_length=512)] = None,  # noqa: A002 - IBM's name
        previous: Annotated[str | None, Query(max_length=512)] = None,
        backend: Annotated[str | None, Query(max_length=64)] = None,
        search: Annotated[str | None, Query(max_length=MAX_SEARCH)] = None,
        status: Annotated[list[Status] | None, Query(max_length=5)] = None,
        status_list: Annotated[list[Status] | None, Query(alias="status[]", max_length=5)] = None,
        mode: Literal["job", "session", "batch"] | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        tags: Annotated[list[Tag] | None, Query(max_length=MAX_TAGS)] = None,
        tags_list: Annotated[list[Tag] | None, Query(alias="tags[]", max_length=MAX_TAGS)] = None,
        user: Literal["me"] | None = None,
    ) -> dict[str, Any]:
        if next is not None and previous is not None:
            raise ApiProblem(400, "Give next or previous, not both.")
        for session in context.store.unfinished_sessions(instance):
            refresh_state(context.store, session)  # states follow the clock (see sessions.py)
        query = WorkloadQuery(
            instance=instance,
            newest_first=sort == "-createdAt",
            backend=backend,
            search=search or None,
            statuses=tuple(dict.fromkeys([*(status or []), *(status_list or [])])),
            mode=mode,
            created_after=timestamp_filter("created_after", created_after),
            created_before=timestamp_filter("created_before", created_before),
            tags=tuple(dict.fromkeys([*(tags or []), *(tags_list or [])])),
        )
        after = _decoded("next", next) if next else None
        before = _decoded("previous", previous) if previous else None
        rows, more_beyond, more_before, total = context.store.list_workloads(query, limit, after, before)
        asked = [(k, v) for k, v in request.query_params.multi_items() if k not in {"next", "previous"}]

        def link(name: str, row: dict[str, Any]) -> dict[str, str]:
            return {"href": f"{PATH}?{urlencode([*asked, (name, _cursor(row['created'], row['id']))])}"}

        page: dict[str, Any] = {
            "workloads": [workload_json(row, instance) for row in rows], "total_count": total, "limit": limit,
        }
        if rows and more_beyond:
            page["next"] = link("next", rows[-1])
        if rows and more_before:
            page["previous"] = link("previous", rows[0])
        return page

    return router
