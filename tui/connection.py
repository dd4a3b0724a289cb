"""A Connection: the client for one profile, plus the local service it may own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.api.auth import IamAuthenticator, Secret
from tui.api.client import RuntimeClient
from tui.local_service import LocalService


@dataclass
class Connection:
    profile_name: str
    client: RuntimeClient
    is_local: bool
    service_url: str
    local_service: LocalService | None = None

    @property
    def description(self) -> str:
        if self.is_local:
            return "LOCAL SIMULATOR · noisy snapshots of IBM devices · not IBM hardware"
        return f"{self.profile_name} · {self.service_url}"

    async def close(self) -> None:
        await self.client.aclose()
        if self.local_service is not None:
            await self.local_service.stop()


def connect_to_local_service(
    url: str, api_key: Secret, instance: str, profile_name: str = "local"
) -> Connection:
    """A connection to a `qrt serve` that is already running (tests, or a shared one)."""
    client = RuntimeClient(f"{url}/api/v1", IamAuthenticator(api_key, url), instance)
    return Connection(profile_name, client, is_local=True, service_url=url)


async def start_embedded_service(data_dir: Path) -> Connection:
    """Start a private `qrt serve` child and connect to it: the no-account default."""
    service = await LocalService.start(data_dir)
    connection = connect_to_local_service(service.url, service.api_key, service.instance)
    connection.local_service = service
    return connection
