"""Tokens in the OS keyring (service `qrt`), with a timeout; in memory where none works.

Every keyring call runs in a thread with a deadline: a locked Secret Service can block for
minutes, and the app must not. When no keyring works (common over SSH), the token lives in
this process only, and callers are told so they can tell the user. Only when the user has
opted in (`plaintext_token_file` in the config) does it go to a 0600 file instead, and the
caller gets a warning to show.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui.secret import Secret

SERVICE_NAME = "qrt"
KEYRING_TIMEOUT_SECONDS = 5.0

Location = Literal["keyring", "memory", "plaintext"]


@dataclass(frozen=True)
class StoredToken:
    """Where a token was kept, and what the user should be told about it."""

    location: Location
    reason: str | None = None  # why not the keyring
    warning: str | None = None  # to show before going on (plaintext only)

    @property
    def message(self) -> str:
        if self.location == "keyring":
            return "Token saved in the system keyring."
        if self.location == "memory":
            return (f"Token kept in memory for this run only: {self.reason}. "
                    "You will be asked again next time.")
        return self.warning or "Token saved in a plaintext file."


class KeyringUnavailable(RuntimeError):
    pass


def _working_keyring() -> object:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        raise KeyringUnavailable("no usable keyring backend")
    return backend


def _keyring_get(profile: str) -> str | None:
    backend = _working_keyring()
    return backend.get_password(SERVICE_NAME, profile)  # type: ignore[attr-defined]


def _keyring_set(profile: str, token: str) -> None:
    backend = _working_keyring()
    backend.set_password(SERVICE_NAME, profile, token)  # type: ignore[attr-defined]


def _keyring_delete(profile: str) -> None:
    import keyring.errors

    backend = _working_keyring()
    try:
        backend.delete_password(SERVICE_NAME, profile)  # type: ignore[attr-defined]
    except keyring.errors.PasswordDeleteError:
        pass


class PlaintextTokens:
    """The opt-in file: {profile: token} as JSON, mode 0600, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, profile: str) -> str | None:
        return self.read().get(profile)

    def put(self, profile: str, token: str) -> None:
        self._write({**self.read(), profile: token})

    def remove(self, profile: str) -> None:
        tokens = self.read()
        if tokens.pop(profile, None) is None:
            return
        if tokens:
            self._write(tokens)
        else:
            self.path.unlink(missing_ok=True)

    def _write(self, tokens: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(tokens, handle)
        os.replace(partial, self.path)


@dataclass
class TokenStore:
    """Keyring first; then, where none works, the opt-in file or this process's memory."""

    timeout: float = KEYRING_TIMEOUT_SECONDS
    plaintext: PlaintextTokens | None = None  # set only on the user's explicit opt-in
    _memory: dict[str, Secret] = field(default_factory=dict)
    keyring_problem: str | None = None

    async def _call(self, function: object, *args: str) -> object:
        try:
            call: Any = asyncio.to_thread(function, *args)  # type: ignore[arg-type]
            return await asyncio.wait_for(call, self.timeout)
        except TimeoutError:
            self.keyring_problem = f"the keyring did not answer within {self.timeout:.0f} s (locked?)"
        except KeyringUnavailable as exc:
            self.keyring_problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - any backend failure means: use memory
            self.keyring_problem = f"the keyring failed ({type(exc).__name__})"
        raise KeyringUnavailable(self.keyring_problem)

    async def save(self, profile: str, token: Secret) -> StoredToken:
        """Keep the token; says where, so the user can be told if it is not the keyring."""
        try:
            await self._call(_keyring_set, profile, token.reveal())
        except KeyringUnavailable:
            reason = self.keyring_problem or "no keyring"
            if self.plaintext is None:
                self._memory[profile] = token
                return StoredToken("memory", reason)
            await asyncio.to_thread(self.plaintext.put, profile, token.reveal())
            self._memory.pop(profile, None)
            return StoredToken("plaintext", reason, (
                f"The token of '{profile}' is stored UNENCRYPTED in {self.plaintext.path} "
                f"(readable by you only, mode 0600), because {reason}. Anyone who can read "
                "your files, or a backup of them, can use it."
            ))
        self._memory.pop(profile, None)
        if self.plaintext is not None:
            await asyncio.to_thread(self.plaintext.remove, profile)
        return StoredToken("keyring")

    async def load(self, profile: str) -> Secret | None:
        if profile in self._memory:
            return self._memory[profile]
        try:
            value = await self._call(_keyring_get, profile)
        except KeyringUnavailable:
            value = None
        if not value and self.plaintext is not None:
            value = await asyncio.to_thread(self.plaintext.get, profile)
        return Secret(value) if isinstance(value, str) and value else None

    async def delete(self, profile: str, plaintext_file: Path | None = None) -> None:
        """Forget the token everywhere it may be, the plaintext file included even if the
        opt-in has since been turned off (pass its path then)."""
        self._memory.pop(profile, None)
        try:
            await self._call(_keyring_delete, profile)
        except KeyringUnavailable:
            pass
        files = {self.plaintext.path} if self.plaintext is not None else set()
        if plaintext_file is not None:
            files.add(plaintext_file)
        for path in files:
            await asyncio.to_thread(PlaintextTokens(path).remove, profile)
