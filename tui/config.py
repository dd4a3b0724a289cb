"""Settings and account profiles: a TOML file in the platformdirs config dir.

`QRT_CONFIG` points at another file (tests use it). Secrets are never stored here: the
profile names where its token lives (see credentials), never the token itself.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Channel = Literal["local", "ibm_quantum_platform", "legacy"]
CHANNELS: tuple[Channel, ...] = ("local", "ibm_quantum_platform", "legacy")


def config_path() -> Path:
    override = os.environ.get("QRT_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path("qrt", appauthor=False) / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("QRT_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("qrt", appauthor=False)


@dataclass(frozen=True)
class Profile:
    name: str
    channel: Channel
    url: str | None = None
    instance: str | None = None
    iam_url: str | None = None


@dataclass(frozen=True)
class Settings:
    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None

    def profile(self, name: str | None) -> Profile | None:
        chosen = name or self.default_profile
        return self.profiles.get(chosen) if chosen else None


class ConfigError(ValueError):
    pass


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    profiles: dict[str, Profile] = {}
    for name, entry in (raw.get("profiles") or {}).items():
        channel = entry.get("channel", "ibm_quantum_platform")
        if channel not in CHANNELS:
            raise ConfigError(f"{path}: profile '{name}' has unknown channel '{channel}'")
        profiles[name] = Profile(
            name=name,
            channel=channel,
            url=entry.get("url"),
            instance=entry.get("instance"),
            iam_url=entry.get("iam_url"),
        )
    return Settings(profiles=profiles, default_profile=raw.get("default_profile"))
