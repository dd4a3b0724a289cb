"""Sessions and batches (reference §1.8 and §3): open -> active -> inactive -> closed.

States follow a real clock: they are brought up to date whenever a session is read or one
of its jobs starts or ends, so `max_ttl` and `interactive_ttl` hold without a timer thread.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem
from tui.server.responses import IBM_REFUSALS, IbmRoute, Session
from tui.server.store import JobRecord, SessionRecord, Store, new_id, utc_now

DEFAULT_MAX_TTL = 28800
DEFAULT_INTERACTIVE_TTL = 60


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mode: Literal["dedicated", "batch"]
    backend: str | None = Field(default=None, max_length=64, examples=["ibm_brisbane"])
    backend_name: str | None = Field(default=None, max_length=64)
    max_ttl: int | None = Field(default=None, ge=1, le=86400)
    interactive_ttl: int | None = Field(default=None, ge=1, le=86400)


class SessionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepting_jobs: bool


def _seconds_since(timestamp: str | None, now: datetime) -> float:
    if not timestamp:
        return 0.0
    return (now - datetime.fromisoformat(timestamp.replace("Z", "+00:00"))).total_seconds()


def refresh_state(store: Store, session: SessionRecord) -> SessionRecord:
    """Apply the transitions that time and the session's jobs have made due."""
    if session.state == "closed":
        return session
    now = datetime.now(timezone.utc)
    pending = store.session_pending_jobs(session.id)
    changes: dict[str, Any] = {}
    if _seconds_since(session.created, now) >= session.max_ttl:
        store.cancel_session_queued_jobs(session.id)
        changes = {"state": "closed", "state_reason": "max_ttl reached", "closed_at": utc_now(),
                   "accepting_jobs": False}
    elif not session.accepting_jobs and pending == 0:
        changes = {"state": "closed", "state_reason": "closed by the user", "closed_at": utc_now()}
    elif (
        session.state == "active"
        and pending == 0
        and session.interactive_ttl is not None
        and _seconds_since(session.last_job_completed or session.activated_at, now)
        >= session.interactive_ttl
    ):
        changes = {"state": "inactive", "state_reason": "interactive_ttl reached"}
    if changes:
        store.update_session(session.id, **changes)
        refreshed = store.get_session(session.id)
        assert refreshed is not None
        return refreshed
    return session


def job_started(store: Store, job: JobRecord) -> None:
    if not job.session_id:
        return
    session = store.get_session(job.session_id)
    if session is None or session.state == "closed":
        return
    changes: dict[str, Any] = {"state": "active", "state_reason": None, "last_job_started": utc_now()}
    if session.activated_at is None:
        changes["activated_at"] = changes["last_job_started"]
    store.update_session(session.id, **changes)


def job_finished(store: Store, session_id: str | None) -> None:
    if not session_id:
        return
    session = store.get_session(session_id)
    if session is not None and session.state != "closed":
        store.update_session(session_id, last_job_completed=utc_now())
        refresh_state(store, store.get_session(session_id) or session)


def elapsed_time(session: SessionRecord, now: datetime) -> float | None:
    """Seconds the session has been active: until now, or until it closed (IBM's schema
    has a number there once closed, not null). None before its first job ran."""
    if not session.activated_at:
        return 0.0 if session.closed_at else None
    end = datetime.fromisoformat(session.closed_at.replace("Z", "+00:00")) if session.closed_at else now
    return round(max(0.0, _seconds_since(session.activated_at, end)), 3)


def session_json(session: SessionRecord) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    remaining = max(0, session.max_ttl - int(_seconds_since(session.created, now)))
    return {
        "id": session.id,
        "backend_name": session.backend or "",
        "mode": session.mode,
        "state": session.state,
        "state_reason": session.state_reason,
        "accepting_jobs": session.accepting_jobs,
        "interactive_ttl": session.interactive_ttl,
        "max_ttl": session.max_ttl,
        "active_ttl": remaining,
        "started_at": session.activated_at,
        "activated_at": session.activated_at,
        "closed_at": session.closed_at,
        "last_job_started": session.last_job_started,
        "last_job_completed": session.last_job_completed,
        "timestamps": session.timestamps,
        "user_id": "local-user",
        "elapsed_time": elapsed_time(session, now),
    }


