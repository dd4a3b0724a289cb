"""A Connection: the client for one profile, plus the local service it may own."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from tui.api.auth import BearerAuthenticator, IamAuthenticator, LegacyAuthenticator, Secret
from tui.api.client import RuntimeClient
from tui.api.flavour import CLOUD_API, LEGACY_API
from tui.api.transpiler import TranspilerService
from tui.config import Profile
from tui.credentials import TokenStore
from tui.local_defaults import LOCAL_INSTANCE, hub_group_project
from tui.local_service import DataDirInUse, LocalService, LocalServiceError, running_embedded

IAM_URL = "https://iam.cloud.ibm.com"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
STAGING_IAM_URL = "https://iam.test.cloud.ibm.com"
CLOUD_TRANSPILER_URL = "https://cloud-transpiler.quantum.ibm.com"


class ProfileError(RuntimeError):
    """The profile cannot be used as configured; the message says what to fix."""


@dataclass
class Connection:
    profile_name: str
    client: RuntimeClient
    is_local: bool
    service_url: str
    transpiler: TranspilerService
    local_service: LocalService | None = None

    @property
    def simulates_locally(self) -> bool:
        """The embedded service, or a `qrt serve` on this machine's loopback: results come
        from a simulator here, not from IBM hardware. A local-channel profile pointing
        elsewhere is somebody's service, and is not labelled as this machine's."""
        from urllib.parse import urlsplit

        return self.is_local and (urlsplit(self.service_url).hostname or "") in LOOPBACK_NAMES

    @property
    def description(self) -> str:
        """The top bar's words: the profile, and what answers it."""
        if self.local_service is not None:
            return "embedded · LOCAL SIMULATOR, not IBM hardware"
        if self.simulates_locally:
            return f"{self.profile_name} · LOCAL SIMULATOR, not IBM hardware"
        if self.is_local:
            return f"{self.profile_name} · qrt serve at {self.service_url}"
        return f"{self.profile_name} · {self.service_url}"

    async def close(self) -> None:
        await self.client.aclose()
        if self.local_service is not None:
            await self.local_service.stop()


def connect_to_local_service(
    url: str, api_key: Secret, instance: str, profile_name: str = "local",
    transpiler_url: str | None = None,
) -> Connection:
    """A connection to a `qrt serve` that is already running (tests, or a shared one); its
    transpiler service is the same server unless `transpiler_url` says otherwise."""
    client = RuntimeClient(f"{url}{CLOUD_API.base_path}", IamAuthenticator(api_key, url), instance)
    transpiler = client.transpiler_service(transpiler_url or url, BearerAuthenticator(api_key))
    return Connection(profile_name, client, is_local=True, service_url=url, transpiler=transpiler)


EMBEDDED_BUSY_WAIT_SECONDS = 10.0


async def start_embedded_service(data_dir: Path, reuse: bool = False) -> Connection:
    """A private `qrt serve` child, connected: the no-account default. With `reuse` (the
    command line), an embedded service already running on `data_dir` (the app's, or
    another command's) is used instead, and left running. Without it (the app), a service
    a command started on the same dir is waited for, briefly: two would run jobs twice."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EMBEDDED_BUSY_WAIT_SECONDS
    while True:
        if reuse:
            found = running_embedded(data_dir)
            if found is not None and await _answers(found[0]):
                url, api_key = found
                return connect_to_local_service(url, api_key, LOCAL_INSTANCE, profile_name="embedded")
        try:
            service = await LocalService.start(data_dir)
        except DataDirInUse:
            if loop.time() > deadline:
                raise LocalServiceError(
                    f"Another qrt command is running the local service on {data_dir}; "
                    "try again when it has finished."
                ) from None
            await asyncio.sleep(0.2)
            continue
        connection = connect_to_local_service(service.url, service.api_key, service.instance, "embedded")
        connection.local_service = service
        return connection


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as probe:
            return (await probe.get(f"{url}{CLOUD_API.base_path}/versions")).status_code == 200
    except httpx.HTTPError:
        return False


def cloud_service_root(instance: str) -> str:
    """IBM's regional service host, derived from the CRN as the official client does."""
    fields = instance.split(":")
    region = fields[5] if len(fields) > 5 else ""
    host = "quantum.cloud.ibm.com" if region in ("", "us-east") else f"{region}.quantum.cloud.ibm.com"
    return f"https://{host}"


def default_iam_url(instance: str) -> str:
    fields = instance.split(":")
    return STAGING_IAM_URL if len(fields) > 2 and fields[2] == "staging" else IAM_URL


async def connect_profile(profile: Profile, tokens: TokenStore) -> Connection:
    """A connection for a configured profile, its API key read from the token store."""
    api_key = await tokens.load(profile.name)
    if api_key is None:
        raise ProfileError(
            f"No API key is stored for profile '{profile.name}'"
            + (f" ({tokens.keyring_problem})" if tokens.keyring_problem else "")
            + "; log in again to enter it."
        )
    if profile.channel == "local":
        if not profile.url:
            raise ProfileError(f"Profile '{profile.name}' needs the url of its qrt serve.")
        return connect_to_local_service(
            profile.url.rstrip("/"), api_key, profile.instance or LOCAL_INSTANCE, profile.name,
            profile.transpiler_url,
        )
    if profile.channel == "ibm_quantum_platform":
        if not profile.instance or not profile.instance.startswith("crn:"):
            raise ProfileError(
                f"Profile '{profile.name}' needs its instance CRN (crn:v1:bluemix:...)."
            )
        root = (profile.url or cloud_service_root(profile.instance)).rstrip("/")
        iam = profile.iam_url or default_iam_url(profile.instance)
        client = RuntimeClient(
            f"{root}{CLOUD_API.base_path}", IamAuthenticator(api_key, iam), profile.instance
        )
        transpiler_url = (
            profile.transpiler_url or os.environ.get("QISKIT_IBM_TRANSPILER_URL") or CLOUD_TRANSPILER_URL
        )
        transpiler = client.transpiler_service(transpiler_url, BearerAuthenticator(api_key))
        return Connection(profile.name, client, is_local=False, service_url=root, transpiler=transpiler)
    if profile.channel == "legacy":
        return _connect_legacy(profile, api_key)
    raise ProfileError(f"The '{profile.channel}' channel is not supported yet.")


def legacy_client(
    url: str, api_token: Secret, instance: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> RuntimeClient:
    """A client of the older API at `url`, which serves both `/api/users` and `/runtime`
    (as `qrt serve` does; the origin split them over two hosts)."""
    url = url.rstrip("/")
    return RuntimeClient(
        f"{url}{LEGACY_API.base_path}",
        LegacyAuthenticator(api_token, url),
        instance,
        transport=transport,
        flavour=LEGACY_API,
    )


def _connect_legacy(profile: Profile, api_token: Secret) -> Connection:
    if not profile.url:
        raise ProfileError(f"Profile '{profile.name}' needs the url of its older-API service.")
    instance = profile.instance or ""
    try:
        hub_group_project(instance)
    except ValueError:
        raise ProfileError(
            f"Profile '{profile.name}' needs its instance as hub/group/project "
            f"(e.g. ibm-q/open/main), not '{instance}'."
        ) from None
    url = profile.url.rstrip("/")
    client = legacy_client(url, api_token, instance)
    transpiler = client.transpiler_service(profile.transpiler_url or url, BearerAuthenticator(api_token))
    return Connection(profile.name, client, is_local=False, service_url=url, transpiler=transpiler)
