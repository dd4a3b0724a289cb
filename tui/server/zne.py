"""Zero-noise extrapolation for the Estimator (resilience level 2), as IBM documents it.

The noise is amplified by folding the circuit's two-qubit gates (G -> G (G^-1 G)^k, on the
same noisy simulator, so every fold carries the device's own gate error), the observables
are estimated at each noise factor, and each extrapolator is fitted to those values and
evaluated at the requested points. `evs` is the first extrapolator whose fit succeeds at
zero noise (finite, and within the observable's range give or take three standard
deviations), else the least amplified value, as IBM's `fallback`.

Fields (`qiskit_ibm_runtime.options.ZneOptions`): `evs_noise_factors`, `stds_noise_factors`,
`ensemble_stds_noise_factors` of shape (*pub shape, factors); `evs_extrapolated`,
`stds_extrapolated` of shape (*pub shape, extrapolators, evaluation points).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.server.options import OptionError, resilience_level

if TYPE_CHECKING:
    import numpy as np
    from qiskit import QuantumCircuit

DEFAULT_NOISE_FACTORS = (1.0, 3.0, 5.0)
DEFAULT_EXTRAPOLATORS = ("exponential", "linear")
AMPLIFIERS = ("gate_folding", "gate_folding_front", "gate_folding_back")
MAX_NOISE_FACTORS = 10
MAX_NOISE_FACTOR = 15.0
_POLYNOMIAL = re.compile(r"polynomial_degree_([1-7])$")


@dataclass(frozen=True)
class ZnePlan:
    noise_factors: tuple[float, ...]
    extrapolators: tuple[str, ...]
    evaluation_points: tuple[float, ...]
    amplifier: str

    def describe(self) -> dict[str, Any]:
        """The result metadata's `resilience.zne` (IBM's PrimitiveResultZneMetadataModel)."""
        return {
            "noise_factors": list(self.noise_factors),
            "extrapolator": list(self.extrapolators),
            "extrapolated_noise_factors": list(self.evaluation_points),
        }


def points_needed(extrapolator: str) -> int:
    """How many noise factors a fit of `extrapolator` needs (its free parameters)."""
    if extrapolator == "fallback":
        return 1
    if extrapolator in ("linear", "exponential"):
        return 2
    if extrapolator == "double_exponential":
        return 4
    match = _POLYNOMIAL.match(extrapolator)
    if match is None:
        raise OptionError(
            f"options.resilience.zne.extrapolator: unknown extrapolator '{extrapolator}' (linear, "
            "exponential, double_exponential, polynomial_degree_1 to _7, fallback)"
        )
    return int(match.group(1)) + 1


def _numbers(value: Any, name: str) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        raise OptionError(f"options.resilience.zne.{name} must be a non-empty list of numbers")
    return tuple(float(v) for v in value)


def zne_plan(params: dict[str, Any], options: dict[str, Any]) -> ZnePlan | None:
    """The job's ZNE, if its options ask for it (level 2's default); OptionError if invalid."""
    resilience = options.get("resilience") or {}
    wanted = resilience.get("zne_mitigation")
    if wanted is None:
        wanted = resilience_level(params) >= 2
    if not isinstance(wanted, bool):
        raise OptionError("options.resilience.zne_mitigation must be true or false")
    zne = resilience.get("zne") or {}
    if not isinstance(zne, dict):
        raise OptionError("options.resilience.zne must be an object")
    if not wanted:
        return None
    if resilience.get("pec_mitigation") is True:
        raise OptionError("options.resilience: pec_mitigation and zne_mitigation cannot both be true")
    amplifier = zne.get("amplifier", "gate_folding")
    if amplifier == "pea":
        raise OptionError(
            "options.resilience.zne.amplifier 'pea' amplifies learned layer noise, and layer "
            "noise learning is not simulated here; use 'gate_folding' (the default)"
        )
    if amplifier not in AMPLIFIERS:
        raise OptionError(f"options.resilience.zne.amplifier must be one of {', '.join(AMPLIFIERS)}")
    factors = _numbers(zne["noise_factors"], "noise_factors") if "noise_factors" in zne else DEFAULT_NOISE_FACTORS
    if len(factors) > MAX_NOISE_FACTORS or any(not 1 <= f <= MAX_NOISE_FACTOR for f in factors):
        raise OptionError(
            f"options.resilience.zne.noise_factors: at most {MAX_NOISE_FACTORS} factors, each "
            f"from 1 to {MAX_NOISE_FACTOR:g}"
        )
    if len(set(factors)) != len(factors):
        raise OptionError("options.resilience.zne.noise_factors must be distinct")
    chosen = zne.get("extrapolator", list(DEFAULT_EXTRAPOLATORS))
    extrapolators = (chosen,) if isinstance(chosen, str) else chosen
    if not isinstance(extrapolators, (list, tuple)) or not extrapolators or not all(
        isinstance(e, str) for e in extrapolators
    ):
        raise OptionError("options.resilience.zne.extrapolator must be a name or a list of names")
    for extrapolator in extrapolators:
        if points_needed(extrapolator) > len(factors):
            raise OptionError(
                f"options.resilience.zne.extrapolator '{extrapolator}' needs at least "
                f"{points_needed(extrapolator)} noise factors; {len(factors)} given"
            )
    points = (
        _numbers(zne["extrapolated_noise_factors"], "extrapolated_noise_factors")
        if zne.get("extrapolated_noise_factors") is not None else (0.0, *factors)
    )
    return ZnePlan(tuple(sorted(factors)), tuple(extrapolators), points, amplifier)


# --- amplification --------------------------------------------------------------------------


def folded(circuit: QuantumCircuit, factor: float, amplifier: str, seed: int | None) -> QuantumCircuit:
    """The circuit with its two-qubit gates folded to amplify their noise `factor` times.

    Each fold adds G^-1 G after G; with (factor - 1) / 2 folds per gate not an integer, the
    remainder is made up by one more fold on that share of the gates: chosen at random
    (`gate_folding`), from the front or from the back of the circuit.
    """
    import random

    from qiskit.circuit import Barrier

    two_qubit = [
        index for index, instruction in enumerate(circuit.data)
        if instruction.operation.num_qubits == 2 and not instruction.operation.name.startswith("measure")
        and getattr(instruction.operation, "_directive", False) is False
        and not getattr(instruction.operation, "blocks", ())
    ]
    folds = (factor - 1) / 2
    whole = int(math.floor(folds + 1e-9))
    extra_count = round((folds - whole) * len(two_qubit))
    if amplifier == "gate_folding_front":
        extra = set(two_qubit[:extra_count])
    elif amplifier == "gate_folding_back":
        extra = set(two_qubit[len(two_qubit) - extra_count:])
    else:
        extra = set(random.Random(seed).sample(two_qubit, extra_count))
    amplified = circuit.copy_empty_like()
    wanted = set(two_qubit)
    for index, instruction in enumerate(circuit.data):
        amplified.append(instruction)
        if index not in wanted:
            continue
        inverse = instruction.operation.inverse()
        for _ in range(whole + (index in extra)):
            # barriers keep G^-1 G from being cancelled or fused away: the noise is the point
            amplified.append(Barrier(2), instruction.qubits)
            amplified.append(inverse, instruction.qubits)
            amplified.append(Barrier(2), instruction.qubits)
            amplified.append(instruction.operation, instruction.qubits)
    return amplified


# --- extrapolation --------------------------------------------------------------------------


def extrapolate(
    extrapolator: str, factors: np.ndarray, values: np.ndarray, stds: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """`extrapolator` fitted to (factors, values +- stds), at `points`: values and stds,
    or None when the fit does not succeed."""
    import numpy as np

    sigma = np.maximum(stds, 1e-12)
    if extrapolator == "fallback":
        lowest = int(np.argmin(factors))
        return np.full(points.shape, values[lowest]), np.full(points.shape, stds[lowest])
    match = _POLYNOMIAL.match(extrapolator)
    degree = 1 if extrapolator == "linear" else int(match.group(1)) if match else None
    if degree is not None:
        # weighted least squares is linear in the data: each point's value is sum w_i y_i
        design = np.vander(factors, degree + 1, increasing=True) / sigma[:, None]
        solve = np.linalg.pinv(design) / sigma[None, :]  # coefficients = solve @ values
        at = np.vander(points, degree + 1, increasing=True) @ solve
        return at @ values, np.sqrt((at**2) @ (stds**2))
    return _fitted_exponential(extrapolator, factors, values, sigma, points)


def _fitted_exponential(
    extrapolator: str, factors: np.ndarray, values: np.ndarray, sigma: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    import warnings

    import numpy as np
    from scipy.optimize import curve_fit

    def single(x: Any, a: float, rate: float) -> Any:
        return a * np.exp(-rate * x)

    def double(x: Any, a: float, r1: float, b: float, r2: float) -> Any:
        return a * np.exp(-r1 * x) + b * np.exp(-r2 * x)

    model: Any = single if extrapolator == "exponential" else double
    first = values[int(np.argmin(factors))]
    start = [first, 0.1] if model is single else [first / 2, 0.05, first / 2, 0.5]
    lower = [-np.inf, 0.0] if model is single else [-np.inf, 0.0, -np.inf, 0.0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coefficients, covariance = curve_fit(
                model, factors, values, p0=start, sigma=sigma, absolute_sigma=True,
                bounds=(lower, [np.inf] * len(start)), maxfev=5000,
            )
    except (RuntimeError, ValueError):
        return None
    if not np.all(np.isfinite(covariance)):
        return None
    at = model(points, *coefficients)
    step = 1e-6
    jacobian = np.stack([
        (model(points, *(coefficients + step * np.eye(len(coefficients))[k])) - at) / step
        for k in range(len(coefficients))
    ], axis=-1)
    variance = np.einsum("pi,ij,pj->p", jacobian, covariance, jacobian)
    return at, np.sqrt(np.maximum(variance, 0.0))


@dataclass
class ZneEstimate:
    """One pub's ZNE data (arrays of the pub's shape plus the trailing axes) and the name
    of the extrapolator behind each of its `evs`."""

    evs: np.ndarray
    stds: np.ndarray
    evs_noise_factors: np.ndarray
    stds_noise_factors: np.ndarray
    evs_extrapolated: np.ndarray
    stds_extrapolated: np.ndarray
    chosen: list[str]

    def fields(self) -> dict[str, np.ndarray]:
        return {
            "evs": self.evs, "stds": self.stds,
            "evs_noise_factors": self.evs_noise_factors,
            "stds_noise_factors": self.stds_noise_factors,
            # no drift between the shots of one run: the ensemble's std is the shot noise
            "ensemble_stds_noise_factors": self.stds_noise_factors,
            "evs_extrapolated": self.evs_extrapolated,
            "stds_extrapolated": self.stds_extrapolated,
        }


def zne_estimate(plan: ZnePlan, evs: np.ndarray, stds: np.ndarray, bounds: np.ndarray) -> ZneEstimate:
    """From evs/stds of shape (*shape, factors) and each element's largest |value| (the sum
    of its observable's |coefficients|): the extrapolated fields and the chosen `evs`."""
    import numpy as np

    factors = np.array(plan.noise_factors)
    points = np.array(plan.evaluation_points)
    shape = evs.shape[:-1]
    extrapolated = np.full((*shape, len(plan.extrapolators), len(points)), np.nan)
    extrapolated_stds = np.full_like(extrapolated, np.nan)
    best = np.empty(shape)
    best_stds = np.empty(shape)
    chosen: list[str] = []
    for position in np.ndindex(shape):
        picked = None
        for k, name in enumerate(plan.extrapolators):
            fit = extrapolate(name, factors, evs[position], stds[position], np.append(points, 0.0))
            if fit is None:
                continue
            extrapolated[position + (k,)], extrapolated_stds[position + (k,)] = fit[0][:-1], fit[1][:-1]
            value, std = float(fit[0][-1]), float(fit[1][-1])  # at zero noise
            if picked is None and math.isfinite(value) and math.isfinite(std) and abs(value) <= bounds[position] + 3 * std:
                picked = (name, value, std)
        if picked is None:  # IBM's fallback: the least amplified value as it is
            lowest = int(np.argmin(factors))
            picked = ("fallback", float(evs[position + (lowest,)]), float(stds[position + (lowest,)]))
        chosen.append(picked[0])
        best[position], best_stds[position] = picked[1], picked[2]
    return ZneEstimate(best, best_stds, evs, stds, extrapolated, extrapolated_stds, chosen)
