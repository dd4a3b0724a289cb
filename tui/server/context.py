"""What the request handlers share: settings, store, catalogue, token issuer, scheduler."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from tui.local_defaults import LEGACY_INSTANCE, LOCAL_INSTANCE
from tui.server.auth_throttle import AuthThrottle
from tui.server.backends import Catalogue
from tui.server.errors import ApiProblem
from tui.server.faults import FaultInjector
from tui.server.iam import TokenClaims, TokenIssuer
from tui.server.methods import DEFAULT_MEMORY_MIB
from tui.server.scheduler import JobScheduler
from tui.server.store import Store
from tui.server.validation import SubmissionChecker

DEFAULT_INSTANCE = LOCAL_INSTANCE
DEFAULT_LEGACY_INSTANCE = LEGACY_INSTANCE

API_VERSIONS = (
    ("2024-01-01", "deprecated", "2027-01-01"),
    ("2025-01-01", "deprecated", "2027-01-01"),
    ("2025-05-01", "deprecated", "2027-01-01"),
    ("2026-02-01", "deprecated", "2027-02-01"),
    ("2026-02-15", "deprecated", "2027-02-15"),
    ("2026-03-15", "deprecated", "2027-03-15"),
    ("2026-04-15", "live", None),
)
KNOWN_API_VERSIONS = frozenset(version for version, _, _ in API_VERSIONS)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ServiceSettings:
    api_key: str
    data_dir: Path
    instance: str = DEFAULT_INSTANCE
    legacy_instance: str = DEFAULT_LEGACY_INSTANCE
    workers: int = 2
    worker_memory_mib: int = DEFAULT_MEMORY_MIB  # what one job's simulation may use
    max_job_seconds: float = 3600.0  # a cap on every job's max_execution_time
    max_body_bytes: int = 16 * 1024 * 1024
    faults: str | None = None  # None: fault injection off and not controllable
    rate_limit: float | None = None  # requests per second per client; None: unlimited
    count_requests: bool = False  # GET /qrt/stats, for benchmarks
    loopback_only: bool = True  # requests must name a loopback Host (see HostGuardMiddleware)


@dataclass
class ServiceContext:
    settings: ServiceSettings
    store: Store
    catalogue: Catalogue
    issuer: TokenIssuer
    scheduler: JobScheduler
    checker: SubmissionChecker
    throttle: AuthThrottle = field(default_factory=AuthThrottle)
    faults: FaultInjector | None = None

    def authorize(self, request: Request) -> TokenClaims:
        """Check the bearer token, the instance and the API version of a request."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiProblem(
                401, "Missing bearer token: exchange your API key at /identity/token first."
            )
        claims = self.throttle.bearer(request, token.strip(), self.issuer)
        crn = request.headers.get("service-crn")
        if not crn:
            raise ApiProblem(400, "The Service-CRN header is required.")
        if crn != self.settings.instance:
            raise ApiProblem(403, "This token is not allowed to use the instance in Service-CRN.")
        version = request.headers.get("ibm-api-version")
        if version is not None and (not _DATE.match(version) or version not in KNOWN_API_VERSIONS):
            raise ApiProblem(
                400,
                f"Unsupported IBM-API-Version '{version}'; "
                f"supported: {', '.join(sorted(KNOWN_API_VERSIONS))}.",
            )
        return claims
