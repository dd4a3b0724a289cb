"""`POST /identity/token`: the API-key -> JWT exchange, shaped like IBM Cloud IAM.

The JWT is signed (HS256) with a secret kept in the data dir, so tokens survive a restart
and cannot be forged by another user of a shared machine. The official client decodes the
token for `exp`/`iat` to schedule its refresh, which is why a real JWT is issued.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tui.server.errors import ApiProblem
from tui.server.responses import IBM_REFUSALS, IamError, IamToken

if TYPE_CHECKING:
    from tui.server.auth_throttle import AuthThrottle

API_KEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
TOKEN_LIFETIME_SECONDS = 3600
TOKEN_LIFETIME_ENV = "QRT_SERVE_TOKEN_LIFETIME"  # for tests: tokens that expire mid-run
_MAX_REMEMBERED_TOKENS = 1024


def address_of(request: Request) -> str:
    """The caller's address: with a credential's prefix, what failed logins are counted by."""
    return request.client.host if request.client else "unknown"


def token_lifetime() -> int:
    value = os.environ.get(TOKEN_LIFETIME_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else TOKEN_LIFETIME_SECONDS


def load_signing_secret(data_dir: Path) -> bytes:
    """The per-data-dir signing key, created on first start with mode 0600."""
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    expires_at: int


class TokenIssuer:
    """Issues and checks the service's JWTs.

    They are signed with a key derived from the data dir's secret, the API key and the
    instances served (`bound_to`): restarting with another `--api-key` or `--instance`
    revokes every token issued before, as rotating a key should.
    """

    def __init__(
        self, api_key: str, secret: bytes, lifetime: int | None = None, bound_to: str = ""
    ) -> None:
        self._api_key = api_key.encode()
        self._secret = hmac.new(secret, b"\0".join((self._api_key, bound_to.encode())), "sha256").digest()
        self.lifetime = lifetime or token_lifetime()
        # Every request carries the same few tokens; checking a signature costs more than
        # the rest of a job read. A token once verified is only checked for expiry again.
        self._verified: dict[str, TokenClaims] = {}

    @property
    def binding(self) -> bytes:
        """A secret that changes with the key and instances, for other credentials to use."""
        return hmac.new(self._secret, b"binding", "sha256").digest()

    def key_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._api_key)

    def issue(self, subject: str = "local-user") -> tuple[str, int]:
        now = int(time.time())
        expires_at = now + self.lifetime
        claims = {"sub": subject, "iat": now, "exp": expires_at, "iss": "qrt-serve"}
        return jwt.encode(claims, self._secret, algorithm="HS256"), expires_at

    def is_known(self, token: str) -> bool:
        """Verified before and not expired: a cache lookup, no signature checked."""
        known = self._verified.get(token)
        return known is not None and time.time() < known.expires_at

    def verify(self, token: str) -> TokenClaims:
        known = self._verified.get(token)
        if known is not None and time.time() < known.expires_at:
            return known
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["exp", "iat"]}
            )
        except jwt.ExpiredSignatureError:
            raise ApiProblem(401, "The bearer token has expired; request a new one.") from None
        except jwt.PyJWTError:
            raise ApiProblem(401, "The bearer token is not valid.") from None
        verified = TokenClaims(subject=str(claims.get("sub", "")), expires_at=int(claims["exp"]))
        if len(self._verified) >= _MAX_REMEMBERED_TOKENS:
            self._verified.clear()
        self._verified[token] = verified
        return verified


_TOKEN_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "apikey"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": [API_KEY_GRANT]},
                        "apikey": {"type": "string"},
                    },
                }
            }
        },
    }
}


def iam_router(issuer: TokenIssuer, throttle: AuthThrottle) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/identity/token", tags=["iam"], openapi_extra=_TOKEN_REQUEST_BODY,
        responses={200: {"model": IamToken}, 400: {"model": IamError}, **IBM_REFUSALS},
    )
    async def create_token(request: Request) -> JSONResponse:
        body = (await request.body()).decode("utf-8", errors="replace")
        form = {key: values[0] for key, values in parse_qs(body).items()}
        if form.get("grant_type") != API_KEY_GRANT:
            return _iam_error(400, "BXNIM0109E", f"Unsupported grant_type; use {API_KEY_GRANT}.")
        api_key = form.get("apikey", "")
        if not api_key:
            return _iam_error(400, "BXNIM0415E", "Provide an API key in the 'apikey' field.")
        if not throttle.check(address_of(request), api_key, lambda: issuer.key_matches(api_key)):
            return _iam_error(400, "BXNIM0415E", "Provided API key could not be found.")
        token, expires_at = issuer.issue()
        return JSONResponse(
            {
                "access_token": token,
                "refresh_token": "not_supported",
                "token_type": "Bearer",
                "expires_in": issuer.lifetime,
                "expiration": expires_at,
                "scope": "ibm openid",
            }
        )

    return router


def _iam_error(status: int, code: str, message: str) -> JSONResponse:
    """IAM's own error shape (not the Runtime one), as IBM Cloud answers."""
    return JSONResponse(
        {"errorCode": code, "errorMessage": message, "context": {"requestId": secrets.token_hex(8)}},
        status_code=status,
    )
