"""A real Secret Service (gnome-keyring on a private D-Bus) stores and returns the token.

.ci/run installs gnome-keyring and dbus; on a machine without them this test is skipped,
except under CI, where their absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio, sys
from tui.api.auth import Secret
from tui.credentials import TokenStore

async def main():
    store = TokenStore()
    where = await store.save("cloud", Secret(sys.argv[1]))
    loaded = await store.load("cloud")
    print(where.location, store.keyring_problem, loaded.reveal() == sys.argv[1])
    await store.delete("cloud")
    print(await TokenStore().load("cloud"))

asyncio.run(main())
"""


def test_token_round_trips_through_gnome_keyring_and_no_file_holds_it(tmp_path: Path) -> None:
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {missing} (see .ci/run)")
        pytest.skip(f"{missing} not installed here")
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True, text=True, env=env, check=True, timeout=10,
    )
    address, pid = bus.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="test-password", capture_output=True, text=True, env=env, check=True, timeout=10,
        )
        token = "qrt-test-token-7f3a9c"
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, token], capture_output=True, text=True, env=env,
            cwd=ROOT, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["keyring", "None", "True", "None"], result.stdout
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path
    finally:
        os.kill(int(pid), signal.SIGTERM)  # gnome-keyring-daemon leaves with its bus
