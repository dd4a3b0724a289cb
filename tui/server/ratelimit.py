"""`qrt serve --rate-limit N`: a token bucket per client, answered with 429 and Retry-After.

A client is its bearer token once the service has verified it (hashed, so that no token is
kept), else its address: an unverified credential never chooses the bucket, or a fresh
junk header per request would get a fresh allowance each time. Each bucket holds one
second's worth of requests, so a client may burst to N and then sustains N a second.
Readiness (`/api/v1/versions`) is never limited.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from tui.server.errors import error_response

READINESS_PATH = "/versions"
_MAX_TRACKED_CLIENTS = 10_000


class TokenBucketLimiter:
    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)

    def take(self, client: str) -> float:
        """0 if the client may go ahead now, else the seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > _MAX_TRACKED_CLIENTS:
                    self._forget_refilled(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget_refilled(self, now: float) -> None:
        """Drop buckets that are full again: they behave exactly like absent ones."""
        self._buckets = {
            client: (tokens, then)
            for client, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.rate < self.capacity
        }


def client_key(scope: Scope, is_verified: Callable[[str], bool]) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"authorization" and value:
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and is_verified(token.strip()):
                return "credential:" + hashlib.blake2b(value, digest_size=16).hexdigest()
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    def __init__(
        self, app: ASGIApp, limiter: TokenBucketLimiter, is_verified: Callable[[str], bool]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.is_verified = is_verified

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].endswith(READINESS_PATH):
            wait = self.limiter.take(client_key(scope, self.is_verified))
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                response = error_response(
                    429,
                    f"Rate limit of {self.limiter.rate:g} requests per second exceeded; "
                    f"retry in {retry_after} s.",
                    headers={"Retry-After": str(retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
