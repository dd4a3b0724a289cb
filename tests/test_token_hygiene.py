"""After a whole login, submit, results and log-out run, the API key is in no file and no log.

The run happens in a child process with its own HOME and XDG directories, DEBUG logging of
every library into a file there, and no keyring (so the in-memory path is the one taken).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ServiceInfo

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio, logging, os, sys
from pathlib import Path
from tui.accounts import Accounts
from tui.api.auth import Secret
from tui.connection import connect_profile
from tui.results import sampler_counts

log_file = Path(os.environ["XDG_STATE_HOME"]) / "qrt" / "debug.log"
log_file.parent.mkdir(parents=True)
logging.basicConfig(filename=log_file, level=logging.DEBUG)

async def main():
    url, instance, qasm = sys.argv[1], sys.argv[2], sys.stdin.read()
    accounts = Accounts()
    accounts.save_profile("cloud", "ibm_quantum_platform", instance=instance, url=url, iam_url=url)
    stored = await accounts.save_token("cloud", Secret(os.environ.pop("QRT_TEST_API_KEY")))
    print("stored:", stored.location, stored.message)
    connection = await connect_profile(accounts.settings.profile("cloud"), accounts.tokens)
    client = connection.client
    await client.backends()
    job_id = await client.submit_sampler_job("ibm_brisbane", [[qasm, None, 20]])
    for _ in range(600):
        if (await client.job(job_id)).is_final:
            break
        await asyncio.sleep(0.1)
    print("shots:", sampler_counts(await client.job_results(job_id))[0].shots)
    print("repr:", repr(client._auth.__dict__), repr(accounts.tokens))
    await accounts.log_out("cloud", connection)
    print("after logout:", await accounts.tokens.load("cloud"))

asyncio.run(main())
"""


def test_the_api_key_is_in_no_file_and_no_log_after_a_full_run(
    service: ServiceInfo, tmp_path: Path, bell_isa_qasm: str
) -> None:
    home = tmp_path / "home"
    dirs = {"XDG_CONFIG_HOME": home / ".config", "XDG_DATA_HOME": home / ".local/share",
            "XDG_CACHE_HOME": home / ".cache", "XDG_STATE_HOME": home / ".local/state"}
    for path in dirs.values():
        path.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("QRT_", "QISKIT_IBM_", "XDG_"))}
    env.update({key: str(path) for key, path in dirs.items()})
    env.update({"HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "QRT_TEST_API_KEY": service.api_key})
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, service.url, service.instance], input=bell_isa_qasm,
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stored: memory" in result.stdout and "shots: 20" in result.stdout, result.stdout
    assert "after logout: None" in result.stdout
    config = dirs["XDG_CONFIG_HOME"] / "qrt" / "config.toml"
    log = dirs["XDG_STATE_HOME"] / "qrt" / "debug.log"
    assert config.is_file() and "HTTP Request: POST" in log.read_text()  # the run was real
    key = service.api_key.encode()
    assert key not in result.stdout.encode() and key not in result.stderr.encode()
    scanned = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert [path for path in scanned if key in path.read_bytes()] == []
    assert len(scanned) >= 2
