"""create_app(settings) -> the local Runtime-compatible service as a FastAPI app."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from tui.server.backends import Catalogue
from tui.server.cloud import cloud_router
from tui.server.context import ServiceContext, ServiceSettings, pubs_module
from tui.server.errors import error_response, install_error_handlers
from tui.server.iam import TokenIssuer, iam_router, load_signing_secret
from tui.server.scheduler import JobScheduler
from tui.server.store import Store


def _warm_imports() -> None:
    """Parse-time imports (qiskit) in the background, so the first submission is quick."""
    pubs_module()


def create_app(
    settings: ServiceSettings, on_ready: Callable[[], None] | None = None
) -> FastAPI:
    store = Store(settings.data_dir / "qrt-serve.sqlite3")
    catalogue = Catalogue()
    context = ServiceContext(
        settings=settings,
        store=store,
        catalogue=catalogue,
        issuer=TokenIssuer(settings.api_key, load_signing_secret(settings.data_dir)),
        scheduler=JobScheduler(store, catalogue, settings.workers),
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
        return await call_next(request)

    app.include_router(iam_router(context.issuer))
    app.include_router(cloud_router(context))
    return app
