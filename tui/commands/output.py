"""Printing, exit codes and the one place command errors are turned into both.

stdout carries the answer (a table, or `--json`); stderr carries progress and problems,
so `qrt results ID --format csv > counts.csv` writes only the counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    JOB_FAILED = 1  # a job ended Failed or Cancelled
    BAD_INPUT = 2  # usage, an unreadable file, or a request the service refused (400, 409)
    NOT_FOUND = 3  # no such job, session, backend or profile
    NOT_AUTHORIZED = 4  # the key was refused, or none is stored
    UNREACHABLE = 5  # the service did not answer, or the local service did not start
    NOT_FINISHED = 6  # results asked for before the job ended
    INTERRUPTED = 130  # Ctrl+C: the wait stopped; the jobs go on


class CommandFailed(Exception):
    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Columns as wide as their widest cell, two spaces apart; numbers right-aligned."""
    text_rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in text_rows)]) for i, header in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in text_rows if row[i]) and bool(text_rows) for i in range(len(headers))]

    def line(cells: Iterable[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width) for cell, width, right in zip(cells, widths, numeric)
        ).rstrip()

    print(line(headers))
    for row in text_rows:
        print(line(row))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def exit_code_for(error: BaseException) -> tuple[ExitCode, str]:
    """What an error means to a script, and what to tell its user."""
    from tui.api.errors import (
        ApiError,
        Conflict,
        Forbidden,
        InvalidInput,
        NotFound,
        Unauthorized,
    )
    from tui.connection import ProfileError
    from tui.local_service import LocalServiceError

    if isinstance(error, CommandFailed):
        return error.code, str(error)
    if isinstance(error, (Unauthorized, Forbidden)):
        return ExitCode.NOT_AUTHORIZED, f"not authorized: {error}"
    if isinstance(error, NotFound):
        return ExitCode.NOT_FOUND, str(error)
    if isinstance(error, (InvalidInput, Conflict)):
        return ExitCode.BAD_INPUT, str(error)
    if isinstance(error, ApiError):  # Unavailable, RateLimited and the rest: the service did not serve it
        return ExitCode.UNREACHABLE, str(error)
    if isinstance(error, ProfileError):
        missing = "no profile named" in str(error).lower()
        return (ExitCode.NOT_FOUND if missing else ExitCode.NOT_AUTHORIZED), str(error)
    if isinstance(error, LocalServiceError):
        return ExitCode.UNREACHABLE, str(error)
    if isinstance(error, (OSError, ValueError)):  # files, QASM, transpiling, the request's fields
        return ExitCode.BAD_INPUT, str(error)
    raise error


def run_handler(args: argparse.Namespace) -> int:
    """Connect, run the command's handler, close (stopping an embedded service this
    command started), and turn what went wrong into a message and an exit code."""

    import asyncio

    async def main() -> int:
        from tui.workspace import Workspace, connect

        connection = await connect(getattr(args, "profile", None), reuse_embedded=True)
        workspace = Workspace(connection)
        try:
            if connection.local_service is not None and getattr(args, "mentions_embedded", False):
                progress("qrt: started the embedded local service; it stops when this command ends")
            return int(await args.handler(workspace, args))
        finally:
            await asyncio.shield(workspace.close())

    try:
        return asyncio.run(main())
    except BrokenPipeError:
        # The reader went away (`qrt jobs | head`): what it wanted it has; say nothing more.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except KeyboardInterrupt:
        progress("qrt: interrupted; jobs already submitted go on (qrt wait ID picks them up)")
        return ExitCode.INTERRUPTED
    except Exception as error:  # noqa: BLE001 - each kind becomes its exit code
        code, message = exit_code_for(error)
        progress(f"qrt: {message}")
        return code

