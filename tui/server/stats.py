"""Request counting, so benchmarks can count a client's requests where they arrive.

Off unless `qrt serve --count-requests` (a hidden flag): then every request except the
stats endpoint itself is counted by method and path, and `GET /qrt/stats` (same auth as
the API) returns the counts. A plain ASGI middleware, so counting costs one dict update.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends
from starlette.types import ASGIApp, Receive, Scope, Send

from tui.server.context import ServiceContext
from tui.server.responses import IBM_REFUSALS, RequestCounts

STATS_PATH = "/qrt/stats"


class RequestCounter:
    """Counts of the requests served, by `METHOD /path`; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self._counts[f"{method} {path}"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_path = dict(self._counts)
        return {"requests": sum(by_path.values()), "by_path": by_path}


class CountRequests:
    """ASGI middleware feeding a RequestCounter with every HTTP request but its own reads."""

    def __init__(self, app: ASGIApp, counter: RequestCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != STATS_PATH:
            self.counter.count(scope["method"], scope["path"])
        await self.app(scope, receive, send)


def stats_router(context: ServiceContext, counter: RequestCounter) -> APIRouter:
    router = APIRouter(dependencies=[Depends(context.authorize)], responses=IBM_REFUSALS)

    @router.get(STATS_PATH, tags=["stats"], response_model=RequestCounts)
    def stats() -> dict[str, Any]:
        return counter.snapshot()

    return router
