"""What a program is to the service: one descriptor, the only place its rules live.

A job's life touches its program four times: the request handler checks what it can
without qiskit (options, version), the parser process reads its circuits and refuses what
could never run, a worker process runs it, and the result is encoded as the client asked.
A `Program` carries each of those steps, so the routes, the scheduler and the workers
never ask which program a job is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.server.backends import DeviceSnapshot
    from tui.server.job_worker import JobOutcome, JobSpec


class ProgramInputError(ValueError):
    """A submission the program refuses; the message (which names the field) goes to the user."""


@dataclass(frozen=True)
class Program:
    """One runtime program, as the service runs it.

    `check_request` runs in the request path: pure Python, cheap, no qiskit; it raises
    `ProgramInputError` (or `OptionError`). `check_circuits` runs in the bounded parser
    process: it decodes the params as the worker will, and raises `ProgramInputError`,
    `PubError` or `SimulationRefused` for what could never run (memory is the worker's
    simulation budget). `run` runs in a worker process and never raises but for
    MemoryError. Each is a module-level function, so that it pickles by name.
    `runs_dry`: the program runs on IBM's `mock_*` backends (a dry run: validated, timed,
    random data of the right shapes).
    """

    name: str
    summary: str
    check_request: Callable[[dict[str, Any]], None]
    check_circuits: Callable[[dict[str, Any], DeviceSnapshot, int], None]
    run: Callable[[JobSpec], JobOutcome]
    input_field: str = "params.pubs"  # what the parser's own limits are reported against
    runs_dry: bool = False
