"""Profiles, the token store and the IBM Cloud channel, against `qrt serve` as the cloud."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ServiceInfo
from tui.api.auth import Secret
from tui.config import ConfigError, load_settings
from tui.connection import ProfileError, cloud_service_root, connect_profile, default_iam_url
from tui.credentials import TokenStore


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_region_and_iam_come_from_the_crn() -> None:
    assert cloud_service_root("crn:v1:bluemix:public:quantum-computing:us-east:a/1:2::") == "https://quantum.cloud.ibm.com"
    assert cloud_service_root("crn:v1:bluemix:public:quantum-computing:eu-de:a/1:2::") == "https://eu-de.quantum.cloud.ibm.com"
    assert default_iam_url("crn:v1:staging:public:quantum-computing:us-east:a/1:2::") == "https://iam.test.cloud.ibm.com"


def test_bad_config_says_where(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.toml", '[profiles.x]\nchannel = "carrier-pigeon"\n')
    with pytest.raises(ConfigError, match="carrier-pigeon"):
        load_settings(path)


async def test_without_a_keyring_the_token_stays_in_memory_and_says_so(no_keyring: None) -> None:
    store = TokenStore()
    assert (await store.save("p", Secret("k-123"))).location == "memory"
    assert store.keyring_problem and "keyring" in store.keyring_problem
    loaded = await store.load("p")
    assert loaded is not None and loaded.reveal() == "k-123"
    await store.delete("p")
    assert await store.load("p") is None


async def test_ibm_cloud_profile_logs_in_lists_and_submits(
    service: ServiceInfo, tmp_path: Path, no_keyring: None, bell_isa_qasm: str
) -> None:
    config = write_config(
        tmp_path / "config.toml",
        f'default_profile = "cloud"\n[profiles.cloud]\nchannel = "ibm_quantum_platform"\n'
        f'instance = "{service.instance}"\nurl = "{service.url}"\niam_url = "{service.url}"\n',
    )
    profile = load_settings(config).profile(None)
    assert profile is not None and profile.channel == "ibm_quantum_platform"
    store = TokenStore()
    with pytest.raises(ProfileError, match="No API key is stored for profile 'cloud'"):
        await connect_profile(profile, store)
    await store.save("cloud", Secret(service.api_key))
    connection = await connect_profile(profile, store)
    try:
        assert not connection.is_local
        assert "ibm_brisbane" in {backend.name for backend in await connection.client.backends()}
        job_id = await connection.client.submit_sampler_job("ibm_brisbane", [[bell_isa_qasm, None, 10]])
        assert (await connection.client.job(job_id)).id == job_id
    finally:
        await connection.close()
    assert service.api_key not in config.read_text()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert service.api_key.encode() not in path.read_bytes(), path
