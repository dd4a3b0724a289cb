"""Job results -> Sampler counts tables and Estimator values; CSV and JSON export.

Both result encodings are read: IBM's plain JSON (hex samples, what qrt asks for) and the
type-tagged JSON of qiskit's encoder (jobs submitted by the official client). Plain counting
runs on the hex strings themselves (collections.Counter is C code), and only the distinct
outcomes are converted to integers, so a million shots count in a fraction of a second;
tagged bit arrays are counted with numpy, imported only then.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tui.tagged_json import TaggedBits, is_type_tagged, tagged_pub_results


@dataclass(frozen=True)
class CountsRow:
    bitstring: str
    value: int
    count: int
    probability: float

    @property
    def hex(self) -> str:
        return hex(self.value)


@dataclass(frozen=True)
class RegisterCounts:
    """Outcome counts of one classical register of one pub, most frequent first."""

    pub_index: int
    register: str
    num_bits: int
    shots: int
    rows: tuple[CountsRow, ...]

    def most_likely(self) -> CountsRow | None:
        return self.rows[0] if self.rows else None


class ResultFormatError(ValueError):
    """The result body is not a primitive result qrt understands."""


def _flatten(samples: Any) -> Iterator[str]:
    if isinstance(samples, str):
        yield samples
        return
    for item in samples:
        yield from _flatten(item)


def counts_table(
    pub_index: int, register: str, num_bits: int, value_counts: Iterable[tuple[int, int]]
) -> RegisterCounts:
    pairs = list(value_counts)
    shots = sum(count for _, count in pairs)
    rows = sorted(
        (CountsRow(format(value, f"0{num_bits}b"), value, count, count / shots)
         for value, count in pairs),
        key=lambda row: (-row.count, row.value),
    )
    return RegisterCounts(pub_index, register, num_bits, shots, tuple(rows))


def count_register(pub_index: int, register: str, samples: Any, num_bits: int) -> RegisterCounts:
    flat = samples if samples and isinstance(samples[0], str) else list(_flatten(samples))
    tally = Counter(flat)
    return counts_table(pub_index, register, num_bits, ((int(h, 16), n) for h, n in tally.items()))


def count_bits(pub_index: int, register: str, bits: TaggedBits) -> RegisterCounts:
    """Counts of a tagged BitArray: distinct rows of big-endian bytes, counted by numpy."""
    import numpy as np

    array = np.ascontiguousarray(bits.array, dtype=np.uint8)
    width = array.shape[-1] if array.ndim else 0
    if width == 0:
        return counts_table(pub_index, register, bits.num_bits, [])
    rows = array.reshape(-1, width).view(np.dtype((np.void, width))).ravel()
    distinct, counts = np.unique(rows, return_counts=True)
    return counts_table(
        pub_index, register, bits.num_bits,
        ((int.from_bytes(row.tobytes(), "big"), int(n)) for row, n in zip(distinct, counts)),
    )


def _plain_pubs(result: Any) -> list[dict[str, Any]]:
    if not isinstance(result, dict) or not isinstance(result.get("results"), list):
        raise ResultFormatError("not a primitive result: no 'results' list")
    pubs = []
    for pub_index, pub in enumerate(result["results"]):
        data = pub.get("data") if isinstance(pub, dict) else None
        if not isinstance(data, dict):
            raise ResultFormatError(f"results[{pub_index}] has no 'data'")
        pubs.append(data)
    return pubs


def _tagged_pubs(result: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        return [pub["data"].fields for pub in tagged_pub_results(result)]
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultFormatError(f"not a primitive result qrt can read: {exc}") from None


def _pub_data(result: Any) -> list[dict[str, Any]]:
    """The data fields of each pub, whichever encoding the job's results came in."""
    return _tagged_pubs(result) if is_type_tagged(result) else _plain_pubs(result)


def sampler_counts(result: Any) -> list[RegisterCounts]:
    """Counts of every register of every pub of a Sampler result (plain or type-tagged)."""
    tables: list[RegisterCounts] = []
    for pub_index, data in enumerate(_pub_data(result)):
        for register, payload in data.items():
            if isinstance(payload, TaggedBits):
                tables.append(count_bits(pub_index, register, payload))
            elif isinstance(payload, dict) and "samples" in payload:
                num_bits = int(payload.get("num_bits") or 1)
                tables.append(count_register(pub_index, register, payload["samples"], num_bits))
    return tables


@dataclass(frozen=True)
class PubValues:
    """Expectation values of one Estimator pub, flattened in C order over `shape`."""

    pub_index: int
    shape: tuple[int, ...]
    values: tuple[float, ...]
    stds: tuple[float, ...]
    ensemble_standard_errors: tuple[float, ...] | None = None
    labels: tuple[str, ...] | None = None  # the observable behind each value, when known

    def indices(self) -> Iterator[tuple[int, ...]]:
        """The broadcast index of each value, in the order of `values`."""
        return itertools.product(*(range(size) for size in self.shape))

    def label(self, position: int, index: tuple[int, ...]) -> str:
        """What a value is of: its observable, else its broadcast index."""
        if self.labels is not None:
            return self.labels[position]
        return " ".join(map(str, index)) or "()"


