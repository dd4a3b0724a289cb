"""qrt's command line: the same use cases as the app (`tui.workspace`), for scripts.

One module per group of commands; each registers its subcommands with `register` and
gives each a handler, `async (workspace, args) -> exit code`. Tables on a terminal,
`--json` everywhere, progress and waiting on stderr, and exit codes that say what went
wrong (`tui.commands.output.ExitCode`). No Textual here, and qiskit only for the commands
that transpile or read executor results.
"""

from __future__ import annotations

import argparse

from tui.commands import backends, jobs, sessions, submit

GROUPS = (backends, jobs, submit, sessions)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", default=argparse.SUPPRESS,
                        help="the account profile to use (default: the default profile, else the embedded service)")
    common.add_argument("--json", action="store_true", help="print JSON (stable field names; see README)")
    for group in GROUPS:
        group.register(commands, common)


def run(args: argparse.Namespace) -> int:
    from tui.commands.output import run_handler

    return run_handler(args)
