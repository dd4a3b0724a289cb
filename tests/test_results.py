"""Sampler results -> counts, and their export."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tui.results import ResultFormatError, counts_to_csv, counts_to_json, sampler_counts


def result_with(samples: object, num_bits: int = 2, register: str = "c") -> dict[str, object]:
    return {"results": [{"data": {register: {"samples": samples, "num_bits": num_bits}}}]}


def test_counts_are_sorted_by_count_with_all_representations() -> None:
    (table,) = sampler_counts(result_with(["0x3", "0x0", "0x3", "0x1", "0x3", "0x0"]))
    assert [(row.bitstring, row.value, row.hex, row.count) for row in table.rows] == [
        ("11", 3, "0x3", 3), ("00", 0, "0x0", 2), ("01", 1, "0x1", 1),
    ]
    assert table.shots == 6
    assert table.rows[0].probability == pytest.approx(0.5)


def test_bitstrings_are_padded_to_the_register_width() -> None:
    (table,) = sampler_counts(result_with(["0x1"], num_bits=5))
    assert table.rows[0].bitstring == "00001"


def test_broadcast_samples_are_counted_over_all_parameter_sets() -> None:
    (table,) = sampler_counts(result_with([["0x1", "0x1"], ["0x0", "0x1"]], num_bits=1))
    assert {row.bitstring: row.count for row in table.rows} == {"1": 3, "0": 1}


def test_every_pub_and_register_gets_a_table() -> None:
    body = {"results": [
        {"data": {"a": {"samples": ["0x1"], "num_bits": 1}, "b": {"samples": ["0x0"], "num_bits": 1}}},
        {"data": {"c": {"samples": ["0x2"], "num_bits": 2}}},
    ]}
    assert [(t.pub_index, t.register) for t in sampler_counts(body)] == [(0, "a"), (0, "b"), (1, "c")]


def test_not_a_sampler_result_is_a_clear_error() -> None:
    with pytest.raises(ResultFormatError, match="results"):
        sampler_counts({"unexpected": True})


def test_csv_and_json_exports_round_trip() -> None:
    tables = sampler_counts(result_with(["0x3", "0x3", "0x0"]))
    rows = list(csv.DictReader(io.StringIO(counts_to_csv(tables))))
    assert rows[0] == {"pub": "0", "register": "c", "bitstring": "11", "integer": "3", "hex": "0x3",
                       "count": "2", "probability": "0.666667"}
    assert json.loads(counts_to_json(tables))[0]["counts"] == {"11": 2, "00": 1}
