"""Fault injection, so that client resilience is tested against the real server.

A spec is a `;`-separated list of rules `PATH:KIND=VALUE[xCOUNT][@PROBABILITY]`:
- `/api/v1/jobs:status=503x3`  the next three requests under that path get a 503
- `/api/v1/jobs:status=429`     every request gets a 429 with `Retry-After: 1`
- `*:latency=0.5@0.2`           a fifth of all requests wait half a second first
- `/api/v1/jobs:stall=2x1`      the next request is served, but its response waits 2 s
                                (a client that times out cannot know whether it worked)
- `/api/v1/jobs:drop=0x1`       the next request's connection is closed before it is
                                served, without a response (clients see a reset)
- `/api/v1/jobs:lost=0x1`       the next request is served (a job is created), then its
                                connection is closed instead of answering
- `scheduler:hold=1`            no queued job starts until the rule is removed
- `store:full=1`                every write to the database fails as on a full disk
                                (SQLite's "database or disk is full"), until removed

For `drop` and `lost` the value is a delay in seconds before the connection is closed.

PATH is a path prefix, or `*` for every path. The spec is set with `qrt serve --faults`
and can be replaced at run time with `PUT /qrt/faults {"spec": "..."}` (same auth).
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.server.errors import error_response
from tui.server.protocol import DROP_CONNECTION

CONTROL_PATH = "/qrt/faults"

_RULE = re.compile(
    r"^(?P<path>[^:]+):(?P<kind>status|latency|stall|hold|drop|lost|full)=(?P<value>[0-9.]+)"
    r"(?:x(?P<count>\d+))?(?:@(?P<probability>[0-9.]+))?$"
)


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultRule:
    path: str
    kind: str
    value: float
    remaining: int | None = None
    probability: float = 1.0

    def matches(self, path: str) -> bool:
        return self.path == "*" or path.startswith(self.path)


def parse_spec(spec: str) -> list[FaultRule]:
    rules: list[FaultRule] = []
    for text in filter(None, (part.strip() for part in spec.split(";"))):
        match = _RULE.match(text)
        if match is None:
            raise FaultSpecError(f"cannot read fault rule '{text}' (see qrt serve --help)")
        value = float(match["value"])
        probability = float(match["probability"]) if match["probability"] else 1.0
        if match["kind"] == "status" and not 400 <= value <= 599:
            raise FaultSpecError(f"'{text}': status must be 400..599")
        if not 0 < probability <= 1:
            raise FaultSpecError(f"'{text}': probability must be in (0, 1]")
        rules.append(
            FaultRule(match["path"], match["kind"], value,
                      int(match["count"]) if match["count"] else None, probability)
        )
    return rules


class FaultInjector:
    """The rules in force; shared by the middleware, the scheduler and the control route."""

    def __init__(self, spec: str = "") -> None:
        self._lock = threading.Lock()
        self._rules = parse_spec(spec)
        self.spec = spec

    def replace(self, spec: str) -> None:
        rules = parse_spec(spec)
        with self._lock:
            self._rules = rules
            self.spec = spec

    def take(self, path: str, kinds: tuple[str, ...]) -> list[FaultRule]:
        fired: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if rule.kind not in kinds or not rule.matches(path):
                    continue
                if rule.remaining == 0 or random.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                fired.append(rule)
        return fired

    def store_full(self) -> bool:
        with self._lock:
            return any(rule.kind == "full" and rule.path == "store" for rule in self._rules)

    def scheduler_held(self) -> bool:
        with self._lock:
            return any(rule.kind == "hold" and rule.path == "scheduler" for rule in self._rules)


class FaultMiddleware:
    """Pure ASGI, so that a rule can also end a request without any response."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path or path.startswith(CONTROL_PATH):
            await self.app(scope, receive, send)
            return
        for rule in self.injector.take(path, ("latency", "status", "drop")):
            if rule.kind == "latency":
                await asyncio.sleep(rule.value)
            elif rule.kind == "drop":
                await _drop_connection(scope, receive, send, rule.value)
                return
            else:
                status = int(rule.value)
                headers = {"Retry-After": "1"} if status == 429 else None
                await error_response(status, f"Injected fault: {status}", headers=headers)(
                    scope, receive, send
                )
                return
        lost = self.injector.take(path, ("lost",))
        if lost:
            await self.app(scope, receive, _discard)
            await _drop_connection(scope, receive, send, lost[0].value)
            return
        stall = sum(rule.value for rule in self.injector.take(path, ("stall",)))
        await self.app(scope, receive, _delayed(send, stall) if stall else send)


def _delayed(send: Send, seconds: float) -> Send:
    """A `send` that holds the response back: the request is served, the answer is late."""

    async def delayed_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return delayed_send


async def _discard(_: Message) -> None:
    """A `send` for a response that is never going to reach the client."""


async def _drop_connection(scope: Scope, receive: Receive, send: Send, delay: float) -> None:
    await asyncio.sleep(delay)
    drop = scope.get("extensions", {}).get(DROP_CONNECTION)
    if drop is None:
        await error_response(503, "Injected fault: this server cannot drop connections")(
            scope, receive, send
        )
        return
    drop()
