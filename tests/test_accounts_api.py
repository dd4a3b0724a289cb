"""The login screen's API: profiles, tokens, the plaintext opt-in, import, log out."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import ServiceInfo
from tui.accounts import AccountError, Accounts
from tui.api.auth import Secret
from tui.config import load_settings, plaintext_tokens_path
from tui.connection import ProfileError, connect_profile
from tui.credentials import TokenStore

US_CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/acct1:inst-1::"
EU_CRN = "crn:v1:bluemix:public:quantum-computing:eu-de:a/acct1:inst-2::"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "QISKIT_IBM_CHANNEL", "IAM_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_profiles_are_validated_with_messages_that_say_what_to_fix(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "config.toml")
    with pytest.raises(AccountError, match="instance CRN"):
        accounts.save_profile("cloud", "ibm_quantum_platform", instance="my-instance-name")
    with pytest.raises(AccountError, match="letters, digits"):
        accounts.save_profile("my profile!", "ibm_quantum_platform", instance=US_CRN)
    with pytest.raises(AccountError, match="https://"):
        accounts.save_profile("cloud", "ibm_quantum_platform", instance=US_CRN, url="ftp://x")
    with pytest.raises(AccountError, match="no profile 'ghost'"):
        accounts.set_default("ghost")
    assert accounts.profiles() == []


async def test_add_switch_delete_profiles_and_tokens_never_in_the_toml(
    tmp_path: Path, no_keyring: None
) -> None:
    config = tmp_path / "config.toml"
    accounts = Accounts(config)
    accounts.save_profile("us", "ibm_quantum_platform", instance=US_CRN)
    accounts.save_profile("eu", "ibm_quantum_platform", instance=EU_CRN, url=" ")
    assert [p.name for p in accounts.profiles()] == ["eu", "us"]
    assert accounts.default_profile_name is None  # no default until the user picks one (d)
    stored = await accounts.save_token("eu", Secret("  eu-api-key-123  "))
    assert stored.location == "memory" and "memory for this run only" in stored.message
    assert (await accounts.tokens.load("eu")).reveal() == "eu-api-key-123"  # type: ignore[union-attr]
    accounts.set_default("eu")
    reloaded = load_settings(config)
    assert reloaded.default_profile == "eu" and reloaded.profiles["eu"].url is None
    assert "eu-api-key" not in config.read_text()
    await accounts.delete_profile("eu")
    assert not await accounts.has_token("eu")
    assert load_settings(config).default_profile is None and list(load_settings(config).profiles) == ["us"]


async def test_plaintext_file_only_on_opt_in_mode_0600_with_a_warning_and_logout_clears_it(
    tmp_path: Path, no_keyring: None
) -> None:
    config = tmp_path / "config.toml"
    accounts = Accounts(config)
    accounts.save_profile("cloud", "ibm_quantum_platform", instance=US_CRN)
    assert (await accounts.save_token("cloud", Secret("key-in-memory"))).location == "memory"
    assert not plaintext_tokens_path(config).exists()

    assert await accounts.set_plaintext_token_file(True) == {}
    stored = await accounts.save_token("cloud", Secret("key-on-disk"))
    token_file = plaintext_tokens_path(config)
    assert stored.location == "plaintext" and stored.warning is not None
    assert str(token_file) in stored.warning and "UNENCRYPTED" in stored.warning
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert "key-on-disk" not in config.read_text()

    later_run = Accounts(config)  # a new process: memory is empty, the file remains
    assert (await later_run.tokens.load("cloud")).reveal() == "key-on-disk"  # type: ignore[union-attr]
    await later_run.log_out("cloud")
    assert not token_file.exists() and await Accounts(config).tokens.load("cloud") is None

    await later_run.save_token("cloud", Secret("key-on-disk-again"))
    moved = await later_run.set_plaintext_token_file(False)  # opting out empties the file
    assert {name: stored.location for name, stored in moved.items()} == {"cloud": "memory"}
    assert not token_file.exists()
    assert (await later_run.tokens.load("cloud")).reveal() == "key-on-disk-again"  # type: ignore[union-attr]


async def test_log_out_signs_the_connection_out_and_forgets_the_token(
    service: ServiceInfo, tmp_path: Path, no_keyring: None
) -> None:
    accounts = Accounts(tmp_path / "config.toml")
    accounts.save_profile("cloud", "ibm_quantum_platform", instance=service.instance,
                          url=service.url, iam_url=service.url)
    await accounts.save_token("cloud", Secret(service.api_key))
    profile = accounts.settings.profile("cloud")
    assert profile is not None
    connection = await connect_profile(profile, accounts.tokens)
    assert await connection.client.backends()
    await accounts.log_out("cloud", connection)
    assert connection.client._http.is_closed
    with pytest.raises(ProfileError, match="No API key"):
        await connect_profile(profile, accounts.tokens)


def write_qiskit_accounts(home: Path, accounts: dict[str, dict[str, object]]) -> Path:
    path = home / ".qiskit" / "qiskit-ibm.json"
    path.parent.mkdir()
    path.write_text(json.dumps(accounts, indent=4))
    return path


async def test_import_of_qiskit_saved_accounts(home: Path, tmp_path: Path, no_keyring: None) -> None:
    write_qiskit_accounts(home, {
        "default-ibm-quantum-platform": {"channel": "ibm_quantum_platform", "token": "tok-us",
                                         "instance": US_CRN, "url": "https://cloud.ibm.com"},
        "eu-test": {"channel": "ibm_cloud", "token": "tok-eu", "instance": EU_CRN,
                    "url": "https://test.cloud.ibm.com", "is_default_account": True},
        "private": {"channel": "ibm_quantum_platform", "token": "tok-p", "instance": EU_CRN,
                    "private_endpoint": True},
        "by-name": {"channel": "ibm_quantum_platform", "token": "tok-n", "instance": "my-instance"},
        "classic": {"channel": "ibm_quantum", "token": "tok-old", "instance": "ibm-q/open/main",
                    "url": "https://auth.quantum.ibm.com/api"},
        "local": {"channel": "ibm_quantum_platform", "token": "tok-l", "instance": US_CRN,
                  "url": "http://127.0.0.1:8765"},
        "by-host": {"channel": "ibm_quantum_platform", "token": "tok-h", "instance": EU_CRN,
                    "url": "https://eu-de.quantum.cloud.ibm.com/api/v1"},
    })
    config = tmp_path / "config.toml"
    accounts = Accounts(config)
    outcomes = {o.profile_name: o for o in await accounts.import_qiskit_accounts()}
    assert {name for name, o in outcomes.items() if o.imported} == {
        "default-ibm-quantum-platform", "eu-test", "private", "classic", "local", "by-host"}
    assert "not a CRN" in outcomes["by-name"].note
    profiles = load_settings(config).profiles
    assert profiles["default-ibm-quantum-platform"].url is None  # derived from the CRN at connect
    assert profiles["eu-test"].url == "https://eu-de.quantum.test.cloud.ibm.com"
    assert profiles["eu-test"].iam_url == "https://iam.test.cloud.ibm.com"
    assert profiles["private"].url == "https://private.eu-de.quantum.cloud.ibm.com"
    # a URL that already names the service's host is kept as it is, port included
    assert (profiles["local"].url, profiles["local"].iam_url) == ("http://127.0.0.1:8765",) * 2
    assert profiles["by-host"].url == "https://eu-de.quantum.cloud.ibm.com"
    assert profiles["by-host"].iam_url == "https://iam.cloud.ibm.com"
    assert (profiles["classic"].channel, profiles["classic"].instance) == ("legacy", "ibm-q/open/main")
    assert load_settings(config).default_profile == "eu-test"  # is_default_account wins
    assert (await accounts.tokens.load("eu-test")).reveal() == "tok-eu"  # type: ignore[union-attr]
    assert "tok-" not in config.read_text()
    again = await accounts.import_qiskit_accounts()
    assert not any(o.imported for o in again) and "exists" in again[0].note


async def test_an_account_saved_by_qiskit_itself_imports_and_works(
    service: ServiceInfo, home: Path, tmp_path: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    monkeypatch.setenv("QISKIT_IBM_CHANNEL", "ibm_quantum_platform")
    # The file name is explicit: qiskit fixes its default path when first imported.
    QiskitRuntimeService.save_account(
        token=service.api_key, instance=service.instance, name="mine", set_as_default=True,
        filename=str(home / ".qiskit" / "qiskit-ibm.json"))
    accounts = Accounts(tmp_path / "config.toml")
    (outcome,) = await accounts.import_qiskit_accounts()
    assert outcome.imported and outcome.stored is not None and outcome.stored.location == "memory"
    assert accounts.default_profile_name == "mine"
    # The saved account names IBM's cloud; point the profile at qrt serve as a user would.
    accounts.save_profile("mine", "ibm_quantum_platform", instance=service.instance,
                          url=service.url, iam_url=service.url)
    connection = await connect_profile(accounts.settings.profiles["mine"], accounts.tokens)
    try:
        assert "ibm_brisbane" in {backend.name for backend in await connection.client.backends()}
    finally:
        await connection.close()


async def test_import_of_the_qiskit_environment_variables(home: Path, tmp_path: Path, no_keyring: None) -> None:
    accounts = Accounts(tmp_path / "config.toml", TokenStore())
    assert await accounts.import_environment({}) is None
    outcome = await accounts.import_environment({
        "QISKIT_IBM_TOKEN": "env-token", "QISKIT_IBM_INSTANCE": EU_CRN,
        "QISKIT_IBM_URL": "https://cloud.ibm.com", "QISKIT_IBM_CHANNEL": "ibm_cloud",
    })
    assert outcome is not None and outcome.imported and outcome.profile_name == "qiskit-env"
    profile = accounts.settings.profiles["qiskit-env"]
    assert (profile.channel, profile.instance, profile.url) == ("ibm_quantum_platform", EU_CRN, None)
    assert accounts.default_profile_name == "qiskit-env"
    assert (await accounts.tokens.load("qiskit-env")).reveal() == "env-token"  # type: ignore[union-attr]
    skipped = await accounts.import_environment({"QISKIT_IBM_TOKEN": "t", "QISKIT_IBM_CHANNEL": "pigeon"})
    assert skipped is not None and not skipped.imported and "pigeon" in skipped.note


def test_the_login_and_results_modules_import_no_http_client_and_no_numpy() -> None:
    import subprocess
    import sys

    probe = ("import sys, tui.accounts, tui.results;"
             "print([m for m in ('httpx', 'numpy', 'qiskit', 'keyring') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
