"""The app's import path stays light: heavy libraries load only when a feature needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "fastapi", "uvicorn", "numpy", "scipy")


def test_importing_the_app_and_its_screens_loads_no_heavy_library() -> None:
    probe = (
        "import sys, tui.app, tui.cli, screens.editor, screens.backends, screens.jobs, screens.job_detail,"
        " screens.sessions, screens.login, screens.help;"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_first_screens_leave_the_http_stack_to_the_connection_worker() -> None:
    """httpx costs ~100 ms to import: it loads when the connection opens, after the first frame."""
    probe = (
        "import sys, tui.app, screens.editor, screens.backends, screens.jobs;"
        "print('httpx' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
