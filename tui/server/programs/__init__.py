"""The programs the local service runs, one module each (`sampler`, `estimator`, `executor`).

Every module in this package that defines `PROGRAM` (a `Program`) is a program: adding one
is adding its module. A program can also live in a distribution of its own, named by an
entry point in the `qrt.programs` group (`echo = my_package.echo:PROGRAM`): that is how a
test adds one to a running service without touching anything else. Nothing here imports
qiskit; each program imports it when it runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tui.server.programs.base import Program, ProgramInputError

ENTRY_POINT_GROUP = "qrt.programs"

__all__ = ["Program", "ProgramInputError", "program_named", "programs"]


@cache
def programs() -> dict[str, Program]:
    """Every program, by its id."""
    found: dict[str, Program] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        program = getattr(module, "PROGRAM", None)
        if isinstance(program, Program):
            found[program.name] = program
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        program = entry_point.load()
        if isinstance(program, Program):
            found.setdefault(program.name, program)  # never in place of a built-in one
    return found


def program_named(name: str) -> Program | None:
    return programs().get(name)
