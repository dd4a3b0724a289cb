"""`qrt` starts the app; `qrt serve` starts the local Runtime-compatible service; the
other subcommands (`qrt jobs`, `qrt submit`...) are the command line (`tui.commands`).

Kept free of heavy imports: argparse decides which side runs, and only that side's
modules are imported.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui import __version__


def _default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("qrt", appauthor=False) / "serve"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qrt",
        description="A keyboard-first terminal console for IBM Quantum. With no account "
        "configured it runs on its own local Runtime-compatible service.",
    )
    parser.add_argument("--version", action="version", version=f"qrt {__version__}")
    parser.add_argument("--profile", help="the account profile to use (see the login screen)")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser(
        "serve",
        help="run the local Runtime-compatible service",
        description="Serve IBM's Quantum REST API locally, running jobs with qiskit-aer on "
        "noisy snapshots of real IBM devices.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    serve.add_argument("--data-dir", type=Path, default=None, help="where jobs are kept (SQLite)")
    serve.add_argument(
        "--api-key",
        default=None,
        help="the API key clients exchange for tokens (default: generated and printed once; "
        "prefer the QRT_SERVE_API_KEY variable, which other users cannot see in ps)",
    )
    serve.add_argument("--instance", default=None, help="the instance CRN clients must send")
    serve.add_argument(
        "--legacy-instance", default=None, help="hub/group/project of the older API"
    )
    serve.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="simulator processes"
    )
    serve.add_argument(
        "--worker-memory", type=int, default=4096, metavar="MIB",
        help="memory one job's simulation may use; wider circuits are refused (default 4096)",
    )
    serve.add_argument(
        "--max-job-seconds", type=float, default=3600.0, metavar="S",
        help="longest any job may run, whatever its max_execution_time (default 3600)",
    )
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow binding an address other machines reach"
    )
    serve.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    serve.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="inject faults for testing clients, e.g. '/api/v1/jobs:status=503x3;*:latency=0.2' "
        "(kinds: status, latency, stall, drop, lost, and scheduler:hold); "
        "also enables PUT /qrt/faults to change them at run time",
    )
    serve.add_argument(
        "--rate-limit",
        type=_positive_rate,
        default=None,
        metavar="N",
        help="answer 429 with Retry-After to a client (token or address) above N requests "
        "per second (default: no limit)",
    )
    serve.add_argument("--stop-on-stdin-eof", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--rendezvous", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--count-requests", action="store_true", help=argparse.SUPPRESS)

    from tui.commands import register

    register(commands)
    return parser


def _positive_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < rate < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of requests per second")
    return rate


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from tui.server.main import run_service

        return run_service(
            host=args.host,
            port=args.port,
            data_dir=(args.data_dir or _default_data_dir()).expanduser(),
            api_key=args.api_key,
            instance=args.instance,
            legacy_instance=args.legacy_instance,
            workers=args.workers,
            worker_memory_mib=args.worker_memory,
            max_job_seconds=args.max_job_seconds,
            allow_remote=args.allow_remote,
            log_level=args.log_level,
            stop_on_stdin_eof=args.stop_on_stdin_eof,
            rendezvous=args.rendezvous,
            faults=args.faults,
            rate_limit=args.rate_limit,
            count_requests=args.count_requests,
        )
    if getattr(args, "handler", None) is not None:
        from tui.commands import run

        return run(args)
    from tui.app import run_app

    code = run_app(profile_name=args.profile)
    # The terminal is restored and the embedded service stopped: what would remain is the
    # interpreter tearing down qiskit's and numpy's modules (0.3 s of Ctrl+Q), which nothing
    # needs, and joining background threads that only compute. Quit means quit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
