"""What users of qiskit-ibm-runtime already have: its saved accounts and QISKIT_IBM_* variables.

The saved-accounts file is `~/.qiskit/qiskit-ibm.json`: `{name: {channel, token, instance,
url, private_endpoint, is_default_account, ...}}`, written by
`QiskitRuntimeService.save_account()`. Channels `ibm_quantum_platform` and its alias
`ibm_cloud` are today's IBM Cloud API; `ibm_quantum` is the retired API that qrt calls
`legacy`. The default account is chosen as qiskit-ibm-runtime 0.51 chooses it
(`accounts/management.py`): one marked `is_default_account`, else the default name of the
channel in `QISKIT_IBM_CHANNEL` (or `ibm_quantum_platform`), else any of that channel.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tui.config import Channel, Profile
from tui.secret import Secret

IBM_CLOUD_URL = "https://cloud.ibm.com"
ENVIRONMENT_PROFILE_NAME = "qiskit-env"
DEFAULT_ACCOUNT_NAMES = {
    "ibm_quantum_platform": "default-ibm-quantum-platform",
    "ibm_cloud": "default-ibm-cloud",
}
CHANNEL_OF_QISKIT_CHANNEL: dict[str, Channel] = {
    "ibm_quantum_platform": "ibm_quantum_platform",
    "ibm_cloud": "ibm_quantum_platform",
    "ibm_quantum": "legacy",
}


class QiskitAccountsError(ValueError):
    """The saved-accounts file cannot be read; the message says which and why."""


@dataclass(frozen=True)
class QiskitAccount:
    """One account to import: the profile it becomes and the token that goes with it."""

    name: str
    source: str
    profile: Profile | None
    token: Secret
    is_default: bool = False
    problem: str | None = None  # why it cannot become a profile


def qiskit_accounts_file() -> Path:
    return Path.home() / ".qiskit" / "qiskit-ibm.json"


def _region(instance: str) -> str | None:
    fields = instance.split(":")
    return fields[5] if instance.startswith("crn:") and len(fields) > 5 else None


def _cloud_profile(
    name: str, entry: Mapping[str, object], environ: Mapping[str, str]
) -> tuple[Profile | None, str | None]:
    """The service root and IAM URL that the official client would derive for this account."""
    instance = str(entry.get("instance") or "")
    region = _region(instance)
    if region is None:
        return None, (f"its instance {instance or '(none)'} is not a CRN; qrt needs the "
                      "instance CRN (crn:v1:bluemix:...) from the IBM Cloud console")
    url = str(entry.get("url") or IBM_CLOUD_URL).rstrip("/")
    if "experimental" in url:
        return None, f"its experimental URL {url} is not supported"
    private = bool(entry.get("private_endpoint", False))
    iam_url = environ.get("IAM_URL") or None
    service_url = None
    if url != IBM_CLOUD_URL or private:
        parsed = urlparse(url)
        if not parsed.scheme or not parsed.hostname:
            return None, f"its URL {url} is not a URL"
        if _names_the_service_itself(parsed.hostname, parsed.port):
            root = url.removesuffix("/api/v1")
            _, quantum, cloud = parsed.hostname.partition("quantum.")
            # IBM's IAM for a `quantum.` host; else a local service (`qrt serve` at
            # http://127.0.0.1:8765), which answers IAM's token route itself
            iam_url = iam_url or (f"{parsed.scheme}://iam.{cloud}" if quantum and parsed.port is None else root)
            return Profile(name, "ibm_quantum_platform", root, instance, iam_url), None
        prefix = f"private.{region}." if private else ("" if region == "us-east" else f"{region}.")
        service_url = f"{parsed.scheme}://{prefix}quantum.{parsed.hostname}"
        iam_url = iam_url or f"{parsed.scheme}://iam.{parsed.hostname}"
    return Profile(name, "ibm_quantum_platform", service_url, instance, iam_url), None


def _names_the_service_itself(host: str, port: int | None) -> bool:
    """A URL that is already the service's own host: an address, localhost, an explicit port,
    or a `quantum.` host. The official client would prefix `quantum.` and drop the port;
    an account saved for a local service means exactly the URL it names."""
    if port is not None or host == "localhost" or host.startswith("quantum.") or ".quantum." in host:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _account(
    name: str, source: str, entry: Mapping[str, object], environ: Mapping[str, str],
    is_default: bool = False,
) -> QiskitAccount:
    token = Secret(str(entry.get("token") or ""))
    channel = CHANNEL_OF_QISKIT_CHANNEL.get(str(entry.get("channel") or ""))
    problem: str | None = None
    profile: Profile | None = None
    if not token:
        problem = "it has no token"
    elif channel is None:
        problem = f"its channel '{entry.get('channel')}' is unknown"
    elif channel == "legacy":
        url = str(entry["url"]) if entry.get("url") else None
        instance = str(entry["instance"]) if entry.get("instance") else None
        profile = Profile(name, "legacy", url, instance)
    else:
        profile, problem = _cloud_profile(name, entry, environ)
    return QiskitAccount(name, source, profile, token, is_default, problem)


def _default_account_name(accounts: Mapping[str, Mapping[str, object]], channel: str) -> str | None:
    for name, entry in accounts.items():
        if entry.get("is_default_account"):
            return name
    of_channel = [name for name, entry in accounts.items() if entry.get("channel") == channel]
    if DEFAULT_ACCOUNT_NAMES.get(channel) in of_channel:
        return DEFAULT_ACCOUNT_NAMES[channel]
    if of_channel:
        return of_channel[-1]
    return next((n for n in DEFAULT_ACCOUNT_NAMES.values() if n in accounts), None)


def read_saved_accounts(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[QiskitAccount]:
    """Every account in the saved-accounts file (none if there is no file)."""
    environ = os.environ if environ is None else environ
    path = path or qiskit_accounts_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QiskitAccountsError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise QiskitAccountsError(f"{path}: expected an object of named accounts")
    accounts = {str(name): entry for name, entry in data.items() if isinstance(entry, dict)}
    channel = environ.get("QISKIT_IBM_CHANNEL") or "ibm_quantum_platform"
    default = _default_account_name(accounts, channel)
    return [
        _account(name, f"{path} [{name}]", entry, environ, is_default=name == default)
        for name, entry in accounts.items()
    ]


def account_from_environment(
    environ: Mapping[str, str] | None = None, name: str = ENVIRONMENT_PROFILE_NAME
) -> QiskitAccount | None:
    """The account the QISKIT_IBM_TOKEN/_INSTANCE/_URL/_CHANNEL variables describe, if any."""
    environ = os.environ if environ is None else environ
    if not environ.get("QISKIT_IBM_TOKEN"):
        return None
    entry = {
        "token": environ["QISKIT_IBM_TOKEN"],
        "instance": environ.get("QISKIT_IBM_INSTANCE"),
        "url": environ.get("QISKIT_IBM_URL"),
        "channel": environ.get("QISKIT_IBM_CHANNEL") or "ibm_quantum_platform",
    }
    return _account(name, "QISKIT_IBM_* environment variables", entry, environ, is_default=True)
