"""Job results -> counts tables; CSV and JSON export.

Counting runs on the hex strings themselves (collections.Counter is C code), and only the
distinct outcomes are converted to integers, so a million shots count in a fraction of a
second.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


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
    """The result body is not a Sampler result qrt understands."""


def _flatten(samples: Any) -> Iterator[str]:
    if isinstance(samples, str):
        yield samples
        return
    for item in samples:
        yield from _flatten(item)


def count_register(pub_index: int, register: str, samples: Any, num_bits: int) -> RegisterCounts:
    flat = samples if samples and isinstance(samples[0], str) else list(_flatten(samples))
    tally = Counter(flat)
    shots = sum(tally.values())
    rows = sorted(
        (
            CountsRow(format(int(h, 16), f"0{num_bits}b"), int(h, 16), n, n / shots)
            for h, n in tally.items()
        ),
        key=lambda row: (-row.count, row.value),
    )
    return RegisterCounts(pub_index, register, num_bits, shots, tuple(rows))


def sampler_counts(result: Any) -> list[RegisterCounts]:
    """Counts of every register of every pub of a plain-JSON Sampler result."""
    if not isinstance(result, dict) or not isinstance(result.get("results"), list):
        raise ResultFormatError("not a Sampler result: no 'results' list")
    tables: list[RegisterCounts] = []
    for pub_index, pub in enumerate(result["results"]):
        data = pub.get("data") if isinstance(pub, dict) else None
        if not isinstance(data, dict):
            raise ResultFormatError(f"results[{pub_index}] has no 'data'")
        for register, payload in data.items():
            if not isinstance(payload, dict) or "samples" not in payload:
                continue
            num_bits = int(payload.get("num_bits") or 1)
            tables.append(count_register(pub_index, register, payload["samples"], num_bits))
    return tables


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
