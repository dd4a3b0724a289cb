"""The job options that change the physics: read, checked, and judged applicable or not.

Pure Python, so that a submission is checked (and refused with a 400) without qiskit.
Twirling and estimator measurement mitigation take effect (tui.server.twirling and
tui.server.mitigation); everything else a job sets that cannot take effect in a
simulation is named, with the reason, in the job's result metadata.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class OptionError(ValueError):
    """An option IBM would refuse; the message is shown to the user as is."""


AUTO_RANDOMIZATIONS = 32
MIN_AUTO_SHOTS_PER_RANDOMIZATION = 64
DEFAULT_SAMPLER_SHOTS = 4096
DEFAULT_PRECISION = 0.015625
CALIBRATION_RANDOMIZATIONS = 32
CALIBRATION_SHOTS_PER_RANDOMIZATION = 128


@dataclass(frozen=True)
class TwirlingPlan:
    gates: bool
    measure: bool
    num_randomizations: int | None  # None: "auto"
    shots_per_randomization: int | None  # None: "auto"

    def split(self, shots: int) -> tuple[int, int]:
        """(randomizations, shots each) for a pub of `shots` shots, as IBM sizes them."""
        randomizations, each = self.num_randomizations, self.shots_per_randomization
        if randomizations is None and each is None:
            # IBM's documented rule for both "auto": at least 64 shots per randomization,
            # 32 randomizations once the shots allow it.
            each = max(MIN_AUTO_SHOTS_PER_RANDOMIZATION, math.ceil(shots / AUTO_RANDOMIZATIONS))
        if each is None:
            each = math.ceil(shots / randomizations)  # type: ignore[operator]
        if randomizations is None:
            randomizations = math.ceil(shots / each)
        return randomizations, each

    def total_shots(self, shots: int) -> int:
        """The shots a twirled pub really gets: whole randomizations, so maybe a few more."""
        randomizations, each = self.split(shots)
        return randomizations * each

    def describe(self, pub_shots: list[int] | None = None) -> dict[str, Any]:
        described: dict[str, Any] = {
            "enable_gates": self.gates,
            "enable_measure": self.measure,
            "num_randomizations": self.num_randomizations or "auto",
            "shots_per_randomization": self.shots_per_randomization or "auto",
        }
        if pub_shots:  # what "auto" came to, per pub
            described["per_pub"] = [
                dict(zip(("num_randomizations", "shots_per_randomization"), self.split(shots)))
                for shots in pub_shots
            ]
        return described


def _or_default(value: Any, default: bool) -> Any:
    return default if value is None else value


def _count_option(value: Any, name: str) -> int | None:
    if value in (None, "auto"):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"options.twirling.{name} must be a positive integer or 'auto'")
    return value


def twirling_plan(program: str, params: dict[str, Any]) -> TwirlingPlan | None:
    """The twirling a job asked for, or None for none.

    IBM's defaults: none for the Sampler; for the Estimator, measurements from resilience
    level 1 and gates from level 2.
    """
    options = params.get("options") or {}
    level = resilience_level(params) if program == "estimator" else 0
    twirling = options.get("twirling") or {}
    if not isinstance(twirling, dict):
        raise OptionError("options.twirling must be an object")
    plan = TwirlingPlan(
        gates=bool(_or_default(twirling.get("enable_gates"), level >= 2)),
        measure=bool(_or_default(twirling.get("enable_measure"), level >= 1)),
        num_randomizations=_count_option(twirling.get("num_randomizations"), "num_randomizations"),
        shots_per_randomization=_count_option(
            twirling.get("shots_per_randomization"), "shots_per_randomization"
        ),
    )
    return plan if plan.gates or plan.measure else None


DYNAMICAL_DECOUPLING_REASON = (
    "the simulated noise is Markovian (depolarizing gate errors, T1/T2 relaxation, readout "
    "error) and circuits are not scheduled, so idle qubits gather no error that a "
    "decoupling sequence could refocus; its pulses would only add gate error"
)
EXECUTION_REASON = (
    "init_qubits and rep_delay do not change a simulation, which starts every shot from an "
    "exact |0>"
)
CLASSIFIED = "classified"
KERNELED_REFUSAL = (
    "options.execution.meas_type '{kind}' asks for IQ data (complex numbers per shot), "
    "which the local simulator does not model: it has no readout resonator to integrate, "
    "only classified bits with the device's readout error. Use 'classified' (the default)."
)
TWIRLING_STRATEGY_REASON = (
    "each 2-qubit gate is twirled with Paulis on its own qubits only; which idle qubits "
    "a strategy would also twirl is not modelled"
)
UNSIMULATED_MITIGATION = {
    "pec_mitigation": "probabilistic error cancellation is not simulated",
}


def resilience_level(params: dict[str, Any]) -> int:
    level = params.get("resilience_level", 1)
    if isinstance(level, bool) or level not in (0, 1, 2):
        raise OptionError("resilience_level must be 0, 1 or 2")
    return int(level)


def wants_measure_mitigation(params: dict[str, Any], options: dict[str, Any]) -> bool:
    resilience = options.get("resilience") or {}
    return bool(resilience.get("measure_mitigation", resilience_level(params) >= 1))


def unapplied_options(program: str, params: dict[str, Any], options: dict[str, Any]) -> list[str]:
    """`name: reason` for every option the job set that the simulation cannot honour."""
    unapplied = []
    decoupling = options.get("dynamical_decoupling") or {}
    if isinstance(decoupling, dict) and decoupling.get("enable"):
        unapplied.append(f"dynamical_decoupling: {DYNAMICAL_DECOUPLING_REASON}")
    if {"init_qubits", "rep_delay"} & set(options.get("execution") or {}):
        unapplied.append(f"execution: {EXECUTION_REASON}")
    twirling = options.get("twirling") or {}
    if isinstance(twirling, dict) and twirling.get("strategy"):
        unapplied.append(f"twirling.strategy: {TWIRLING_STRATEGY_REASON}")
    if program != "estimator":
        return unapplied
    resilience = options.get("resilience") or {}
    for name, reason in UNSIMULATED_MITIGATION.items():
        if resilience.get(name):
            unapplied.append(f"resilience.{name}: {reason}")
    if resilience.get("layer_noise_model") or resilience.get("layer_noise_learning"):
        unapplied.append("resilience.layer_noise_learning: layer noise learning is not simulated")
    return unapplied


OPTION_GROUPS = (
    "simulator", "twirling", "dynamical_decoupling", "execution", "resilience", "environment",
    "experimental",
)


def check_options(program: str, params: dict[str, Any]) -> None:
    """Refuse, at submission, options that could never run."""
    options = params.get("options") or {}
    if not isinstance(options, dict):
        raise OptionError("params.options must be an object")
    for group in OPTION_GROUPS:
        if options.get(group) is not None and not isinstance(options[group], dict):
            raise OptionError(f"options.{group} must be an object, not {type(options[group]).__name__}")
    seed = (options.get("simulator") or {}).get("seed_simulator")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise OptionError("options.simulator.seed_simulator must be a non-negative integer")
    for name, value in (("params.shots", params.get("shots")),
                        ("options.default_shots", options.get("default_shots"))):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise OptionError(f"{name} must be a positive integer")
    for name, value in (("params.precision", params.get("precision")),
                        ("options.default_precision", options.get("default_precision"))):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise OptionError(f"{name} must be a positive number")
    meas_type = (options.get("execution") or {}).get("meas_type", CLASSIFIED)
    if meas_type != CLASSIFIED:
        if meas_type not in ("kerneled", "avg_kerneled"):
            raise OptionError("options.execution.meas_type must be 'classified', 'kerneled' or 'avg_kerneled'")
        raise OptionError(KERNELED_REFUSAL.format(kind=meas_type))
    twirling_plan(program, params)
    if program == "estimator":
        if not isinstance(options.get("resilience") or {}, dict):
            raise OptionError("options.resilience must be an object")
        calibration_shape(options)


def default_shots(params: dict[str, Any]) -> int:
    options = params.get("options") or {}
    return int(params.get("shots") or options.get("default_shots") or DEFAULT_SAMPLER_SHOTS)


def default_precision(params: dict[str, Any]) -> float:
    options = params.get("options") or {}
    return float(params.get("precision") or options.get("default_precision") or DEFAULT_PRECISION)


def calibration_shape(options: dict[str, Any]) -> tuple[int, int]:
    """(randomizations, shots each) of the readout calibration measurement mitigation runs."""
    learning = (options.get("resilience") or {}).get("measure_noise_learning") or {}
    if not isinstance(learning, dict):
        raise OptionError("options.resilience.measure_noise_learning must be an object")
    return (
        _positive(learning.get("num_randomizations"), CALIBRATION_RANDOMIZATIONS),
        _positive(learning.get("shots_per_randomization"), CALIBRATION_SHOTS_PER_RANDOMIZATION),
    )


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
