"""Sampler counts and Estimator values from both result encodings, and their export."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tui.results import (
    ResultFormatError,
    counts_to_csv,
    counts_to_json,
    estimator_values,
    sampler_counts,
    values_to_csv,
    values_to_json,
)


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


def tagged(value: object) -> dict[str, object]:
    """What qiskit's RuntimeEncoder writes for `value` (the official client's encoding)."""
    from qiskit_ibm_runtime.json import RuntimeEncoder

    return json.loads(json.dumps(value, cls=RuntimeEncoder))


def test_type_tagged_sampler_counts_match_qiskits_own_counts() -> None:
    from qiskit.primitives import PrimitiveResult, SamplerPubResult
    from qiskit.primitives.containers import BitArray, DataBin

    wide = ["0x1ff", "0x0", "0x1ff", "0x100", "0x1ff"]  # 9 bits: two bytes per shot
    broadcast = BitArray.from_samples(["0x1", "0x1", "0x0", "0x1"], num_bits=1).reshape(2, 2)
    result = PrimitiveResult([
        SamplerPubResult(DataBin(meas=BitArray.from_samples(wide, num_bits=9)), metadata={"shots": 5}),
        SamplerPubResult(DataBin(shape=(2,), c=broadcast), metadata={}),
    ], metadata={"version": 2})
    tables = sampler_counts(tagged(result))
    assert [(t.pub_index, t.register, t.num_bits, t.shots) for t in tables] == [
        (0, "meas", 9, 5), (1, "c", 1, 4)]
    assert {row.bitstring: row.count for row in tables[0].rows} == result[0].data.meas.get_counts()
    assert [(row.hex, row.count) for row in tables[0].rows] == [("0x1ff", 3), ("0x0", 1), ("0x100", 1)]
    assert {row.bitstring: row.count for row in tables[1].rows} == {"1": 3, "0": 1}


def test_plain_and_tagged_estimator_values_agree_and_export() -> None:
    import numpy as np
    from qiskit.primitives import PrimitiveResult, PubResult
    from qiskit.primitives.containers import DataBin

    evs = np.array([[0.5, -0.25], [1.0, 0.0]])
    stds = np.array([[0.1, 0.2], [0.3, 0.4]])
    qiskit_result = PrimitiveResult([
        PubResult(DataBin(shape=(2, 2), evs=evs, stds=stds)),
        PubResult(DataBin(evs=np.array(0.75), stds=0.05)),
    ])
    plain = {"results": [
        {"data": {"evs": evs.tolist(), "stds": stds.tolist(), "ensemble_standard_error": stds.tolist()}},
        {"data": {"evs": 0.75, "stds": 0.05}},
    ]}
    from_tagged = estimator_values(tagged(qiskit_result))
    from_plain = estimator_values(plain)
    assert [(p.shape, p.values, p.stds) for p in from_tagged] == [(p.shape, p.values, p.stds) for p in from_plain]
    first, second = from_plain
    assert first.shape == (2, 2) and first.values == (0.5, -0.25, 1.0, 0.0)
    assert list(first.indices()) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert first.ensemble_standard_errors == (0.1, 0.2, 0.3, 0.4)
    assert second.shape == () and second.values == (0.75,) and second.ensemble_standard_errors is None
    rows = list(csv.DictReader(io.StringIO(values_to_csv(from_plain))))
    assert rows[1] == {"pub": "0", "index": "0 1", "observable": "", "value": "-0.25", "std": "0.2",
                       "ensemble_standard_error": "0.2"}
    assert rows[4] == {"pub": "1", "index": "", "observable": "", "value": "0.75", "std": "0.05",
                       "ensemble_standard_error": ""}
    exported = json.loads(values_to_json(from_tagged))
    assert exported[0]["shape"] == [2, 2] and exported[0]["values"] == [0.5, -0.25, 1.0, 0.0]


def test_a_sampler_result_is_not_mistaken_for_estimator_values_and_bad_tags_are_clear() -> None:
    with pytest.raises(ResultFormatError, match="not an Estimator result"):
        estimator_values(result_with(["0x1"]))
    with pytest.raises(ResultFormatError, match="not a PrimitiveResult"):
        sampler_counts({"__type__": "Result", "__value__": {}})
    with pytest.raises(ResultFormatError, match="has 3 values, not 2"):
        estimator_values({"results": [{"data": {"evs": [1.0, 0.5], "stds": [0.1, 0.1, 0.1]}}]})


def test_tagged_metadata_that_is_not_an_array_does_not_break_decoding() -> None:
    """IBM tags extrapolator names as ndarrays in resilience metadata; qiskit keeps them."""
    from tui.tagged_json import untag

    metadata = {"resilience": {"zne": {"extrapolator": {"__type__": "ndarray", "__value__": "linear"}}}}
    assert untag(metadata) == {"resilience": {"zne": {"extrapolator": "linear"}}}


def test_estimator_values_are_labelled_with_their_observables_in_tables_and_exports() -> None:
    """They were labelled (0,) (1,) in the table, the CSV and the JSON."""
    import json

    from tui.results import values_to_json

    result = {"results": [{"data": {"evs": [0.98, 0.01, 0.5], "stds": [0.01, 0.02, 0.03]}}]}
    pubs_param = [["<circuit>", ["ZZ", "ZI", {"XX": 0.5, "YY": -0.5}], None, 0.01]]
    [pub] = estimator_values(result, pubs_param)
    assert pub.labels == ("ZZ", "ZI", "0.5·XX + -0.5·YY")
    rows = list(csv.DictReader(io.StringIO(values_to_csv([pub]))))
    assert [row["observable"] for row in rows] == ["ZZ", "ZI", "0.5·XX + -0.5·YY"]
    assert json.loads(values_to_json([pub]))[0]["observables"][0] == "ZZ"
    [unlabelled] = estimator_values(result)
    assert unlabelled.labels is None and unlabelled.label(1, (1,)) == "1"
