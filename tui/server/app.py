"""create_app(settings) -> the local Runtime-compatible service as a FastAPI app."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel

from tui.server import sessions
from tui.server.backends import Catalogue
from tui.server.cloud import cloud_router
from tui.server.context import ServiceContext, ServiceSettings, pubs_module
from tui.server.errors import ApiProblem, error_response, install_error_handlers
from tui.server.faults import FaultInjector, FaultSpecError
from tui.server.iam import TokenIssuer, iam_router, load_signing_secret
from tui.server.scheduler import JobScheduler
from tui.server.stats import CountRequests, RequestCounter, stats_router
from tui.server.store import Store


def _warm_imports() -> None:
    """Parse-time imports (qiskit) in the background, so the first submission is quick."""
    pubs_module()


def create_app(
    settings: ServiceSettings, on_ready: Callable[[], None] | None = None
) -> FastAPI:
    store = Store(settings.data_dir / "qrt-serve.sqlite3")
    catalogue = Catalogue()
    faults = FaultInjector(settings.faults) if settings.faults is not None else None
    context = ServiceContext(
        settings=settings,
        store=store,
        catalogue=catalogue,
        issuer=TokenIssuer(settings.api_key, load_signing_secret(settings.data_dir)),
        scheduler=JobScheduler(
            store, catalogue, settings.workers,
            on_job_started=sessions.job_started, on_job_finished=sessions.job_finished,
            is_held=faults.scheduler_held if faults else (lambda: False),
        ),
        faults=faults,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        context.scheduler.start()
        threading.Thread(target=_warm_imports, name="qrt-warm", daemon=True).start()
        if on_ready is not None:
            on_ready()
        yield
        context.scheduler.stop()
        store.close()

    app = FastAPI(
        title="qrt local Runtime-compatible service",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    install_error_handlers(app)

    @app.middleware("http")
    async def limit_body_size(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return error_response(400, "Content-Length is not a number.")
            if int(declared) > settings.max_body_bytes:
                return error_response(
                    413, f"Request body over {settings.max_body_bytes} bytes."
                )
        if faults is not None:
            injected = await faults.before_request(request.url.path)
            if injected is not None:
                return injected
            response = await call_next(request)
            await faults.after_request(request.url.path)
            return response
        return await call_next(request)

    if faults is not None:
        app.include_router(fault_control_router(context, faults))
    if settings.count_requests:
        counter = RequestCounter()
        app.add_middleware(CountRequests, counter=counter)
        app.include_router(stats_router(context, counter))
    app.include_router(iam_router(context.issuer))
    app.include_router(cloud_router(context))
    app.include_router(sessions.sessions_router(context))
    return app


class FaultSpec(BaseModel):
    spec: str


def fault_control_router(context: ServiceContext, faults: FaultInjector) -> APIRouter:
    router = APIRouter(dependencies=[Depends(context.authorize)])

    @router.put("/qrt/faults", tags=["faults"])
    def set_faults(body: FaultSpec) -> dict[str, str]:
        try:
            faults.replace(body.spec)
        except FaultSpecError as exc:
            raise ApiProblem(400, str(exc)) from None
        context.scheduler.notify()
        return {"spec": faults.spec}

    return router
