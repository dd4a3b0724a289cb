"""A backend's configuration, properties and status: the same in both APIs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from tui.server.backends import DeviceSnapshot
from tui.server.context import ServiceContext
from tui.server.errors import ApiProblem

BackendName = Annotated[str, Path(max_length=64, examples=["ibm_brisbane"])]


def device_or_404(context: ServiceContext, name: str) -> DeviceSnapshot:
    device = context.catalogue.get(name)
    if device is None:
        raise ApiProblem(404, f"Backend {name} not found.")
    return device


def add_backend_detail_routes(router: APIRouter, context: ServiceContext) -> None:
    """A backend's configuration, properties and status, identical in both APIs."""

    @router.get("/backends/{name}/configuration", tags=["backends"])
    def backend_configuration(name: BackendName) -> dict[str, Any]:
        return device_or_404(context, name).configuration

    @router.get("/backends/{name}/properties", tags=["backends"])
    def backend_properties(name: BackendName) -> dict[str, Any]:
        properties = device_or_404(context, name).properties
        if properties is None:
            raise ApiProblem(404, f"Backend {name} has no calibration properties.")
        return properties

    @router.get("/backends/{name}/status", tags=["backends"])
    def backend_status(name: BackendName) -> dict[str, Any]:
        device = device_or_404(context, name)
        return {
            "state": True,
            "status": "active",
            "message": "available",
            "length_queue": context.store.queue_lengths().get(name, 0),
            "backend_version": str(device.configuration.get("backend_version", "0.0.0")),
        }