def session_for_new_job(
    context: ServiceContext, instance: str, session_id: str, backend: str
) -> SessionRecord:
    """The session a job is submitted into, if it may take the job; else a 4xx."""
    session = context.store.get_session(session_id, instance)
    if session is None:
        raise ApiProblem(404, f"Session {session_id} not found.")
    session = refresh_state(context.store, session)
    if session.state == "closed" or not session.accepting_jobs:
        raise ApiProblem(409, f"Session {session_id} is closed and accepts no more jobs.")
    if session.backend and session.backend != backend:
        raise ApiProblem(
            400, f"Session {session_id} runs on {session.backend}; this job asks for {backend}."
        )
    if not session.backend:
        context.store.update_session(session_id, backend=backend)
    return session


def open_session(
    context: ServiceContext,
    instance: str,
    backend: str | None,
    mode: str,
    max_ttl: int | None = None,
    interactive_ttl: int | None = None,
    session_id: str | None = None,
) -> SessionRecord:
    """A new session in state `open`; an unknown backend is a 404."""
    if backend and context.catalogue.get(backend) is None:
        raise ApiProblem(404, f"Backend {backend} not found.")
    session = SessionRecord(
        id=session_id or new_id(),
        instance=instance,
        backend=backend,
        mode=mode,
        state="open",
        accepting_jobs=True,
        max_ttl=max_ttl or DEFAULT_MAX_TTL,
        interactive_ttl=interactive_ttl or DEFAULT_INTERACTIVE_TTL,
        created=utc_now(),
        timestamps=[{"status": "open", "timestamp": utc_now()}],
    )
    context.store.create_session(session)
    return session


def add_session_routes(router: APIRouter, context: ServiceContext, instance: str) -> None:
    """Read, stop accepting jobs, and cancel a session: the same in both APIs."""

    def get_or_404(session_id: str) -> SessionRecord:
        session = context.store.get_session(session_id, instance)
        if session is None:
            raise ApiProblem(404, f"Session {session_id} not found.")
        return refresh_state(context.store, session)

    @router.get("/sessions/{session_id}", tags=["sessions"], response_model=Session)
    def get_session(session_id: str) -> dict[str, Any]:
        return session_json(get_or_404(session_id))

    @router.patch("/sessions/{session_id}", tags=["sessions"], status_code=204)
    def update_session(session_id: str, body: SessionUpdate) -> Response:
        session = get_or_404(session_id)
        if session.state == "closed" and body.accepting_jobs:
            raise ApiProblem(409, f"Session {session_id} is closed.")
        context.store.update_session(session_id, accepting_jobs=body.accepting_jobs)
        refresh_state(context.store, get_or_404(session_id))
        return Response(status_code=204)

    @router.delete("/sessions/{session_id}/close", tags=["sessions"], status_code=204)
    def close_session(session_id: str) -> Response:
        session = get_or_404(session_id)
        if session.state != "closed":
            context.store.cancel_session_queued_jobs(session_id, and_running=True)
            context.store.update_session(
                session_id, state="closed", state_reason="cancelled by the user",
                accepting_jobs=False, closed_at=utc_now(),
            )
            context.scheduler.notify()
        return Response(status_code=204)


def sessions_router(context: ServiceContext) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1", dependencies=[Depends(context.authorize)], route_class=IbmRoute,
        responses=IBM_REFUSALS,
    )
    instance = context.settings.instance

    @router.post("/sessions", tags=["sessions"], response_model=Session)
    def create_session(body: SessionCreate) -> dict[str, Any]:
        session = open_session(
            context, instance, body.backend or body.backend_name, body.mode,
            body.max_ttl, body.interactive_ttl,
        )
        return session_json(session)

    add_session_routes(router, context, instance)
    return router
