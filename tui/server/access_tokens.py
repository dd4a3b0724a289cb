"""Access tokens of the older API (`loginWithToken` / `logout`), kept in SQLite.

Only an HMAC of each token is stored: the tokens are 384 random bits, so a hash is as good
as the token for lookup and useless to anyone who reads the database. The HMAC's key
changes with the API key and the instances (`TokenIssuer.binding`), so a restart with a
rotated key revokes every older token; otherwise rows outlive a restart, so a notebook
keeps working across one, and go on logout or at expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from fastapi import Request

from tui.server.auth_throttle import AuthThrottle
from tui.server.iam import TokenIssuer, address_of
from tui.server.store import Store, utc_now

DEFAULT_TTL_SECONDS = 1209600  # two weeks: the ttl in recorded answers of IBM's classic login
LOCAL_USER_ID = "local-user"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS access_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class AccessToken:
    id: str = field(repr=False)  # the secret itself: never in a repr or a log
    ttl: int
    created: str
    user_id: str = LOCAL_USER_ID


class AccessTokens:
    def __init__(self, store: Store, binding: bytes) -> None:
        self._store = store
        self._binding = binding
        store.add_tables(_SCHEMA)

    def _digest(self, token: str) -> str:
        return hmac.new(self._binding, token.encode("utf-8", errors="replace"), hashlib.sha256).hexdigest()

    def issue(self, ttl: int = DEFAULT_TTL_SECONDS) -> AccessToken:
        token = AccessToken(id=secrets.token_urlsafe(48), ttl=ttl, created=utc_now())
        with self._store.transaction() as db:
            db.execute("DELETE FROM access_tokens WHERE expires_at <= ?", (time.time(),))
            db.execute(
                "INSERT INTO access_tokens (token_sha256, user_id, created, expires_at) "
                "VALUES (?,?,?,?)",
                (self._digest(token.id), token.user_id, token.created, time.time() + ttl),
            )
        return token

    def is_valid(self, token: str) -> bool:
        rows = self._store.query(
            "SELECT 1 FROM access_tokens WHERE token_sha256 = ? AND expires_at > ?",
            (self._digest(token), time.time()),
        )
        return bool(rows)

    def revoke(self, token: str) -> bool:
        """Forget a token; False if it was not valid (unknown, revoked or expired)."""
        with self._store.transaction() as db:
            cursor = db.execute(
                "DELETE FROM access_tokens WHERE token_sha256 = ? AND expires_at > ?",
                (self._digest(token), time.time()),
            )
            return cursor.rowcount == 1


class LegacyCredentials:
    """Who may use the older API and the transpiler: the API key itself, or a login token."""

    def __init__(self, issuer: TokenIssuer, tokens: AccessTokens, throttle: AuthThrottle) -> None:
        self._issuer = issuer
        self.tokens = tokens
        self._throttle = throttle

    def accepts_api_key(self, request: Request, candidate: str) -> bool:
        return self._throttle.check(
            address_of(request), candidate, lambda: self._issuer.key_matches(candidate)
        )

    def accepts(self, request: Request) -> bool:
        """Whether the request's credential is good; failures throttled (429 once too many)."""
        access_token = request.headers.get("x-access-token", "").strip()
        if access_token:
            return self._throttle.check(
                address_of(request), access_token, lambda: self.tokens.is_valid(access_token)
            )
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            return False
        return self._throttle.check(
            address_of(request), value,
            lambda: self._issuer.key_matches(value) or self.tokens.is_valid(value),
        )
