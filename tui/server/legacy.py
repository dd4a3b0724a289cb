"""The older API of the origin notebook (reference §5): `/api/users/...`, `/Network`, `/runtime/...`.

Its instance is a hub/group/project (`--legacy-instance`, default `ibm-q/open/main`) where
today's API has a CRN. A job or session belongs to the instance it was created under:
`/runtime` lists and reads its instance's jobs, `/api/v1` its CRN's, and both run on the
same store, scheduler and rules (tui.server.jobs, tui.server.sessions).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tui.local_defaults import hub_group_project
from tui.server.access_tokens import DEFAULT_TTL_SECONDS, LOCAL_USER_ID, LegacyCredentials
from tui.server.backend_routes import add_backend_detail_routes
from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem, route_class_with_error_body, validation_message
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
from tui.server.responses import (
    IBM_REFUSALS,
    AccessToken,
    DeviceNames,
    IbmRoute,
    JobCreated,
    LegacyJob,
    LegacyJobsPage,
    LoopbackError,
    NetworkHub,
    Session,
    User,
    refusals,
)
from tui.server.sessions import add_session_routes, open_session, session_json
from tui.server.store import JobRecord, utc_now


def loopback_error(status: int, message: str, code: str) -> dict[str, Any]:
    """The auth server's error shape (LoopBack), which old clients read `error.*` from."""
    return {
        "error": {"statusCode": status, "name": "Error", "message": message, "code": code.upper()}
    }


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    apiToken: str = Field(min_length=1, max_length=4096)  # noqa: N815 - the wire name
    ttl: int | None = Field(default=None, ge=1, le=DEFAULT_TTL_SECONDS)


class LegacyJobCreate(JobCreate):
    """POST /runtime/jobs: today's body plus hub/group/project and `start_session`."""

    hub: str | None = Field(default=None, max_length=128)
    group: str | None = Field(default=None, max_length=128)
    project: str | None = Field(default=None, max_length=128)
    start_session: bool | None = None  # the notebook sends the string "False"


class LegacySessionCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    backend: str | None = Field(default=None, max_length=64)
    backend_name: str | None = Field(default=None, max_length=64)
    instance: str | None = Field(default=None, max_length=400)
    mode: Literal["dedicated", "batch"] | None = None
    max_session_ttl: int | None = Field(default=None, ge=1, le=86400)
    max_ttl: int | None = Field(default=None, ge=1, le=86400)
    interactive_ttl: int | None = Field(default=None, ge=1, le=86400)


def legacy_job_json(job: JobRecord, include_params: bool = False) -> dict[str, Any]:
    """A job as the older API showed it: camelCase `reasonCode`, and its hub/group/project."""
    body = job_json(job, include_params)
    body["state"] = {"status": job.status, "reason": job.reason or "", "reasonCode": job.reason_code}
    hub, group, project = hub_group_project(job.instance)
    body.update(hub=hub, group=group, project=project)
    return body


