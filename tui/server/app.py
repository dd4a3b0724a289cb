"""create_app(settings) -> the local Runtime-compatible service as a FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from tui.server import sessions
from tui.server.access_tokens import AccessTokens, LegacyCredentials
from tui.server.backends import Catalogue, user_cache_dir
from tui.server.cloud import cloud_router
from tui.server.context import ServiceContext, ServiceSettings
from tui.server.errors import ApiProblem, install_error_handlers
from tui.server.faults import CONTROL_PATH, FaultInjector, FaultMiddleware, FaultSpecError
from tui.server.iam import TokenIssuer, iam_router, load_signing_secret
from tui.server.instances import instances_router
from tui.server.legacy import legacy_router
from tui.server.limits import BodyLimitMiddleware, HostGuardMiddleware
from tui.server.ratelimit import RateLimitMiddleware, TokenBucketLimiter
from tui.server.responses import IBM_REFUSALS, FaultSpecAnswer
from tui.server.scheduler import JobScheduler
from tui.server.stats import CountRequests, RequestCounter, stats_router
from tui.server.store import DATABASE_NAME, Store
from tui.server.transpile_tasks import TranspileTasks
from tui.server.transpiler import transpiler_router
from tui.server.validation import SubmissionChecker
from tui.server.workers import WorkerLimits
from tui.server.workloads import workloads_router


def create_app(
    settings: ServiceSettings,
    on_ready: Callable[[], None] | None = None,
    on_stopping: Callable[[], None] | None = None,
) -> FastAPI:
    faults = FaultInjector(settings.faults) if settings.faults is not None else None
    store = Store(settings.data_dir / DATABASE_NAME, is_full=faults.store_full if faults else None)
    catalogue = Catalogue(cache_dir=user_cache_dir())
    context = ServiceContext(
        settings=settings,
        store=store,
        catalogue=catalogue,
        issuer=TokenIssuer(
            settings.api_key, load_signing_secret(settings.data_dir),
            bound_to=f"{settings.instance}\0{settings.legacy_instance}",
        ),
        scheduler=JobScheduler(
            store, catalogue, settings.workers,
            on_job_started=sessions.job_started, on_job_finished=sessions.job_finished,
            is_held=faults.scheduler_held if faults else (lambda: False),
            limits=WorkerLimits(memory_mib=settings.worker_memory_mib),
            max_job_seconds=settings.max_job_seconds,
        ),
        checker=SubmissionChecker(settings.worker_memory_mib),
        faults=faults,
    )
    legacy_credentials = LegacyCredentials(context.issuer, AccessTokens(store, context.issuer.binding), context.throttle)
    transpile_tasks = TranspileTasks(store, catalogue)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        catalogue.warm()
        context.checker.start()
        context.scheduler.start()
        transpile_tasks.start()
        if on_ready is not None:
            on_ready()
        yield
        if on_stopping is not None:
            on_stopping()
        try:
            transpile_tasks.stop()
            context.scheduler.stop()
            context.checker.stop()
        finally:
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

    # Added innermost first: a request meets the rate limit, then the body limits, then faults.
    if faults is not None:
        app.add_middleware(FaultMiddleware, injector=faults)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit is not None:
        app.add_middleware(
            RateLimitMiddleware, limiter=TokenBucketLimiter(settings.rate_limit),
            is_verified=context.issuer.is_known,
        )

    if settings.loopback_only:
        app.add_middleware(HostGuardMiddleware)

    if faults is not None:
        app.include_router(fault_control_router(context, faults))
    if settings.count_requests:
        counter = RequestCounter()
        app.add_middleware(CountRequests, counter=counter)
        app.include_router(stats_router(context, counter))
    app.include_router(iam_router(context.issuer, context.throttle))
    app.include_router(cloud_router(context))
    app.include_router(sessions.sessions_router(context))
    app.include_router(legacy_router(context, legacy_credentials))
    app.include_router(transpiler_router(transpile_tasks, legacy_credentials, catalogue))
    app.include_router(instances_router(context))
    app.include_router(workloads_router(context))
    return app


class FaultSpec(BaseModel):
    spec: str


def fault_control_router(context: ServiceContext, faults: FaultInjector) -> APIRouter:
    router = APIRouter(dependencies=[Depends(context.authorize)], responses=IBM_REFUSALS)

    @router.put(CONTROL_PATH, tags=["faults"], response_model=FaultSpecAnswer)
    def set_faults(body: FaultSpec) -> dict[str, str]:
        try:
            faults.replace(body.spec)
        except FaultSpecError as exc:
            raise ApiProblem(400, str(exc)) from None
        context.scheduler.notify()
        return {"spec": faults.spec}

    return router
