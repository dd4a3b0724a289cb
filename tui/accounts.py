"""Accounts as the login screen sees them: profiles, their tokens, import, log out.

Profiles live in the config TOML, tokens in the TokenStore (keyring, else memory, else the
opt-in plaintext file), never in the TOML. One `Accounts` is shared by the whole run, so a
token kept in memory stays available until the app exits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui.config import (
    CHANNELS,
    Channel,
    Profile,
    Settings,
    config_path,
    load_settings,
    plaintext_tokens_path,
    save_settings,
)
from tui.credentials import PlaintextTokens, StoredToken, TokenStore
from tui.qiskit_accounts import (
    ENVIRONMENT_PROFILE_NAME,
    QiskitAccount,
    account_from_environment,
    read_saved_accounts,
)
from tui.secret import Secret

if TYPE_CHECKING:
    from tui.connection import Connection

PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class AccountError(ValueError):
    """A profile cannot be saved as given; the message says what to change."""


@dataclass(frozen=True)
class ImportOutcome:
    profile_name: str
    source: str
    imported: bool
    note: str  # what happened, for the user: where the token went, or why it was skipped
    stored: StoredToken | None = None


def validate_profile(profile: Profile) -> None:
    if not PROFILE_NAME.match(profile.name):
        raise AccountError(
            f"Profile name '{profile.name}': use 1-64 letters, digits, '.', '_' or '-'."
        )
    if profile.channel not in CHANNELS:
        raise AccountError(f"Unknown channel '{profile.channel}'; use one of {', '.join(CHANNELS)}.")
    for label, url in (("url", profile.url), ("IAM url", profile.iam_url)):
        if url is not None and not re.match(r"^https?://[^/\s]+", url):
            raise AccountError(f"The {label} '{url}' must start with https:// (or http://).")
    if profile.channel == "ibm_quantum_platform" and not (profile.instance or "").startswith("crn:"):
        raise AccountError("An IBM Quantum Platform profile needs its instance CRN (crn:v1:...).")
    if profile.channel == "local" and not profile.url:
        raise AccountError("A local profile needs the url of its qrt serve.")


class Accounts:
    def __init__(self, config_file: Path | None = None, tokens: TokenStore | None = None) -> None:
        self.config_file = config_file or config_path()
        self.settings = load_settings(self.config_file)
        self.tokens = tokens or TokenStore()
        self._apply_plaintext_choice()

    # profiles ------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        return sorted(self.settings.profiles.values(), key=lambda profile: profile.name)

    @property
    def default_profile_name(self) -> str | None:
        return self.settings.default_profile

    def save_profile(
        self,
        name: str,
        channel: Channel,
        *,
        instance: str | None = None,
        url: str | None = None,
        iam_url: str | None = None,
        make_default: bool = False,
    ) -> Profile:
        """Add or update a profile (its token is saved separately, with save_token)."""
        profile = Profile(name, channel, _blank_to_none(url), _blank_to_none(instance),
                          _blank_to_none(iam_url))
        validate_profile(profile)
        settings = self.settings.with_profile(profile)
        if make_default:  # never silently: until the user picks one, no account means the embedded service
            settings = replace(settings, default_profile=name)
        self._save(settings)
        return profile

    def set_default(self, name: str) -> None:
        self._require(name)
        self._save(replace(self.settings, default_profile=name))

    async def delete_profile(self, name: str) -> None:
        self._require(name)
        await self._forget_token(name)
        self._save(self.settings.without_profile(name))

    # tokens --------------------------------------------------------------------------

    async def save_token(self, name: str, token: Secret) -> StoredToken:
        """Keep the profile's token (API key); the result says where, for the user."""
        self._require(name)
        if not token.reveal().strip():
            raise AccountError("The token is empty.")
        return await self.tokens.save(name, Secret(token.reveal().strip()))

    async def has_token(self, name: str) -> bool:
        return await self.tokens.load(name) is not None

    async def set_plaintext_token_file(self, enabled: bool) -> dict[str, StoredToken]:
        """The explicit opt-in (or opt-out) for a 0600 token file where no keyring works.

        Opting out moves the tokens already in the file to the keyring (or memory) and
        deletes the file; the result says where each one went.
        """
        self._save(replace(self.settings, plaintext_token_file=enabled))
        self._apply_plaintext_choice()
        if enabled:
            return {}
        leftover = PlaintextTokens(plaintext_tokens_path(self.config_file))
        moved = {name: await self.tokens.save(name, Secret(token))
                 for name, token in leftover.read().items()}
        leftover.path.unlink(missing_ok=True)
        return moved

    async def log_out(self, name: str, connection: Connection | None = None) -> None:
        """Sign the connection out (revoking where the channel can), then forget the token."""
        if connection is not None:
            await connection.client.sign_out()
            await connection.close()
        await self._forget_token(name)

    # import --------------------------------------------------------------------------

    async def import_qiskit_accounts(
        self, path: Path | None = None, environ: Mapping[str, str] | None = None,
        *, overwrite: bool = False,
    ) -> list[ImportOutcome]:
        """Profiles from qiskit-ibm-runtime's saved accounts (`~/.qiskit/qiskit-ibm.json`)."""
        return [await self._import(account, overwrite) for account in read_saved_accounts(path, environ)]

    async def import_environment(
        self, environ: Mapping[str, str] | None = None, *,
        name: str = ENVIRONMENT_PROFILE_NAME, overwrite: bool = True,
    ) -> ImportOutcome | None:
        """A profile from QISKIT_IBM_TOKEN/_INSTANCE/_URL/_CHANNEL; None if they are unset."""
        account = account_from_environment(environ, name)
        return None if account is None else await self._import(account, overwrite)

    async def _import(self, account: QiskitAccount, overwrite: bool) -> ImportOutcome:
        def skipped(note: str) -> ImportOutcome:
            return ImportOutcome(account.name, account.source, False, note)

        if account.profile is None:
            return skipped(f"skipped: {account.problem}")
        if account.name in self.settings.profiles and not overwrite:
            return skipped("skipped: a qrt profile of that name exists")
        try:
            validate_profile(account.profile)
        except AccountError as exc:
            return skipped(f"skipped: {exc}")
        self._save(self.settings.with_profile(account.profile))
        if account.is_default and self.settings.default_profile is None:
            self._save(replace(self.settings, default_profile=account.name))
        stored = await self.tokens.save(account.name, account.token)
        return ImportOutcome(account.name, account.source, True, stored.message, stored)

    # plumbing ------------------------------------------------------------------------

    def _require(self, name: str) -> None:
        if name not in self.settings.profiles:
            raise AccountError(f"There is no profile '{name}'.")

    def _save(self, settings: Settings) -> None:
        save_settings(settings, self.config_file)
        self.settings = settings

    def _apply_plaintext_choice(self) -> None:
        path = plaintext_tokens_path(self.config_file)
        self.tokens.plaintext = PlaintextTokens(path) if self.settings.plaintext_token_file else None

    async def _forget_token(self, name: str) -> None:
        await self.tokens.delete(name, plaintext_tokens_path(self.config_file))


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
