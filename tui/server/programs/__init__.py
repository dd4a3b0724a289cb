"""The programs the local service runs, one module each (`sampler`, `estimator`, `executor`).

Every module in this package that defines `PROGRAM` (a `Program`) is a program: adding one
is adding its module. Nothing here imports qiskit; each program imports it when it runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tui.server.programs.base import Program, ProgramInputError

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
    return found


def program_named(name: str) -> Program | None:
    return programs().get(name)
