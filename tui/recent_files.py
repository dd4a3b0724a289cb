"""The files the editor opened or saved last, newest first, for Ctrl+O to offer again.

Kept in qrt's private data dir (not the config: it is state, not a setting the user
writes), ten at most; a file that no longer exists is not offered.
"""

from __future__ import annotations

import json
from pathlib import Path

from tui.config import data_dir

MAX_RECENT = 10


def recent_files_path() -> Path:
    return data_dir() / "recent-files.json"


def recent_files(path: Path | None = None) -> list[Path]:
    try:
        names = json.loads((path or recent_files_path()).read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(names, list):
        return []
    return [Path(name) for name in names if isinstance(name, str) and Path(name).is_file()][:MAX_RECENT]


def remember_file(file: Path, path: Path | None = None) -> None:
    """Put `file` first. A failure to write is no reason to bother the user: the list is
    a convenience."""
    from tui.user_files import write_text

    store = path or recent_files_path()
    names = [str(file), *(str(p) for p in recent_files(store) if p != file)][:MAX_RECENT]
    try:
        store.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text(store, json.dumps(names, indent=1))
    except OSError:
        pass
