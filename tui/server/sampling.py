"""Sampler pubs run straight on the noisy simulator, and their shots in both result formats.

qiskit's `BackendSamplerV2` turns every shot of Aer's memory into bytes, unpacks it to
one byte per bit and packs each register back, all per shot in Python or numpy; the
service then turned those bit arrays into hex strings again for IBM's plain JSON. Here
Aer's memory (one hex string per shot, bit k = clbit k, over all of a circuit's clbits)
is the starting point: a register is cut out of each *distinct* outcome once, and the
shots are mapped through that small table, which runs at C speed. A circuit with one
register over all its clbits, the common case, keeps Aer's strings as they are.

The bookkeeping otherwise follows `BackendSamplerV2`: pubs are coerced and bound the same
way, and the pubs that share a shot count run as one simulator call with `memory=True` and
`seed_simulator`, so on a plain AerSimulator a seed gives exactly `BackendSamplerV2`'s
shots. The service's `DeviceSimulator` (`tui.server.exact_sampling`) draws them from the
exact distribution instead where it can; each pub says which way its shots were made.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives import PrimitiveResult
    from qiskit_aer import AerSimulator


@dataclass(frozen=True)
class RegisterBits:
    """A classical register by the circuit-wide indices of its clbits, lowest bit first."""

    name: str
    clbits: tuple[int, ...]

    @property
    def num_bits(self) -> int:
        return len(self.clbits)


@dataclass(frozen=True)
class PubSamples:
    """One pub's shots: per register, one list of hex strings per parameter set (C order)."""

    shape: tuple[int, ...]
    shots: int
    registers: tuple[RegisterBits, ...]
    samples: dict[str, list[list[str]]]
    circuit_metadata: dict[str, Any]
    simulation: str  # how the shots were made, `tui.server.exact_sampling.simulation_of`

    def nested(self, register: str) -> Any:
        """The register's hex samples nested by the pub's shape (a flat list for shape ())."""
        return _nest(self.samples[register], self.shape)


def circuit_registers(circuit: QuantumCircuit) -> tuple[RegisterBits, ...]:
    return tuple(
        RegisterBits(register.name, tuple(circuit.find_bit(bit).index for bit in register))
        for register in circuit.cregs
    )


def run_sampler_pubs(
    simulator: AerSimulator, pubs: list[tuple[Any, ...]], default_shots: int, seed: int | None
) -> list[PubSamples]:
    """Run `(circuit, parameter_values, shots)` pubs; pubs with equal shots share one run."""
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    from tui.server.exact_sampling import simulation_of

    coerced = [SamplerPub.coerce(pub, default_shots) for pub in pubs]
    by_shots: dict[int, list[int]] = defaultdict(list)
    for index, pub in enumerate(coerced):
        by_shots[pub.shots].append(index)
    results: list[PubSamples | None] = [None] * len(coerced)
    for shots, indices in by_shots.items():
        bound = [coerced[i].parameter_values.bind_all(coerced[i].circuit) for i in indices]
        circuits = [circuit for array in bound for circuit in array.ravel().tolist()]
        raw = simulator.run(circuits, shots=shots, memory=True, seed_simulator=seed).result()
        position = 0
        for i, array in zip(indices, bound):
            experiments = raw.results[position:position + array.size]
            memories = [_memory(experiment, shots) for experiment in experiments]
            position += array.size
            pub = coerced[i]
            registers = circuit_registers(pub.circuit)
            results[i] = PubSamples(
                shape=tuple(array.shape),
                shots=shots,
                registers=registers,
                samples=split_registers(memories, registers, pub.circuit.num_clbits),
                circuit_metadata=pub.circuit.metadata,
                simulation=simulation_of(experiments),
            )
    return [result for result in results if result is not None]


def _memory(experiment: Any, shots: int) -> list[str]:
    """Aer's per-shot hex strings; a circuit that measures nothing reads all zeros."""
    memory = getattr(experiment.data, "memory", None)
    return memory if memory else ["0x0"] * shots


