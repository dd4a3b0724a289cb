"""A device-wide circuit is often many independent circuits side by side: run them so.

The executor-based Estimator measures every qubit of the device (all 156 of `ibm_fez`)
while its observables' circuit entangles two; a Sampler's transpiled circuit may do the
same with `measure_all`. No statevector holds 156 qubits, but nothing needs one: qubits
that no multi-qubit gate connects never interact, and the device noise is local (each
error acts on its own gate's qubits, each readout error on its own qubit), so each group
of connected qubits is its own circuit under its own cut of the noise, and its shots are
independent of the others'. Sampling each group on its own and putting shot i of every
group side by side draws exactly from the joint distribution: this is exact, not an
approximation.

Small groups are packed together into blocks (a block's groups are simulated as one
circuit, still exact) so that a row of idle qubits is a few simulations, not hundreds. A
circuit with control flow or classically conditioned operations is not split.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from qiskit import QuantumCircuit

    from tui.server.backends import DeviceSnapshot
    from tui.server.exact_sampling import DeviceSimulator
    from tui.server.job_worker import CutDevice
    from tui.server.sampling import PubSamples

BLOCK_QUBITS = 8  # groups are packed up to this width; a wider group is a block alone
_SEED_STRIDE = 7919  # distinct seeds per block: one seed for all would correlate them


@dataclass(frozen=True)
class Block:
    """Circuit qubits (ascending) simulated together, and the clbits their measures write."""

    qubits: tuple[int, ...]
    clbits: tuple[int, ...]


def interacting_groups(circuit: QuantumCircuit) -> list[set[int]] | None:
    """The circuit's qubits in groups that never interact; None if it cannot be split."""
    parent = list(range(circuit.num_qubits))

    def root(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    clbit_writer: dict[int, int] = {}
    for instruction in circuit.data:
        operation = instruction.operation
        if operation.name == "barrier":
            continue
        if getattr(operation, "blocks", ()) or getattr(operation, "condition", None) is not None:
            return None
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        clbits = [circuit.find_bit(c).index for c in instruction.clbits]
        if clbits and operation.name != "measure":
            return None  # a classical read: the groups would share information
        for clbit in clbits:
            writer = clbit_writer.setdefault(clbit, qubits[0])
            qubits.append(writer)
        for q in qubits[1:]:
            parent[root(q)] = root(qubits[0])
    groups: dict[int, set[int]] = {}
    for q in range(circuit.num_qubits):
        groups.setdefault(root(q), set()).add(q)
    return list(groups.values())


def blocks_of(circuit: QuantumCircuit, block_qubits: int = BLOCK_QUBITS) -> list[Block]:
    """The blocks to simulate: groups packed first-fit, widest first; one block if unsplittable."""
    return split_blocks(circuit, block_qubits) or [whole_block(circuit)]


def whole_block(circuit: QuantumCircuit) -> Block:
    return Block(tuple(range(circuit.num_qubits)), tuple(range(circuit.num_clbits)))


def split_blocks(circuit: QuantumCircuit, block_qubits: int = BLOCK_QUBITS) -> list[Block] | None:
    """The packed blocks, or None for a circuit that cannot be split."""
    groups = interacting_groups(circuit)
    if groups is None:
        return None
    if len(groups) == 1:
        return [whole_block(circuit)]
    packed: list[set[int]] = []
    for group in sorted(groups, key=len, reverse=True):
        target = next((block for block in packed if len(block) + len(group) <= block_qubits), None)
        if target is None:
            packed.append(set(group))
        else:
            target |= group
    written: dict[int, set[int]] = {}
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            qubit = circuit.find_bit(instruction.qubits[0]).index
            written.setdefault(qubit, set()).add(circuit.find_bit(instruction.clbits[0]).index)
    return [
        Block(tuple(sorted(block)), tuple(sorted(set().union(*(written.get(q, set()) for q in block)))))
        for block in packed
    ]


def simulated_width(circuit: QuantumCircuit, touched: int) -> int:
    """How wide the widest circuit the simulator will see for `circuit` is: its widest
    measured block, or the `touched` qubits of a circuit that cannot be split."""
    blocks = split_blocks(circuit)
    if blocks is None:
        return touched
    return max((len(block.qubits) for block in blocks if block.clbits), default=0)


def splits(circuit: QuantumCircuit) -> bool:
    """Whether running `circuit` block by block simulates less than the whole of it."""
    blocks = split_blocks(circuit)
    if blocks is None:
        return False
    measured = [block for block in blocks if block.clbits]
    return len(measured) != 1 or len(measured[0].qubits) < circuit.num_qubits


def instruction_names(circuit: QuantumCircuit) -> frozenset[str]:
    """What a block's noise needs errors for: the gates it uses, and only those."""
    return frozenset(instruction.operation.name for instruction in circuit.data)


class BlockSimulators:
    """Each block's noisy simulator, on the noise of its own device qubits and of the gates
    it uses, kept for the job (twirled copies and parameter sets reuse them)."""

    def __init__(self, device: DeviceSnapshot, cut: CutDevice, seed: int | None, memory_mib: int | None) -> None:
        self.device, self.cut, self.seed, self.memory_mib = device, cut, seed, memory_mib
        self.simulators: dict[tuple[int, ...], DeviceSimulator] = {}

    def run_block(self, part: QuantumCircuit, block: Block, values: Any, shots: int, seed: int | None) -> list[list[str]]:
        from tui.server.job_worker import cut_device
        from tui.server.sampling import run_sampler_pubs
        from tui.server.twirling import noisy_simulator

        device_qubits = tuple(self.cut.device_qubits[q] for q in block.qubits)
        simulator = self.simulators.get(device_qubits)
        if simulator is None:
            noise = cut_device(self.device, set(device_qubits), instruction_names(part)).noise
            simulator = noisy_simulator(noise, None, self.seed, exact=True, memory_mib=self.memory_mib)
            self.simulators[device_qubits] = simulator
        [samples] = run_sampler_pubs(simulator, [(part, values, shots)], shots, seed)
        return samples.samples["c"]

    @property
    def methods_used(self) -> set[str]:
        return {method for simulator in self.simulators.values() for method in simulator.methods_used}

    @property
    def approximations(self) -> set[str]:
        return {note for simulator in self.simulators.values() for note in simulator.approximations}


def blocked_pub_samples(
    circuit: QuantumCircuit, parameter_values: Any, shots: int, simulators: BlockSimulators
) -> PubSamples:
    """A Sampler pub run block by block, in the form of `tui.server.sampling`'s results."""
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    from tui.server.sampling import PubSamples, circuit_registers

    pub = SamplerPub.coerce((circuit, parameter_values, shots))
    shape = tuple(pub.parameter_values.shape)
    size = math.prod(shape)
    values = pub.parameter_values.as_array(circuit.parameters).reshape(size, -1) if circuit.num_parameters else None
    bits = sample_clbits(circuit, values, size, shots, simulators.run_block, simulators.seed)
    registers = circuit_registers(circuit)
    return PubSamples(
        shape=shape, shots=shots, registers=registers,
        samples={register.name: bools_to_hex(bits[:, :, list(register.clbits)]) for register in registers},
        circuit_metadata=circuit.metadata, simulation="independent blocks",
    )


def bools_to_hex(bits: np.ndarray) -> list[list[str]]:
    """Bools `(sets, shots, bits)`, bit j at j, as hex strings per set: each distinct row once."""
    import numpy as np

    sets, shots, width = bits.shape
    packed = np.packbits(bits.reshape(sets * shots, width), axis=1, bitorder="little")
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    distinct, inverse = np.unique(rows, return_inverse=True)
    names = [hex(int.from_bytes(row.tobytes(), "little")) for row in distinct]
    flat = [names[i] for i in inverse.tolist()]
    return [flat[i * shots:(i + 1) * shots] for i in range(sets)]


def block_circuit(circuit: QuantumCircuit, block: Block) -> QuantumCircuit:
    """The block on its own: its qubits renumbered 0.., its clbits one register `c`."""
    from qiskit import ClassicalRegister, QuantumCircuit

    qubit_index = {q: i for i, q in enumerate(block.qubits)}
    clbit_index = {c: i for i, c in enumerate(block.clbits)}
    part = QuantumCircuit(len(block.qubits))
    part.add_register(ClassicalRegister(len(block.clbits), "c"))
    for instruction in circuit.data:
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        mine = [q for q in qubits if q in qubit_index]
        if not mine:
            continue
        if instruction.operation.name == "barrier":
            part.barrier([qubit_index[q] for q in mine])
            continue
        clbits = [part.clbits[clbit_index[circuit.find_bit(c).index]] for c in instruction.clbits]
        part.append(instruction.operation, [part.qubits[qubit_index[q]] for q in qubits], clbits, copy=False)
    return part


def sample_clbits(
    circuit: QuantumCircuit,
    values: np.ndarray | None,
    size: int,
    shots: int,
    run_block: Callable[[QuantumCircuit, Block, Any, int, int | None], list[list[str]]],
    seed: int | None,
) -> np.ndarray:
    """Every clbit of every shot, bools `(size, shots, num_clbits)`, block by block.

    `values` are `(size, num_parameters)` in `circuit.parameters` order (or None);
    `run_block(part, block, part_values, shots, seed)` simulates one block and returns its
    hex samples, one list per parameter set.
    """
    import numpy as np

    column = {parameter: index for index, parameter in enumerate(circuit.parameters)}
    bits = np.zeros((size, shots, circuit.num_clbits), dtype=bool)
    for number, block in enumerate(blocks_of(circuit)):
        if not block.clbits:
            continue  # nothing of it is measured: it cannot change a recorded bit
        part = block_circuit(circuit, block)
        block_seed = None if seed is None else seed + number * _SEED_STRIDE
        if part.num_parameters and values is not None:
            part_values = values[:, [column[parameter] for parameter in part.parameters]]
            samples = run_block(part, block, part_values, shots, block_seed)
            block_bits = register_bools(samples, (size,), shots, len(block.clbits))
        else:
            # Nothing to bind: one run of every set's shots, cut into the sets (i.i.d. shots).
            samples = run_block(part, block, None, shots * size, block_seed)
            block_bits = register_bools(samples, (), shots * size, len(block.clbits)).reshape(
                size, shots, len(block.clbits)
            )
        bits[:, :, list(block.clbits)] = block_bits
    return bits


def register_bools(samples: list[list[str]], shape: tuple[int, ...], shots: int, num_bits: int) -> np.ndarray:
    """Hex samples (one list per parameter set) as bools `(*shape, shots, bits)`, bit j at j.

    Each distinct outcome is converted once and the shots are looked up (few outcomes,
    many shots), as `tui.server.sampling` splits registers.
    """
    import numpy as np

    if num_bits <= 63:
        flat = [sample for per_set in samples for sample in per_set]
        distinct = {sample: int(sample, 16) for sample in dict.fromkeys(flat)}
        values = np.fromiter(map(distinct.__getitem__, flat), dtype=np.uint64, count=len(flat))
        bits = (values[:, None] >> np.arange(num_bits, dtype=np.uint64)) & np.uint64(1)
    else:
        bits = np.array(
            [[[(int(sample, 16) >> j) & 1 for j in range(num_bits)] for sample in per_set] for per_set in samples],
            dtype=np.uint8,
        )
    return bits.astype(bool).reshape(*shape, shots, num_bits)
