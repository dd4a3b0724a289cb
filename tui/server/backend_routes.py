"""A backend's configuration, properties and status: the same in both APIs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Path

from tui.server.backends import DeviceSnapshot
from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem
from tui.server.responses import BackendConfiguration, BackendProperties, BackendStatus

BackendName = Annotated[str, Path(max_length=64, examples=["ibm_brisbane"])]


def device_or_404(context: ServiceContext, name: str) -> DeviceSnapshot:
    device = context.catalogue.get(name)
    if device is None:
        raise ApiProblem(404, f"Backend {name} not found.")
    return device


def add_backend_detail_routes(router: APIRouter, context: ServiceContext) -> None:
    """A backend's configuration, properties and status, identical in both APIs."""

    @router.get("/backends/{name}/configuration", tags=["backends"], response_model=BackendConfiguration)
    def backend_configuration(name: BackendName) -> dict[str, Any]:
        return device_or_404(context, name).configuration

    @router.get("/backends/{name}/properties", tags=["backends"], response_model=BackendProperties)
    def backend_properties(name: BackendName, updated_before: str | None = None) -> dict[str, Any]:
        """The calibration; with `updated_before`, the latest one older than that, which
        for a snapshot is the one calibration or none (`{}`, as IBM answers then)."""
        properties = device_or_404(context, name).properties
        if properties is None:
            raise ApiProblem(404, f"Backend {name} has no calibration properties.")
        if updated_before is not None:
            before = _moment("updated_before", updated_before)
            calibrated = _moment("last_update_date", str(properties.get("last_update_date") or ""), quiet=True)
            if before is None or calibrated is None or calibrated >= before:
                return {}
        return properties

    @router.get("/backends/{name}/status", tags=["backends"], response_model=BackendStatus)
    def backend_status(name: BackendName) -> dict[str, Any]:
        device = device_or_404(context, name)
        return {
            "state": True,
            "status": "active",
            "message": "available",
            "length_queue": context.store.queue_lengths().get(name, 0),
            "backend_version": str(device.configuration.get("backend_version", "0.0.0")),
        }


def _moment(name: str, text: str, quiet: bool = False) -> datetime | None:
    """An ISO-8601 time (UTC when it names no zone); a 400 naming `name`, or None if `quiet`."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        if quiet:
            return None
        raise ApiProblem(400, f"{name} must be an ISO-8601 date or time, got {text[:40]!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
