"""The wheel carries everything the app needs at run time and works outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_styles_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("qrt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "styles/app.tcss" in names
    assert {"tui/app.py", "tui/server/app.py", "screens/editor.py", "screens/login.py"} <= names
    assert not any(name.startswith("tests/") for name in names)

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )
    probe = (
        "import tui.app, tui.cli;"
        "paths = [p for p in tui.app.QrtApp.CSS_PATH];"
        "assert all(p.exists() for p in paths), paths;"
        f"assert str(paths[0]).startswith(r'{target}'), paths;"
        "tui.cli.main(['--version'])"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "qrt 0.1.0"
