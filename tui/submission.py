"""What the submit dialog asks for, checked and turned into a primitive's params.

Pure functions, so every message a user can get for a bad field is tested without a
terminal; the dialog only collects text and shows these messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from tui.circuits import TranspiledCircuit

RunMode = Literal["job", "session", "batch"]
MAX_SHOTS = 10_000_000


@dataclass(frozen=True)
class SubmitRequest:
    way: str = "sampler"  # a `tui.programs.SubmitWay` key: which program runs it, and how
    shots: int = 4096
    precision: float | None = None
    parameter_values: Any = None  # a list (one binding) or a list of lists (a sweep)
    observables: tuple[str, ...] = ()
    twirling: bool = False
    dynamical_decoupling: bool = False
    mode: RunMode = "job"
    session_id: str | None = None  # an existing session or batch to join

    @property
    def measures_observables(self) -> bool:
        from tui.programs import submit_way

        return submit_way(self.way).measures_observables

    def describe(self) -> str:
        from tui.programs import submit_way

        what = ", ".join(self.observables) if self.measures_observables else f"{self.shots} shots"
        where = {"job": "alone", "session": "in a new session", "batch": "in a new batch"}[self.mode]
        if self.session_id:
            where = f"in session {self.session_id}"
        return f"{submit_way(self.way).label} ({what}) {where}"


class SubmitFormError(ValueError):
    """A field of the submit dialog is wrong; the message names the field."""


def parse_shots(text: str, max_shots: int | None = None) -> int:
    """The shots of one pub, within the backend's own `max_shots` when it is known (the
    limit IBM applies, and the local service too)."""
    try:
        shots = int(text.strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise SubmitFormError(f"Shots: '{text}' is not a whole number.") from None
    limit = max_shots or MAX_SHOTS
    if not 1 <= shots <= limit:
        whose = " (the backend's max_shots)" if max_shots else ""
        raise SubmitFormError(f"Shots: must be between 1 and {limit:,}{whose}.")
    return shots


def parse_precision(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        precision = float(text)
    except ValueError:
        raise SubmitFormError(f"Precision: '{text}' is not a number.") from None
    if not 0 < precision < 1:
        raise SubmitFormError("Precision: must be between 0 and 1 (e.g. 0.015).")
    return precision


def parse_parameter_values(text: str, num_parameters: int, names: tuple[str, ...] = ()) -> Any:
    """Empty; numbers in the order of `names` (the order the primitive binds them, which
    the dialog shows), with or without brackets: `0.1, 0.2`; by name: `theta=0.1, phi=0.2`;
    or a JSON list of such lists (a sweep)."""
    if not text.strip():
        if num_parameters:
            which = f" ({', '.join(names)})" if names else ""
            raise SubmitFormError(f"Parameters: the circuit has {num_parameters}{which}; give their values, e.g. 0.1, 0.2.")
        return None
    if "=" in text:
        return [_by_name(text, names)]
    stripped = text.strip()
    if not stripped.startswith("["):
        stripped = f"[{stripped}]"  # 0.1, 0.2 is one binding
    try:
        values = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise SubmitFormError(f"Parameters: not a list of numbers ({exc.msg} at column {exc.colno}).") from None
    rows = values if values and isinstance(values, list) and isinstance(values[0], list) else [values]
    for row in rows:
        if not isinstance(row, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row):
            raise SubmitFormError("Parameters: use numbers, 0.1, 0.2, or a list of lists for a sweep.")
        if len(row) != num_parameters:
            order = f" in the order {', '.join(names)}" if names else ""
            raise SubmitFormError(f"Parameters: each binding needs {num_parameters} values{order}, got {len(row)}.")
    return values


def _by_name(text: str, names: tuple[str, ...]) -> list[float]:
    given: dict[str, float] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if names and name not in names:
            raise SubmitFormError(f"Parameters: the circuit has no parameter '{name}' (it has {', '.join(names)}).")
        try:
            given[name] = float(value)
        except ValueError:
            raise SubmitFormError(f"Parameters: '{value.strip()}' for {name} is not a number.") from None
    missing = [name for name in names if name not in given]
    if missing:
        raise SubmitFormError(f"Parameters: no value for {', '.join(missing)}.")
    return [given[name] for name in names]


def parse_observables(text: str, num_qubits: int) -> tuple[str, ...]:
    paulis = tuple(part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip())
    if not paulis:
        raise SubmitFormError(f"Observables: give at least one Pauli string, e.g. {'Z' * num_qubits}.")
    for pauli in paulis:
        if len(pauli) != num_qubits or set(pauli) - set("IXYZ"):
            raise SubmitFormError(
                f"Observables: '{pauli}' must be {num_qubits} letters of I, X, Y, Z (rightmost is qubit 0)."
            )
    return paulis


def primitive_params(
    request: SubmitRequest, transpiled: TranspiledCircuit, primitive: Literal["sampler", "estimator"]
) -> dict[str, Any]:
    """The `params` of a Sampler or Estimator V2 job for one ISA circuit."""
    options: dict[str, Any] = {}
    if request.twirling:
        options["twirling"] = {"enable_gates": True, "enable_measure": True}
    if request.dynamical_decoupling:
        options["dynamical_decoupling"] = {"enable": True, "sequence_type": "XpXm"}
    if primitive == "sampler":
        pub: list[Any] = [transpiled.qasm, request.parameter_values, request.shots]
        return {"pubs": [pub], "version": 2, "options": options}
    observables: list[Any] = [{transpiled.isa_observable(p): 1.0} for p in request.observables]
    sweep = isinstance(request.parameter_values, list) and request.parameter_values and isinstance(
        request.parameter_values[0], list
    )
    if sweep and len(observables) > 1:
        observables = [[o] for o in observables]  # shape (m, 1) broadcasts against (n,) bindings
    pub = [transpiled.qasm, observables if len(observables) > 1 else observables[0]]
    if request.parameter_values is not None or request.precision is not None:
        pub.append(request.parameter_values)
    if request.precision is not None:
        pub.append(request.precision)
    return {"pubs": [pub], "version": 2, "options": options}
