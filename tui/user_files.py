"""The user's own files: where a typed path points, and writing one without losing another.

A screen asks before it overwrites (`exists_other_than`), then writes here; every message
names the absolute path, so that "Saved circuit.qasm" never leaves the user guessing
which directory that was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def user_path(text: str) -> Path:
    """A typed path, `~` expanded, made absolute against the current directory."""
    return Path(os.path.abspath(Path(text.strip()).expanduser()))


def exists_other_than(path: Path, current: Path | None) -> bool:
    """Whether writing `path` would replace a file other than the one being edited."""
    return path.exists() and (current is None or path != user_path(str(current)))


def write_text(path: Path, text: str) -> None:
    """Whole or not at all: a full disk or a kill mid-write leaves an existing file as it
    was (written beside it, then renamed over it, keeping its mode; through a symlink, to
    the file it points at)."""
    target = path.resolve() if path.is_symlink() else path
    if not target.exists():
        target.write_text(text)
        return
    handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.chmod(scratch, target.stat().st_mode & 0o7777)
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def complete_path(text: str, limit: int = 200) -> str | None:
    """The first completion of a path being typed (`~/circ` -> `~/circuits/`), in the
    user's own spelling: directories first (with their `/`), then OpenQASM files, then the
    rest; hidden names only when asked for with a dot. At most `limit` names are read."""
    if not text:
        return None
    typed_dir, slash, prefix = text.rpartition("/")
    directory = user_path(typed_dir or "/") if slash else user_path(".")
    found: list[tuple[str, bool]] = []  # (name, is a directory)
    try:
        with os.scandir(directory) as scan:
            for entry in scan:
                if entry.name.startswith(prefix) and (prefix.startswith(".") or not entry.name.startswith(".")):
                    found.append((entry.name, entry.is_dir()))
                if len(found) >= limit:
                    break
    except OSError:
        return None
    # a file named just as typed is complete already; a directory of that name gets its `/`
    candidates = [(name, is_dir) for name, is_dir in found if name != prefix or is_dir]
    if not candidates:
        return None
    name, is_dir = min(candidates, key=lambda c: (not c[1], not c[0].endswith(".qasm"), c[0]))
    completed = f"{typed_dir}{slash}{name}{'/' if is_dir else ''}"
    return completed if completed != text else None
