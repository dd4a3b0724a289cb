"""Failed authentication is throttled, always: per address and credential prefix, with backoff.

Every user of a login node shares 127.0.0.1, so an address alone cannot be the unit: a
flood of wrong keys would lock the real user out. A credential alone cannot be either: a
fresh junk token per request would get a fresh allowance each time. So failures are
counted per address *and* prefix of what was presented (the part of a token that varies),
and once a bucket has failed `FREE_FAILURES` times its next failures wait out a backoff
that doubles up to a minute (429 with Retry-After). A credential that verifies is never
throttled, so the real key, whose prefix no attacker knows, always gets through.

Readiness (`/versions`) needs no credential and is never counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from tui.server.errors import ApiProblem
from tui.server.iam import TokenClaims, TokenIssuer, address_of

FREE_FAILURES = 5
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
PREFIX_CHARACTERS = 8
_MAX_TRACKED = 10_000


@dataclass
class _Failures:
    count: int
    blocked_until: float
    last: float


def credential_prefix(credential: str) -> str:
    """The varying start of a credential: a JWT's signature, else the value itself."""
    varying = credential.rsplit(".", 1)[-1] if credential.count(".") == 2 else credential
    return varying[:PREFIX_CHARACTERS]


class AuthThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], _Failures] = {}

    def check(self, address: str, credential: str, verify: Callable[[], bool]) -> bool:
        """Verify the credential; a failure is counted, and raises 429 once throttled."""
        if verify():
            return True
        key = (address, credential_prefix(credential))
        now = self._clock()
        with self._lock:
            failures = self._failures.get(key) or _Failures(0, 0.0, now)
            if now >= failures.blocked_until and now - failures.last > MAX_BACKOFF_SECONDS:
                failures = _Failures(0, 0.0, now)  # quiet for a while: start afresh
            waiting = failures.blocked_until - now
            failures.count += 1
            failures.last = now
            if failures.count > FREE_FAILURES and waiting <= 0:
                backoff = FIRST_BACKOFF_SECONDS * 2 ** (failures.count - FREE_FAILURES - 1)
                failures.blocked_until = now + min(MAX_BACKOFF_SECONDS, backoff)
                waiting = failures.blocked_until - now
            self._failures[key] = failures
            if len(self._failures) > _MAX_TRACKED:
                self._forget_quiet(now)
        if failures.count > FREE_FAILURES:
            retry_after = max(1, int(waiting + 0.999))
            raise ApiProblem(
                429, f"Too many failed authentications from here; retry in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
        return False

    def bearer(self, request: Request, token: str, issuer: TokenIssuer) -> TokenClaims:
        """The claims of a bearer JWT, its failures throttled (401, then 429)."""
        try:
            return issuer.verify(token)
        except ApiProblem as refused:
            self.check(address_of(request), token, lambda: False)  # counted; 429 once throttled
            raise refused from None

    def _forget_quiet(self, now: float) -> None:
        self._failures = {
            key: failures for key, failures in self._failures.items()
            if failures.blocked_until > now or now - failures.last <= MAX_BACKOFF_SECONDS
        }