def split_registers(
    memories: list[list[str]], registers: tuple[RegisterBits, ...], num_clbits: int
) -> dict[str, list[list[str]]]:
    """Each register's hex samples, cut out of whole-circuit hex samples."""
    split: dict[str, list[list[str]]] = {}
    for register in registers:
        if register.clbits == tuple(range(num_clbits)):
            split[register.name] = memories  # the register is the whole memory, bit for bit
            continue
        per_set = []
        for memory in memories:
            table = {outcome: hex(_register_value(int(outcome, 16), register.clbits))
                     for outcome in dict.fromkeys(memory)}
            per_set.append(list(map(table.__getitem__, memory)))
        split[register.name] = per_set
    return split


def _register_value(outcome: int, clbits: tuple[int, ...]) -> int:
    start = clbits[0] if clbits else 0
    if clbits == tuple(range(start, start + len(clbits))):
        return (outcome >> start) & ((1 << len(clbits)) - 1)
    return sum(((outcome >> clbit) & 1) << position for position, clbit in enumerate(clbits))


def _nest(per_set: list[list[str]], shape: tuple[int, ...]) -> Any:
    if not shape:
        return per_set[0]
    stride = math.prod(shape[1:])
    return [_nest(per_set[i * stride:(i + 1) * stride], shape[1:]) for i in range(shape[0])]


def plain_sampler_json(pubs: list[PubSamples], metadata: dict[str, Any]) -> str:
    """IBM's plain-JSON Sampler result (reference §2.4), written straight to text.

    Hex strings need no escaping, so each samples list is joined rather than run through
    the JSON encoder string by string; everything else goes through `json.dumps`.
    """
    results = []
    for pub in pubs:
        registers = ",".join(
            f'{json.dumps(register.name)}:{{"samples":{_hex_list_json(pub.nested(register.name))},'
            f'"num_bits":{register.num_bits}}}'
            for register in pub.registers
        )
        pub_metadata = _compact_json({"shots": pub.shots, "circuit_metadata": pub.circuit_metadata})
        results.append(f'{{"data":{{{registers}}},"metadata":{pub_metadata}}}')
    return f'{{"results":[{",".join(results)}],"metadata":{_compact_json(metadata)}}}'


def _hex_list_json(samples: Any) -> str:
    if not samples or isinstance(samples[0], str):
        return '["' + '","'.join(samples) + '"]' if samples else "[]"
    return "[" + ",".join(_hex_list_json(inner) for inner in samples) + "]"


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def primitive_result(pubs: list[PubSamples], metadata: dict[str, Any]) -> PrimitiveResult:
    """The qiskit `PrimitiveResult` of the same shots, for the type-tagged encoding."""
    from qiskit.primitives import PrimitiveResult
    from qiskit.primitives.containers import BitArray, DataBin, SamplerPubResult

    pub_results = [
        SamplerPubResult(
            DataBin(
                **{register.name: BitArray(_packed(pub, register), register.num_bits)
                   for register in pub.registers},
                shape=pub.shape,
            ),
            metadata={"shots": pub.shots, "circuit_metadata": pub.circuit_metadata},
        )
        for pub in pubs
    ]
    return PrimitiveResult(pub_results, metadata=metadata)


def _packed(pub: PubSamples, register: RegisterBits) -> Any:
    """A register's shots as BitArray bytes: (*shape, shots, bytes), big-endian per shot."""
    import numpy as np

    width = (register.num_bits + 7) // 8
    chunks = []
    for memory in pub.samples[register.name]:
        table = {outcome: int(outcome, 16).to_bytes(width, "big") for outcome in dict.fromkeys(memory)}
        chunks.append(b"".join(map(table.__getitem__, memory)))
    array = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    return array.reshape((*pub.shape, pub.shots, width)).copy()
