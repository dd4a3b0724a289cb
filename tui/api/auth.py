"""Getting and refreshing the credentials each channel sends with its requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

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
        response = await _post_to_sign_in(
            http,
            self._token_url,
            self._timeout,
            data={"grant_type": API_KEY_GRANT, "apikey": self._api_key.reveal()},
        )
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


class BearerAuthenticator:
    """The API key itself as the bearer token, as the transpiler service takes it
    (reference §4): nothing to fetch, refresh or revoke."""

    def __init__(self, api_key: Secret) -> None:
        self._api_key = api_key

    def invalidate(self) -> None:
        """A static key cannot be refreshed; a second 401 reaches the caller as Unauthorized."""

    async def sign_out(self, http: httpx.AsyncClient) -> None:
        """Nothing is held on the server's side."""

    async def auth_headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key.reveal()}"}


class LegacyAuthenticator:
    """The older API (reference §5): API token -> access token, sent as `x-access-token`.

    The access token lives until its ttl (two weeks) or a logout, so it is fetched once and
    again only after a 401 (the client invalidates and retries once). `sign_out` revokes it
    on the server; after that this authenticator refuses to sign in again, so a signed-out
    client reports Unauthorized rather than quietly getting a new token.
    """

    def __init__(self, api_token: Secret, auth_url: str, timeout: float = 20.0) -> None:
        self._api_token = api_token
        self._auth_url = auth_url.rstrip("/")
        self._timeout = timeout
        self._access_token: Secret | None = None
        self._signed_out = False
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._access_token = None

    async def auth_headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        async with self._lock:
            if self._signed_out:
                raise Unauthorized("This profile has been logged out; log in again to use it.", 401)
            if self._access_token is None:
                self._access_token = await self._log_in(http)
            return {"x-access-token": self._access_token.reveal()}

    async def _log_in(self, http: httpx.AsyncClient) -> Secret:
        response = await _post_to_sign_in(
            http,
            f"{self._auth_url}/api/users/loginWithToken",
            self._timeout,
            json={"apiToken": self._api_token.reveal()},
        )
        if response.status_code in (400, 401, 403):
            raise Unauthorized("The API token was not accepted by the sign-in service.", 401)
        if response.status_code != 200:
            raise error_from_response(response)
        token = response.json().get("id")
        if not isinstance(token, str) or not token:
            raise ApiError("The sign-in service returned no access token.")
        return Secret(token)

    async def sign_out(self, http: httpx.AsyncClient) -> None:
        """Revoke the access token on the server (POST /api/users/logout), then forget it.

        A 401 means the token was already dead (expired or logged out elsewhere): the
        outcome the user asked for, so it is not an error.
        """
        async with self._lock:
            token, self._access_token, self._signed_out = self._access_token, None, True
            if token is None:
                return
            response = await _post_to_sign_in(
                http,
                f"{self._auth_url}/api/users/logout",
                self._timeout,
                headers={"x-access-token": token.reveal()},
            )
            if not response.is_success and response.status_code != 401:
                raise error_from_response(response)


async def _post_to_sign_in(
    http: httpx.AsyncClient, url: str, timeout: float, **kwargs: Any
) -> httpx.Response:
    """POST to a sign-in service; a transport failure becomes Unavailable, naming no secret."""
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    try:
        return await http.post(url, headers=headers, timeout=timeout, **kwargs)
    except httpx.TransportError as exc:
        raise Unavailable(f"Cannot reach the sign-in service ({type(exc).__name__}).") from None
