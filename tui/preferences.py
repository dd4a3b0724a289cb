"""How the app looks and behaves, from the `[ui]` and `[keys]` tables of the config file.

Kept apart from profiles (config.py) because it is read once at startup by the app alone,
and a mistake in it should cost the user a warning, not their session.

    [ui]
    theme = "ansi-dark"         # any Textual theme; ansi-dark and ansi-light keep the terminal's
                                # palette; one picked in the palette (Ctrl+P) is saved here
    animations = "auto"         # "auto" (off over SSH), "on" or "off"
    bell = false                # ring the terminal bell when a job finishes
    poll_seconds = 1.5          # how often active jobs are polled (at least 0.5)

    [keys]
    "editor.submit" = "ctrl+r,f9"   # binding id = comma-separated keys
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tui.config import config_path

POLL_FLOOR_SECONDS = 0.5
DEFAULT_POLL_SECONDS = 1.5


@dataclass(frozen=True)
class Preferences:
    theme: str | None = None
    animations: str = "auto"
    bell: bool = False
    poll_seconds: float = DEFAULT_POLL_SECONDS
    keys: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    remember_theme: bool = False  # save a theme picked in the palette (preferences from a file)

    @property
    def animations_enabled(self) -> bool:
        if self.animations == "auto":
            return not over_ssh()
        return self.animations == "on"


def over_ssh() -> bool:
    return any(os.environ.get(name) for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"))


def load_preferences(path: Path | None = None) -> Preferences:
    """Never raises: what cannot be read is reported in `problems` and left at its default."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text()) if path.exists() else {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return Preferences(problems=(f"{path}: {exc}",))
    problems: list[str] = []
    ui = raw.get("ui") or {}
    theme = ui.get("theme")
    animations = ui.get("animations", "auto")
    if animations not in ("auto", "on", "off"):
        problems.append(f"[ui] animations must be auto, on or off, not {animations!r}")
        animations = "auto"
    poll = ui.get("poll_seconds", DEFAULT_POLL_SECONDS)
    if not isinstance(poll, (int, float)) or poll < POLL_FLOOR_SECONDS:
        problems.append(f"[ui] poll_seconds must be a number >= {POLL_FLOOR_SECONDS}")
        poll = DEFAULT_POLL_SECONDS
    keys = {str(k): str(v) for k, v in (raw.get("keys") or {}).items() if isinstance(v, str)}
    return Preferences(
        theme=str(theme) if theme else None,
        animations=animations,
        bell=bool(ui.get("bell", False)),
        poll_seconds=float(poll),
        keys=keys,
        problems=tuple(problems),
        remember_theme=True,
    )
