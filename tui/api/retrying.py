"""Sending a request with bounded retries, shared by every REST service qrt talks to.

Idempotent calls are retried with exponential backoff and jitter on connection errors, 5xx
and 429 (honouring Retry-After). A call that is not idempotent is retried only when it
surely never reached the service (the connection could not be made) or on 429.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import httpx

from tui.api.auth import Authenticator
from tui.api.errors import ApiError, RateLimited, Unauthorized, Unavailable, error_from_response

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 524})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return min(self.max_delay, self.base_delay * 2**attempt) * random.uniform(0.5, 1.0)


async def send_with_retries(
    http: httpx.AsyncClient,
    authenticator: Authenticator,
    retry: RetryPolicy,
    method: str,
    url: str,
    *,
    idempotent: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    """The successful response, or the ApiError subclass that says why there is none.

    A 401 gets one fresh sign-in (the credential may have expired) before it counts.
    """
    extra_headers = kwargs.pop("headers", {})
    reauthenticated = False
    attempt = 0
    while True:
        retry_after: float | None = None
        try:
            headers = {**extra_headers, **await authenticator.auth_headers(http)}
            response = await http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
            where = url.split("?", 1)[0]
            failure: ApiError = Unavailable(
                f"Cannot reach {where} ({type(exc).__name__}).", request_sent=not never_sent
            )
            if not idempotent and not never_sent:
                raise failure from None
        else:
            if response.is_success:
                return response
            failure = error_from_response(response)
            if isinstance(failure, Unauthorized) and not reauthenticated:
                authenticator.invalidate()
                reauthenticated = True
                continue
            retryable = response.status_code in RETRYABLE_STATUSES
            if not retryable or (not idempotent and response.status_code != 429):
                raise failure
            if isinstance(failure, RateLimited):
                retry_after = failure.retry_after
        attempt += 1
        if attempt >= retry.attempts:
            raise failure
        await asyncio.sleep(retry.delay(attempt - 1, retry_after))
