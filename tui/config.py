"""Settings and account profiles: a TOML file in the platformdirs config dir.

`QRT_CONFIG` points at another file (tests use it). Secrets are never stored here: the
profile names where its token lives (see credentials), never the token itself.

    default_profile = "cloud"
    [secrets]
    plaintext_token_file = false   # true: where no keyring works, keep tokens in a 0600 file
    [profiles.cloud]
    channel = "ibm_quantum_platform"
    instance = "crn:v1:bluemix:public:quantum-computing:us-east:a/...::"
    transpiler_url = "https://..."  # optional: where Ctrl+T sends circuits to the service
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

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
    transpiler_url: str | None = None  # default: the service itself, or IBM's for the cloud


def plaintext_tokens_path(config_file: Path | None = None) -> Path:
    """Where tokens go on the plaintext opt-in: next to the config file, mode 0600."""
    return (config_file or config_path()).with_name("tokens.json")


@dataclass(frozen=True)
class Settings:
    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    plaintext_token_file: bool = False

    def profile(self, name: str | None) -> Profile | None:
        chosen = name or self.default_profile
        return self.profiles.get(chosen) if chosen else None

    def with_profile(self, profile: Profile) -> Settings:
        return replace(self, profiles={**self.profiles, profile.name: profile})

    def without_profile(self, name: str) -> Settings:
        profiles = {key: value for key, value in self.profiles.items() if key != name}
        default = self.default_profile if self.default_profile != name else None
        return replace(self, profiles=profiles, default_profile=default)


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
            transpiler_url=entry.get("transpiler_url"),
        )
    plaintext = (raw.get("secrets") or {}).get("plaintext_token_file", False)
    if not isinstance(plaintext, bool):
        raise ConfigError(f"{path}: secrets.plaintext_token_file must be true or false")
    return Settings(
        profiles=profiles,
        default_profile=raw.get("default_profile"),
        plaintext_token_file=plaintext,
    )


def _edit_in_place(path: Path, edit: Callable[[Any], None]) -> Path:
    """Apply `edit` to the file's TOML document and write it back atomically, keeping
    everything else the user wrote (other tables such as [ui] and [keys], comments, order):
    a crash mid-write must not lose a profile, and a save must not lose a setting."""
    import tomlkit

    document = tomlkit.parse(path.read_text()) if path.exists() else tomlkit.document()
    edit(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(tomlkit.dumps(document))
    os.replace(partial, path)
    return path


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """The profiles, default and secrets setting, written into the file in place."""
    import tomlkit

    def edit(document: Any) -> None:
        if settings.default_profile:
            document["default_profile"] = settings.default_profile
        elif "default_profile" in document:
            del document["default_profile"]
        secrets = document.setdefault("secrets", tomlkit.table())
        secrets["plaintext_token_file"] = settings.plaintext_token_file
        profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
        for name in [name for name in profiles if name not in settings.profiles]:
            del profiles[name]
        for name, profile in settings.profiles.items():
            entry = profiles.setdefault(name, tomlkit.table())
            for key, value in asdict(profile).items():
                if key == "name":
                    continue
                if value is None:
                    entry.pop(key, None)
                elif entry.get(key) != value:
                    entry[key] = value

    return _edit_in_place(path or config_path(), edit)


def set_ui_preference(key: str, value: str, path: Path | None = None) -> Path:
    """One `[ui]` setting, written in place with the rest of the file kept (a theme picked
    in the palette, say)."""
    import tomlkit

    def edit(document: Any) -> None:
        document.setdefault("ui", tomlkit.table())[key] = value

    return _edit_in_place(path or config_path(), edit)
