"""Getting and refreshing the credentials each channel sends with its requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from tui.api.errors import ApiError, Unauthorized, Unavailable, error_from_response
from tui.secret import Secret

API_KEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


class Authenticator(Protocol):
    async def auth_headers(self, http: httpx.AsyncClient) -> dict[str, str]: ...

    def invalidate(self) -> None:
        """Forget the current credential (after a 401) so the next call gets a new one."""

    async def sign_out(self, http: httpx.AsyncClient) -> None:
        """End the sign-in: forget the credential, and revoke it where the channel can."""


class IamAuthenticator:
    """IBM Cloud IAM: API key -> bearer token, refreshed before it expires.

    Refreshes once 80% of the token's life has passed, as IBM's own SDK does, so a token
    never expires in the middle of a poll cycle.
    """

    def __init__(
        self,
        api_key: Secret,
        iam_url: str,
        timeout: float = 20.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        self._clock = clock
        self._token_url = iam_url.rstrip("/").removesuffix("/identity/token") + "/identity/token"
        self._timeout = timeout
        self._token: Secret | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._token = None

    async def sign_out(self, http: httpx.AsyncClient) -> None:
        """IAM bearer tokens cannot be revoked by their holder; forgetting is all there is."""
        self.invalidate()

    async def auth_headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                await self._fetch_token(http)
            assert self._token is not None
            return {"Authorization": f"Bearer {self._token.reveal()}"}

    async def _fetch_token(self, http: httpx.AsyncClient) -> None:
        try:
            response = await http.post(
                self._token_url,
                data={"grant_type": API_KEY_GRANT, "apikey": self._api_key.reveal()},
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise Unavailable(f"Cannot reach the sign-in service ({type(exc).__name__}).") from None
        if response.status_code in (400, 401, 403):
            raise Unauthorized("The API key was not accepted by the sign-in service.", 401)
        if response.status_code != 200:
            raise error_from_response(response)
        body = response.json()
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ApiError("The sign-in service returned no access token.")
        lifetime = float(body.get("expires_in") or 3600)
        now = self._clock()
        self._token = Secret(token)
        self._refresh_at = now + 0.8 * lifetime
