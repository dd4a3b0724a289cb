"""Helpers for tests of qrt's REST client against a real `qrt serve`."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.conftest import ServiceInfo
from tui.api.auth import IamAuthenticator
from tui.api.client import RetryPolicy, RuntimeClient
from tui.config import Profile
from tui.credentials import TokenStore
from tui.local_defaults import LEGACY_INSTANCE
from tui.secret import Secret


def make_client(service: ServiceInfo, api_key: str | None = None) -> RuntimeClient:
    auth = IamAuthenticator(Secret(api_key or service.api_key), service.url)
    return RuntimeClient(f"{service.url}/api/v1", auth, service.instance)


async def wait_final(client: RuntimeClient, job_id: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = await client.job(job_id)
        if job.is_final:
            return job.status
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def legacy_profile(service: ServiceInfo, instance: str = LEGACY_INSTANCE) -> Profile:
    return Profile(name="classic", channel="legacy", url=service.url, instance=instance)


async def stored_key(service: ServiceInfo) -> TokenStore:
    tokens = TokenStore()
    await tokens.save("classic", Secret(service.api_key))
    return tokens


FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2, max_retry_after=1.5)


class CountingTransport(httpx.AsyncHTTPTransport):
    """Counts the requests the client really sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []
        self.header_names: list[tuple[str, frozenset[str]]] = []  # (path, lower-case header names)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        self.header_names.append((request.url.path, frozenset(name.lower() for name in request.headers)))
        return await super().handle_async_request(request)


def sent(transport: CountingTransport, method: str, path_end: str) -> int:
    return sum(1 for m, p in transport.requests if m == method and p.endswith(path_end))
