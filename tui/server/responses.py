"""The shapes the service answers with, declared for each route (FastAPI response models).

They are what IBM's API reference (§1) documents for each answer, so `/openapi.json` says
what every route returns and a schema-driven fuzzer checks the answers against it; FastAPI
checks each answer on its way out, so a shape that drifts is a server error in the tests,
not a surprise in a client. Models are open (`extra="allow"`) where IBM's objects carry
more than the fields qrt reads, and routes leave out what a handler did not set
(`IbmRoute`), so no answer grows nulls IBM would not send.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field


class IbmRoute(APIRoute):
    """A route whose answer keeps exactly the fields its handler set (no added nulls)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(*args, **kwargs)


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenShape(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- errors -------------------------------------------------------------------------------


class ErrorItem(Shape):
    code: str
    message: str
    more_info: str


class ErrorBody(Shape):
    """IBM's `ErrorContainer` (reference §1.10)."""

    errors: list[ErrorItem] = Field(min_length=1)
    trace: str


class LoopbackErrorDetail(Shape):
    statusCode: int  # noqa: N815 - the wire name
    name: str
    message: str
    code: str


class LoopbackError(Shape):
    """The older auth server's error shape."""

    error: LoopbackErrorDetail


class DetailError(Shape):
    """FastAPI's own error shape, which the transpiler service answers with."""

    detail: str


class IamErrorContext(Shape):
    requestId: str  # noqa: N815


class IamError(Shape):
    errorCode: str  # noqa: N815
    errorMessage: str  # noqa: N815
    context: IamErrorContext


def refusals(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a router whose every refusal has `model`'s shape."""
    return {"4XX": {"model": model, "description": "The request was refused; the body says why."}}


IBM_REFUSALS = refusals(ErrorBody)
# For a route that answers text: FastAPI would give its refusals the route's media type.
IBM_REFUSALS_AS_JSON: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "The request was refused; the body says why.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
}
JSON_OBJECT: dict[str, Any] = {"schema": {"type": "object"}}
PLAIN_TEXT: dict[str, Any] = {"schema": {"type": "string"}}


# --- meta, backends -----------------------------------------------------------------------


class ApiVersion(Shape):
    version: str
    status: str
    sunset_date: str | None = None


class Versions(Shape):
    versions: list[ApiVersion]


class Metric(OpenShape):
    value: float


class ProcessorType(Shape):
    family: str
    revision: str


class DeviceStatus(Shape):
    name: str
    reason: str


class Clops(Shape):
    type: str
    value: float


class WaitTime(Shape):
    average: float
    p50: float
    p95: float


class DeviceSummary(OpenShape):
    name: str
    status: DeviceStatus
    is_simulator: bool
    qubits: int
    processor_type: ProcessorType
    performance_metrics: dict[str, Metric]
    queue_length: int
    clops: Clops | None = None
    wait_time_seconds: WaitTime | None = None


class Devices(Shape):
    devices: list[DeviceSummary]


class DeviceNames(Shape):
    """The older API's listing: names only."""

    devices: list[str]


class BackendConfiguration(OpenShape):
    backend_name: str
    n_qubits: int
    basis_gates: list[str]


class BackendProperties(OpenShape):
    """A calibration, or `{}` when none is older than `updated_before` (as IBM answers)."""

    backend_name: str | None = None
    last_update_date: str | None = None
    qubits: list[list[dict[str, Any]]] | None = None
    gates: list[dict[str, Any]] | None = None


class BackendStatus(OpenShape):
    state: bool
    status: str
    message: str
    length_queue: int
    backend_version: str


# --- jobs ---------------------------------------------------------------------------------


class JobCreated(Shape):
    id: str
    backend: str
    session_id: str | None = None


class JobState(Shape):
    status: str
    reason: str
    reason_code: int | None = None


class LegacyJobState(Shape):
    status: str
    reason: str
    reasonCode: int | None = None  # noqa: N815


class ProgramRef(Shape):
    id: str


class JobUsage(Shape):
    qpu_charge_time_seconds: float
    status: Literal["complete", "pending"]


class Job(Shape):
    """A job (reference §1.7.3)."""

    id: str
    backend: str
    state: JobState
    status: str
    program: ProgramRef
    created: str
    cost: int
    tags: list[str]
    session_id: str | None
    user_id: str
    runtime: str
    private: bool
    usage: JobUsage
    estimated_running_time_seconds: float
    params: dict[str, Any] | None = None


class LegacyJob(Job):
    state: LegacyJobState  # type: ignore[assignment]
    hub: str
    group: str
    project: str


class JobsPage(Shape):
    jobs: list[Job]
    count: int
    offset: int
    limit: int


class LegacyJobsPage(JobsPage):
    jobs: list[LegacyJob]  # type: ignore[assignment]


class JobTimestamps(Shape):
    created: str
    running: str | None
    finished: str | None


class JobMetrics(Shape):
    caller: str | None
    timestamps: JobTimestamps
    usage: JobUsage
    circuits_execution_time_ns: int | None
    qiskit_version: str


class Tags(Shape):
    tags: list[str]


# --- sessions, instances ------------------------------------------------------------------


class SessionTimestamp(Shape):
    status: str
    timestamp: str


class Session(Shape):
    """A session or batch (reference §1.8)."""

    id: str
    backend_name: str
    mode: Literal["dedicated", "batch"]
    state: Literal["open", "active", "inactive", "closed"]
    state_reason: str | None
    accepting_jobs: bool
    interactive_ttl: int | None
    max_ttl: int
    active_ttl: int
    started_at: str | None
    activated_at: str | None
    closed_at: str | None
    last_job_started: str | None
    last_job_completed: str | None
    timestamps: list[SessionTimestamp]
    user_id: str
    elapsed_time: float | None


class UsagePeriod(Shape):
    start_time: str
    end_time: str


class InstanceUsage(Shape):
    instance_id: str
    plan_id: str
    usage_period: UsagePeriod
    usage_consumed_seconds: float
    usage_limit_reached: bool
    usage_limit_seconds: float | None = None


class Instance(Shape):
    id: str
    plan_id: str
    backends: list[str]
    instance_limit_seconds: float | None
    usage_allocation_seconds: float | None


class InstanceLimit(Shape):
    instance_limit: float | None


class RequestCounts(Shape):
    requests: int
    by_path: dict[str, int]


class FaultSpecAnswer(Shape):
    spec: str


# --- identity, the older API's account ----------------------------------------------------


class IamToken(Shape):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    expiration: int
    scope: str


class AccessToken(Shape):
    id: str
    ttl: int
    created: str
    userId: str  # noqa: N815


class UserServices(OpenShape):
    runtime: str


class UserUrls(OpenShape):
    http: str
    ws: str
    services: UserServices


class User(OpenShape):
    userId: str  # noqa: N815
    username: str
    urls: UserUrls
    terms: dict[str, bool]


class NetworkProject(Shape):
    name: str
    isDefault: bool  # noqa: N815


class NetworkGroup(Shape):
    name: str
    isDefault: bool  # noqa: N815
    projects: dict[str, NetworkProject]


class NetworkHub(Shape):
    name: str
    isDefault: bool  # noqa: N815
    groups: dict[str, NetworkGroup]


# --- the transpiler service ---------------------------------------------------------------


class TranspileTaskCreated(Shape):
    task_id: str


class AiReport(Shape):
    requested: str
    use_ai: bool | None
    layout_mode: str
    applied: bool
    reason: str


class TranspileTask(Shape):
    task_id: str
    state: Literal["PENDING", "STARTED", "SUCCESS", "FAILURE"]
    result: Any
    ai: AiReport


class TranspilerVersion(OpenShape):
    qiskit: str


class WorkloadUsage(Shape):
    qpu_charge_time_seconds: float
    status: Literal["complete", "pending"] | None = None  # jobs only


class Workload(Shape):
    """A job outside any session, or a session or batch (IBM's WorkloadResponse)."""

    id: str
    created: str
    ended: str | None = None
    backend: str
    instance: str
    user_id: str
    accepting_jobs: bool | None
    mode: Literal["job", "session", "batch"]
    status: Literal["pending", "in_progress", "completed", "failed", "canceled"]
    status_reason: str | None = None
    tags: list[str]
    usage_seconds: float | None = None
    usage: WorkloadUsage | None = None
    estimated_running_time_seconds: float | None = None


class UrlCursor(Shape):
    href: str


class WorkloadsPage(Shape):
    workloads: list[Workload]
    total_count: int
    limit: int
    previous: UrlCursor | None = None
    next: UrlCursor | None = None
