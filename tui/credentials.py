"""Tokens in the OS keyring (service `qrt`), with a timeout; in memory where none works.

Every keyring call runs in a thread with a deadline: a locked Secret Service can block for
minutes, and the app must not. When no keyring works (common over SSH), the token lives in
this process only, and callers are told so they can tell the user.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from tui.api.auth import Secret

SERVICE_NAME = "qrt"
KEYRING_TIMEOUT_SECONDS = 5.0

Location = Literal["keyring", "memory"]


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


@dataclass
class TokenStore:
    timeout: float = KEYRING_TIMEOUT_SECONDS
    _memory: dict[str, Secret] = field(default_factory=dict)
    keyring_problem: str | None = None

    async def _call(self, function: object, *args: str) -> object:
        try:
            return await asyncio.wait_for(asyncio.to_thread(function, *args), self.timeout)  # type: ignore[arg-type]
        except asyncio.TimeoutError:
            self.keyring_problem = f"the keyring did not answer within {self.timeout:.0f} s (locked?)"
        except KeyringUnavailable as exc:
            self.keyring_problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - any backend failure means: use memory
            self.keyring_problem = f"the keyring failed ({type(exc).__name__})"
        raise KeyringUnavailable(self.keyring_problem)

    async def save(self, profile: str, token: Secret) -> Location:
        """Keep the token; returns where, so the user can be told if it is memory only."""
        try:
            await self._call(_keyring_set, profile, token.reveal())
        except KeyringUnavailable:
            self._memory[profile] = token
            return "memory"
        self._memory.pop(profile, None)
        return "keyring"

    async def load(self, profile: str) -> Secret | None:
        if profile in self._memory:
            return self._memory[profile]
        try:
            value = await self._call(_keyring_get, profile)
        except KeyringUnavailable:
            return None
        return Secret(value) if isinstance(value, str) and value else None

    async def delete(self, profile: str) -> None:
        self._memory.pop(profile, None)
        try:
            await self._call(_keyring_delete, profile)
        except KeyringUnavailable:
            pass
