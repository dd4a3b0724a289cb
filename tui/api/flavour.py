"""How the two generations of the Runtime REST API differ, so RuntimeClient has one code path.

Today's API (`/api/v1`) names the instance by CRN in a `Service-CRN` header and pins an
`IBM-API-Version`; the older API of the origin notebook (`/runtime`, reference §5) names it
by hub/group/project in the bodies, takes neither header, lists backends by name only and
calls a session's time limit `max_session_ttl`. Everything else is the same wire format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.local_defaults import hub_group_project

API_VERSION = "2026-04-15"


@dataclass(frozen=True)
class ApiFlavour:
    """Today's API; LegacyFlavour overrides what the older one does differently."""

    base_path: str = "/api/v1"
    lists_backend_names_only: bool = False
    session_ttl_field: str = "max_ttl"

    def headers(self, instance: str) -> dict[str, str]:
        """Headers every request carries, besides the credential."""
        return {"Service-CRN": instance, "IBM-API-Version": API_VERSION}

    def job_scope(self, instance: str) -> dict[str, Any]:
        """What a job body adds to say which instance it belongs to (the header says it here)."""
        return {}

    def session_body(
        self, instance: str, backend: str, mode: str, max_ttl: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"mode": mode, "backend": backend, "instance": instance}
        if max_ttl is not None:
            body[self.session_ttl_field] = max_ttl
        return body


@dataclass(frozen=True)
class LegacyFlavour(ApiFlavour):
    base_path: str = "/runtime"
    lists_backend_names_only: bool = True
    session_ttl_field: str = "max_session_ttl"

    def headers(self, instance: str) -> dict[str, str]:
        return {}

    def job_scope(self, instance: str) -> dict[str, Any]:
        hub, group, project = hub_group_project(instance)
        return {"hub": hub, "group": group, "project": project}


CLOUD_API = ApiFlavour()
LEGACY_API = LegacyFlavour()
