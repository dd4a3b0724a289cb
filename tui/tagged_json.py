"""Read the type-tagged JSON of qiskit's RuntimeEncoder without importing qiskit.

Jobs submitted by the official client (`support_qiskit: true`) return their results as
`{"__type__": T, "__value__": V}` objects (reference §2.5). qrt only needs the data in
them, so it unwraps the tags into plain Python, with numpy arrays for the `ndarray` tag
(numpy is imported on first use, never at startup). Tags qrt has no use for (execution
spans and the like) are unwrapped to their plain values.
"""

from __future__ import annotations

import base64
import io
import zlib
from dataclasses import dataclass
from typing import Any

PUB_RESULT_TYPES = frozenset({"SamplerPubResult", "EstimatorPubResult", "PubResult"})


@dataclass(frozen=True)
class TaggedBits:
    """A BitArray: uint8 array of shape (*pub_shape, shots, bytes), big-endian bytes."""

    array: Any
    num_bits: int


@dataclass(frozen=True)
class TaggedDataBin:
    shape: tuple[int, ...]
    fields: dict[str, Any]


def is_type_tagged(body: Any) -> bool:
    return isinstance(body, dict) and "__type__" in body and "__value__" in body


def decode_ndarray(value: Any) -> Any:
    """base64(zlib(np.save(array))) as the encoder writes it; a plain list or int also occurs.

    Resilience metadata tags extrapolator names such as "linear" as ndarrays too; like
    qiskit's decoder, such strings are returned as they are.
    """
    import numpy as np

    if isinstance(value, (int, float, list)):
        return np.array(value)
    try:
        raw = zlib.decompress(base64.standard_b64decode(value))
    except (ValueError, TypeError, zlib.error):
        return value
    return np.load(io.BytesIO(raw), allow_pickle=False)


def untag(node: Any) -> Any:
    """Plain Python (dicts, lists, numpy arrays, TaggedBits, TaggedDataBin) for tagged JSON."""
    if isinstance(node, list):
        return [untag(item) for item in node]
    if not isinstance(node, dict):
        return node
    if not is_type_tagged(node):
        return {key: untag(value) for key, value in node.items()}
    kind, value = node["__type__"], node["__value__"]
    if kind == "ndarray":
        return decode_ndarray(value)
    if kind == "BitArray":
        return TaggedBits(untag(value["array"]), int(value["num_bits"]))
    if kind == "DataBin":
        return TaggedDataBin(tuple(value.get("shape") or ()), untag(value.get("fields") or {}))
    if kind == "complex":
        return complex(value[0], value[1])
    return untag(value)


def tagged_pub_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The pub results of a tagged PrimitiveResult, each `{"data": TaggedDataBin, ...}`."""
    if body.get("__type__") != "PrimitiveResult" or not isinstance(body["__value__"], dict):
        raise ValueError(f"a {body.get('__type__')} is not a PrimitiveResult")
    pubs = body["__value__"].get("pub_results")
    if not isinstance(pubs, list):
        raise ValueError("the PrimitiveResult has no pub_results list")
    results = []
    for index, pub in enumerate(pubs):
        if not is_type_tagged(pub) or pub["__type__"] not in PUB_RESULT_TYPES:
            raise ValueError(f"pub_results[{index}] is not a pub result")
        decoded = untag(pub)
        if not isinstance(decoded.get("data"), TaggedDataBin):
            raise ValueError(f"pub_results[{index}] has no DataBin")
        results.append(decoded)
    return results