def _without_transpilation(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The params without `options.transpilation`, and a log line saying it was not applied.

    The older API took it; today's schemas reject it and the service no longer transpiles,
    so it is accepted here, kept out of the job's options, and recorded in the job's logs.
    """
    options = params.get("options")
    if not isinstance(options, dict) or "transpilation" not in options:
        return params, ""
    kept = {name: value for name, value in options.items() if name != "transpilation"}
    note = (
        f"{utc_now()} options.transpilation {json.dumps(options['transpilation'])} accepted and "
        "not applied: circuits must already be ISA for the backend (POST /transpile makes them)\n"
    )
    return {**params, "options": kept}, note


def legacy_router(context: ServiceContext, credentials: LegacyCredentials) -> APIRouter:
    instance = context.settings.legacy_instance
    hub, group, project = hub_group_project(instance)

    def require_member(given: str | None) -> None:
        if given is not None and given != instance:
            raise ApiProblem(
                403, f"Not a member of hub/group/project '{given}'; this service has '{instance}'."
            )

    def authorized(request: Request) -> None:
        if not credentials.accepts(request):
            raise ApiProblem(
                401, "Missing or invalid x-access-token: log in at /api/users/loginWithToken, "
                "or send Authorization: Bearer <API key>.",
            )

    account = APIRouter(
        route_class=route_class_with_error_body(loopback_error), responses=refusals(LoopbackError)
    )

    @account.post("/api/users/loginWithToken", tags=["legacy"], response_model=AccessToken)
    def login(body: LoginRequest, request: Request) -> dict[str, Any]:
        if not credentials.accepts_api_key(request, body.apiToken):
            raise ApiProblem(401, "login failed", "LOGIN_FAILED")
        token = credentials.tokens.issue(body.ttl or DEFAULT_TTL_SECONDS)
        return {"id": token.id, "ttl": token.ttl, "created": token.created, "userId": token.user_id}

    @account.post("/api/users/logout", tags=["legacy"], status_code=204)
    def logout(request: Request) -> Response:
        token = request.headers.get("x-access-token", "").strip()
        if not token or not credentials.tokens.revoke(token):
            raise ApiProblem(401, "Authorization Required", "AUTHORIZATION_REQUIRED")
        return Response(status_code=204)

    @account.get("/api/users/me", tags=["legacy"], dependencies=[Depends(authorized)], response_model=User)
    def me(request: Request) -> dict[str, Any]:
        # The address the service listens on, never the Host header a caller chose.
        host, port = request.scope.get("server") or ("127.0.0.1", 80)
        base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        return {
            "userId": LOCAL_USER_ID,
            "username": LOCAL_USER_ID,
            "urls": {
                "http": base,
                "ws": base.replace("http", "ws", 1),
                "services": {"runtime": f"{base}/runtime"},
            },
            "terms": {"accepted": True},
        }

    @account.get("/Network", tags=["legacy"], dependencies=[Depends(authorized)], response_model=list[NetworkHub])
    def network() -> list[dict[str, Any]]:
        return [
            {
                "name": hub,
                "isDefault": True,
                "groups": {
                    group: {
                        "name": group,
                        "isDefault": True,
                        "projects": {project: {"name": project, "isDefault": True}},
                    }
                },
            }
        ]

    runtime = APIRouter(
        prefix="/runtime", dependencies=[Depends(authorized)], route_class=IbmRoute,
        responses=IBM_REFUSALS,
    )

    @runtime.get("/backends", tags=["legacy"], response_model=DeviceNames)
    def list_backends(provider: str | None = None) -> dict[str, list[str]]:
        require_member(provider)
        return {"devices": context.catalogue.names()}

    add_backend_detail_routes(runtime, context)

    @runtime.post("/jobs", tags=["legacy"], response_model=JobCreated)
    def create_job(body: LegacyJobCreate, request: Request) -> dict[str, Any]:
        if (body.hub, body.group, body.project) != (None, None, None):
            require_member(f"{body.hub or ''}/{body.group or ''}/{body.project or ''}")
        params, note = _without_transpilation(body.params)
        caller = request.headers.get("x-qx-client-application")
        new = body.as_new_job(
            caller, params=params, start_session=bool(body.start_session), logs=note
        )
        return created_json(submit_job(context, instance, new))

    @runtime.get("/jobs", tags=["legacy"], response_model=LegacyJobsPage)
    def list_jobs(
        filters: Annotated[JobListFilters, Depends(job_list_filters)], provider: str | None = None
    ) -> dict[str, Any]:
        require_member(provider)
        return list_page(context, instance, filters, legacy_job_json)

    add_job_routes(runtime, context, instance, legacy_job_json, LegacyJob)

    @runtime.post("/sessions", tags=["legacy"], response_model=Session)
    def create_session(payload: Annotated[dict[str, Any] | str, Body()]) -> dict[str, Any]:
        body = _session_body(payload)
        require_member(body.instance)
        session = open_session(
            context,
            instance,
            body.backend or body.backend_name,
            body.mode or "dedicated",
            body.max_session_ttl or body.max_ttl,
            body.interactive_ttl,
        )
        return session_json(session)

    add_session_routes(runtime, context, instance)

    router = APIRouter()
    router.include_router(account)
    router.include_router(runtime)
    return router


def _session_body(payload: dict[str, Any] | str) -> LegacySessionCreate:
    """The session body, also when it came as a JSON string holding the JSON (the notebook's
    `requests.post(url, json=json.dumps({...}))`)."""
    if isinstance(payload, str):
        from tui.server.limits import BodyRejected, JsonShapeGuard

        try:
            # The string is JSON of its own: bounded as a body is, before it is parsed.
            JsonShapeGuard(max_depth=8, max_values=1000).feed(payload.encode("utf-8", "replace"))
            payload = json.loads(payload)
        except BodyRejected as exc:
            raise ApiProblem(400, f"The body's JSON string: {exc.detail}") from None
        except (ValueError, RecursionError):
            raise ApiProblem(400, "The body is a string that does not hold JSON.") from None
    if not isinstance(payload, dict):
        raise ApiProblem(400, "The body must be a JSON object (or a JSON string holding one).")
    try:
        return LegacySessionCreate.model_validate(payload)
    except ValidationError as exc:
        raise ApiProblem(400, validation_message(exc.errors())) from None
