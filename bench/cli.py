"""Target 10: the command line is quick enough to script with.

- `qrt jobs --json` against a running `qrt serve` profile (200 jobs on it), from the
  interpreter's start to its exit, in a fresh process each time: at most 0.5 s.
- Importing what `qrt jobs` imports (the CLI's modules, the workspace, the client) against
  importing httpx alone, each in a fresh interpreter: at most httpx plus 50 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, Figure, Service, running_service, spread

JOBS_LIMIT_SECONDS = 0.5
IMPORT_ALLOWANCE_SECONDS = 0.05
CLI_IMPORTS = "import tui.cli, tui.commands.jobs, tui.commands.output, tui.workspace, tui.api.client, tui.accounts"
BELL = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; rz(pi/2) $0; sx $0; c[0] = measure $0;'


def _seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def _import_seconds(statement: str, repeats: int) -> list[float]:
    return [_seconds([sys.executable, "-c", statement], dict(os.environ)) for _ in range(repeats)]


def _profile_env(service: Service, scratch: Path) -> dict[str, str]:
    config = scratch / "config.toml"
    config.write_text(
        'default_profile = "bench"\n[secrets]\nplaintext_token_file = true\n'
        f'[profiles.bench]\nchannel = "local"\nurl = "{service.url}"\ninstance = "{service.instance}"\n'
    )
    tokens = scratch / "tokens.json"
    tokens.write_text(json.dumps({"bench": service.api_key}))
    tokens.chmod(0o600)
    return {**os.environ, "QRT_CONFIG": str(config), "QRT_DATA_DIR": str(scratch / "data"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def bench_cli(repeats: int) -> list[Figure]:
    import httpx

    with running_service() as service, tempfile.TemporaryDirectory(prefix="qrt-bench-cli-") as scratch:
        with httpx.Client(base_url=f"{service.url}/api/v1", headers=service.headers, timeout=60) as http:
            for _ in range(200):
                http.post("/jobs", json={"program_id": "sampler", "backend": "ibm_brisbane",
                                         "params": {"pubs": [[BELL, None, 10]], "version": 2}}).raise_for_status()
        env = _profile_env(service, Path(scratch))
        command = [sys.executable, "-m", "tui", "jobs", "--json"]
        _seconds(command, env)  # the first one warms the OS's file cache
        jobs = [_seconds(command, env) for _ in range(repeats + 2)]
    cli = _import_seconds(CLI_IMPORTS, repeats + 2)
    bare = _import_seconds("import httpx", repeats + 2)
    jobs_median, cli_median, bare_median = statistics.median(jobs), statistics.median(cli), statistics.median(bare)
    return [
        Figure(
            "10a. `qrt jobs --json` on a running qrt serve profile (process start to exit)",
            spread(jobs, 1000, " ms"), "-", None, f"<= {JOBS_LIMIT_SECONDS * 1000:.0f} ms",
            jobs_median <= JOBS_LIMIT_SECONDS,
        ),
        Figure(
            "10b. importing the CLI's modules (a fresh interpreter each)",
            spread(cli, 1000, " ms"), f"`import httpx`: {spread(bare, 1000, ' ms')}",
            cli_median / bare_median, f"<= httpx + {IMPORT_ALLOWANCE_SECONDS * 1000:.0f} ms",
            cli_median <= bare_median + IMPORT_ALLOWANCE_SECONDS,
        ),
    ]
