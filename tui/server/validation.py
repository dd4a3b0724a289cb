"""Submissions are parsed and checked in a bounded process, never in the request path.

Parsing OpenQASM is CPU-bound Python that holds the GIL: a 1 MB circuit kept the service's
event loop waiting for seconds, so that `/versions` went unanswered. Here a warm process
does the parsing, under a memory cap and a time limit; the service only waits on a pipe,
and a program that would need more is refused with a 400 that says which limit it hit.
The worker that runs the job parses the parameters again (milliseconds for what fits).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from tui.server.backends import DeviceSnapshot
from tui.server.errors import ApiProblem
from tui.server.programs.base import Program
from tui.server.workers import WorkerDied, WorkerLimits, WorkerPool, WorkerTimedOut, WorkerUnavailable

PARSE_SECONDS = 20.0
PARSE_MEMORY_MIB = 1024
WAIT_FOR_PARSER_SECONDS = 30.0
VERDICTS_KEPT = 512


def warm_parser() -> None:
    from qiskit import qasm2, qasm3  # noqa: F401
    from qiskit_ibm_runtime.json import RuntimeDecoder  # noqa: F401

    import tui.server.pubs  # noqa: F401

    qasm3.loads('OPENQASM 3.0; include "stdgates.inc"; qubit[1] q; h q[0];')  # loads the grammar


def problem_with(
    program: str, params: dict[str, Any], conf_file: str, props_file: str | None, memory_mib: int
) -> str | None:
    """In the parser process: why the job cannot run (the 400's message), or None."""
    from tui.server.job_worker import snapshot
    from tui.server.methods import SimulationRefused
    from tui.server.options import OptionError
    from tui.server.programs import ProgramInputError, program_named
    from tui.server.pubs import PubError

    program_entry = program_named(program)
    assert program_entry is not None  # the request handler checked the id
    try:
        program_entry.check_circuits(params, snapshot(conf_file, props_file), memory_mib)
    except (PubError, SimulationRefused, ProgramInputError, OptionError) as exc:
        return str(exc)
    return None


class SubmissionChecker:
    """Checks submissions in the parser process, remembering recent verdicts: the same
    program on the same backend gets the same verdict, and users resubmit the same
    circuits often (a job again, a loop of runs), so a repeat costs a hash, not a trip."""

    def __init__(self, simulation_memory_mib: int) -> None:
        self._simulation_memory_mib = simulation_memory_mib
        self._pool: WorkerPool | None = None
        self._verdicts: OrderedDict[bytes, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._pool = WorkerPool(
            "qrt-parser", 1, initializer=warm_parser, limits=WorkerLimits(PARSE_MEMORY_MIB)
        )

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def check(self, program: Program, params: dict[str, Any], device: DeviceSnapshot) -> None:
        """Raise ApiProblem (400, or 503 while no parser is free) unless the job can run."""
        key = _verdict_key(program.name, params, device)
        with self._lock:
            if key in self._verdicts:
                self._verdicts.move_to_end(key)
                problem = self._verdicts[key]
                if problem is not None:
                    raise ApiProblem(400, problem)
                return
        problem = self._checked(program, params, device)
        with self._lock:
            self._verdicts[key] = problem
            if len(self._verdicts) > VERDICTS_KEPT:
                self._verdicts.popitem(last=False)
        if problem is not None:
            raise ApiProblem(400, problem)

    def _checked(self, program: Program, params: dict[str, Any], device: DeviceSnapshot) -> str | None:
        """The parser process's verdict; ApiProblem when it could not give one."""
        assert self._pool is not None
        props_file = str(device.props_file) if device.props_file else None
        field = program.input_field
        try:
            return self._pool.call(
                problem_with, program.name, params, str(device.conf_file), props_file,
                self._simulation_memory_mib, timeout=PARSE_SECONDS, wait_for_worker=WAIT_FOR_PARSER_SECONDS,
            )
        except WorkerUnavailable:
            raise ApiProblem(503, "The service is busy checking other submissions; try again shortly.") from None
        except WorkerTimedOut:
            raise ApiProblem(
                400, f"{field}: the circuits took longer than {PARSE_SECONDS:g} s to parse and "
                "check; submit smaller circuits or fewer of them"
            ) from None
        except WorkerDied:
            raise ApiProblem(
                400, f"{field}: the circuits need more than {PARSE_MEMORY_MIB} MiB to parse; "
                "submit smaller circuits or fewer of them"
            ) from None
        except Exception:
            raise ApiProblem(400, f"{field}: the circuits could not be read") from None


def _verdict_key(program: str, params: dict[str, Any], device: DeviceSnapshot) -> bytes:
    """What a verdict depends on: the program, its parameters exactly, and the device."""
    text = json.dumps([program, device.name, params], sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.blake2b(text.encode(), digest_size=20).digest()