def observable_label(observable: Any) -> str | None:
    """'ZZ', or '0.5·ZZ + 0.5·XX' for a weighted sum, as the submission wrote it."""
    if isinstance(observable, str):
        return observable
    if isinstance(observable, dict) and observable and all(isinstance(k, str) for k in observable):
        if len(observable) == 1 and list(observable.values())[0] in (1, 1.0):
            return next(iter(observable))
        return " + ".join(f"{coefficient:g}·{pauli}" for pauli, coefficient in observable.items()
                          if isinstance(coefficient, (int, float)))
    return None


def pub_observable_labels(pubs_param: Any) -> list[tuple[str, ...] | None]:
    """Per Estimator pub of a job's params, the label of each value, when the pub's
    observables are a flat list (one value each); None where they are broadcast otherwise."""
    labels: list[tuple[str, ...] | None] = []
    for pub in pubs_param if isinstance(pubs_param, list) else []:
        observables = pub[1] if isinstance(pub, list) and len(pub) > 1 else None
        if not isinstance(observables, list):
            observables = [observables]
        named = [observable_label(item) for item in observables]
        labels.append(tuple(named) if named and all(named) else None)  # type: ignore[arg-type]
    return labels


def _shape_and_values(value: Any) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """A number, a nested list or a numpy array -> its shape and its values in C order."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    shape: list[int] = []
    probe = value
    while isinstance(probe, list):
        shape.append(len(probe))
        probe = probe[0] if probe else None
    flat = list(_flatten_numbers(value))
    return tuple(shape), tuple(float(number) for number in flat)


def _flatten_numbers(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten_numbers(item)
    else:
        yield value


def _matching(name: str, pub_index: int, values: tuple[float, ...], size: int) -> tuple[float, ...]:
    """A per-value column; a single number is broadcast over the pub's shape."""
    if len(values) == size:
        return values
    if len(values) == 1:
        return values * size
    raise ResultFormatError(f"results[{pub_index}]: '{name}' has {len(values)} values, not {size}")


def estimator_values(result: Any, pubs_param: Any = None) -> list[PubValues]:
    """Values and standard deviations of every pub of an Estimator result, labelled with
    their observables when the job's `pubs` parameter is given."""
    pubs: list[PubValues] = []
    labels = pub_observable_labels(pubs_param)
    for pub_index, data in enumerate(_pub_data(result)):
        if "evs" not in data:
            raise ResultFormatError(f"results[{pub_index}] has no 'evs': not an Estimator result")
        shape, values = _shape_and_values(data["evs"])
        stds = _matching("stds", pub_index, _shape_and_values(data.get("stds", 0.0))[1], len(values))
        errors = data.get("ensemble_standard_error")
        pub_labels = labels[pub_index] if pub_index < len(labels) else None
        pubs.append(PubValues(
            pub_index, shape, values, stds,
            None if errors is None else _matching(
                "ensemble_standard_error", pub_index, _shape_and_values(errors)[1], len(values)),
            pub_labels if pub_labels is not None and len(pub_labels) == len(values) else None,
        ))
    return pubs


def values_to_csv(pubs: Iterable[PubValues]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["pub", "index", "observable", "value", "std", "ensemble_standard_error"])
    for pub in pubs:
        errors = pub.ensemble_standard_errors or (None,) * len(pub.values)
        for position, (index, value, std, error) in enumerate(zip(pub.indices(), pub.values, pub.stds, errors)):
            writer.writerow([pub.pub_index, " ".join(map(str, index)),
                             pub.labels[position] if pub.labels else "", repr(value), repr(std),
                             "" if error is None else repr(error)])
    return buffer.getvalue()


def values_to_json(pubs: Iterable[PubValues]) -> str:
    return json.dumps(
        [
            {
                "pub": pub.pub_index,
                "shape": list(pub.shape),
                "observables": None if pub.labels is None else list(pub.labels),
                "values": list(pub.values),
                "stds": list(pub.stds),
                "ensemble_standard_errors": (
                    None if pub.ensemble_standard_errors is None
                    else list(pub.ensemble_standard_errors)
                ),
            }
            for pub in pubs
        ],
        indent=2,
    )


def counts_to_csv(tables: Iterable[RegisterCounts]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["pub", "register", "bitstring", "integer", "hex", "count", "probability"])
    for table in tables:
        for row in table.rows:
            writer.writerow(
                [table.pub_index, table.register, row.bitstring, row.value, row.hex, row.count,
                 f"{row.probability:.6f}"]
            )
    return buffer.getvalue()


def counts_to_json(tables: Iterable[RegisterCounts]) -> str:
    return json.dumps(
        [
            {
                "pub": table.pub_index,
                "register": table.register,
                "num_bits": table.num_bits,
                "shots": table.shots,
                "counts": {row.bitstring: row.count for row in table.rows},
            }
            for table in tables
        ],
        indent=2,
    )
