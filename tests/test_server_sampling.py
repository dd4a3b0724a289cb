"""Sampler shots split into registers right: bit order, register offsets, shapes, seeds.

The service builds its per-register samples from Aer's per-shot memory itself
(`tui.server.sampling`). Over HTTP, circuits with deterministic X gates and registers of
different sizes must come back as the expected values in both result encodings. In the
core layer, the same pubs must give exactly what qiskit's own `BackendSamplerV2` gives
for the same seed on the same noisy Aer simulator, so that the register bookkeeping
changes nothing; on the service's `DeviceSimulator`, pubs it leaves to Aer still do, and
pubs it samples from their exact distribution give the same statistics.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo
from tests.helpers.service import wait_final

# a = 0b011 (a[0], a[1] set) and b = 0b00101 (b[0], b[2] set): reversing either register,
# or cutting it at the wrong offset, gives a different value.
TWO_REGISTERS_QASM = """OPENQASM 3.0;
include "stdgates.inc";
bit[3] a;
bit[5] b;
x $0;
x $1;
x $3;
x $5;
a[0] = measure $0;
a[1] = measure $1;
a[2] = measure $2;
b[0] = measure $3;
b[1] = measure $4;
b[2] = measure $5;
b[3] = measure $6;
b[4] = measure $7;
"""
EXPECTED = {"a": (3, 0x3), "b": (5, 0x5)}

# sx rz(theta) sx is X at theta = 0 and the identity (up to phase) at theta = pi.
PARAMETRIZED_QASM = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
bit[1] c;
sx $0;
rz(theta) $0;
sx $0;
c[0] = measure $0;
"""


def _results(service: ServiceInfo, pubs: list[Any], **params: Any) -> Any:
    headers = service.headers()
    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": pubs, "version": 2, **params}}
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    job = wait_final(service, headers, created.json()["id"])
    assert job["state"]["status"] == "Completed", job
    return httpx.get(f"{service.url}/api/v1/jobs/{job['id']}/results", headers=headers)


def test_plain_json_splits_two_registers_of_different_sizes_in_bit_order(service: ServiceInfo) -> None:
    shots = 400
    data = _results(service, [[TWO_REGISTERS_QASM, None, shots]]).json()["results"][0]["data"]
    assert list(data) == ["a", "b"]
    for name, (num_bits, value) in EXPECTED.items():
        assert data[name]["num_bits"] == num_bits
        samples = data[name]["samples"]
        assert len(samples) == shots
        assert all(int(sample, 16) < 2**num_bits for sample in samples)
        most_common, count = Counter(samples).most_common(1)[0]
        assert most_common == hex(value), (name, Counter(samples))
        assert count / shots > 0.85  # the rest is the device's readout error


def test_type_tagged_bit_arrays_hold_the_same_registers(service: ServiceInfo) -> None:
    from qiskit_ibm_runtime.json import RuntimeDecoder

    shots = 400
    response = _results(service, [[TWO_REGISTERS_QASM, None, shots]], support_qiskit=True)
    result = json.loads(response.text, cls=RuntimeDecoder)
    data = result[0].data
    for name, (num_bits, value) in EXPECTED.items():
        bits = getattr(data, name)
        assert bits.num_bits == num_bits and bits.num_shots == shots
        counts = Counter(bits.get_counts())
        most_common, count = counts.most_common(1)[0]
        assert most_common == format(value, f"0{num_bits}b"), (name, counts)
        assert count / shots > 0.85
    assert result[0].metadata["shots"] == shots


def test_broadcast_pub_nests_samples_by_parameter_set(service: ServiceInfo) -> None:
    import math

    shots = 300
    pub = [PARAMETRIZED_QASM, [[0.0], [math.pi]], shots]
    data = _results(service, [pub]).json()["results"][0]["data"]["c"]
    samples = data["samples"]
    assert len(samples) == 2 and all(len(per_set) == shots for per_set in samples)
    assert Counter(samples[0])["0x1"] / shots > 0.85  # theta = 0: X
    assert Counter(samples[1])["0x0"] / shots > 0.85  # theta = pi: identity


@pytest.fixture(scope="module")
def noise() -> Any:
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error

    noise = NoiseModel()
    noise.add_all_qubit_quantum_error(depolarizing_error(0.05, 1), ["x", "h", "ry"])
    noise.add_all_qubit_readout_error(ReadoutError([[0.9, 0.1], [0.2, 0.8]]))
    return noise


@pytest.fixture(scope="module")
def noisy_simulator(noise: Any) -> Any:
    from qiskit_aer import AerSimulator

    return AerSimulator(noise_model=noise)


def _mixed_circuits() -> list[tuple[Any, Any, int | None]]:
    """Pubs with several registers, a broadcast parameter and two shot counts."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import Parameter

    qubits = QuantumRegister(6)
    low, high, wide = ClassicalRegister(2, "low"), ClassicalRegister(3, "high"), ClassicalRegister(9, "wide")
    registers = QuantumCircuit(qubits, low, high)
    registers.h(0)
    registers.x(2)
    registers.h(4)
    registers.measure([0, 1], low)
    registers.measure([2, 3, 4], high)
    angle = Parameter("angle")
    broadcast = QuantumCircuit(QuantumRegister(9), wide)
    broadcast.ry(angle, range(9))
    broadcast.x(8)
    broadcast.measure(range(9), wide)
    return [(registers, None, 500), (broadcast, [[0.3], [1.2], [2.5]], None), (registers, None, None)]


def test_fast_path_gives_exactly_what_backend_sampler_v2_gives_for_a_seed(noisy_simulator: Any) -> None:
    import numpy as np
    from qiskit.primitives import BackendSamplerV2

    from tui.server.sampling import primitive_result, run_sampler_pubs

    pubs = _mixed_circuits()
    reference = BackendSamplerV2(
        backend=noisy_simulator, options={"default_shots": 300, "seed_simulator": 11}
    ).run(pubs).result()
    ours = run_sampler_pubs(noisy_simulator, pubs, 300, 11)
    tagged = primitive_result(ours, {"version": 2})
    for expected, mine, mine_tagged in zip(reference, ours, tagged):
        assert mine.shape == expected.data.shape
        assert mine_tagged.metadata == expected.metadata
        for name, bits in expected.data.items():
            mine_bits = getattr(mine_tagged.data, name)
            assert mine_bits.num_bits == bits.num_bits
            assert np.array_equal(mine_bits.array, bits.array), name
            flat = bits.array.reshape(-1, bits.num_shots, bits.array.shape[-1])
            expected_hex = [[hex(int.from_bytes(row.tobytes(), "big")) for row in per_set] for per_set in flat]
            assert mine.samples[name] == expected_hex, name


def test_device_simulator_keeps_aers_shots_where_it_falls_back_and_aers_statistics_elsewhere(
    noise: Any, noisy_simulator: Any
) -> None:
    import numpy as np
    from qiskit.primitives import BackendSamplerV2

    from tui.server.exact_sampling import AER_SHOTS, EXACT, DeviceSimulator
    from tui.server.sampling import primitive_result, run_sampler_pubs

    registers, broadcast, _ = _mixed_circuits()
    # 6 qubits at 20,000 shots: exact; 9 qubits at 300 shots (< 2^9): Aer's own shots.
    pubs = [(registers[0], None, 20_000), broadcast]
    reference = BackendSamplerV2(
        backend=noisy_simulator, options={"default_shots": 300, "seed_simulator": 11}
    ).run(pubs).result()
    ours = run_sampler_pubs(DeviceSimulator(noise), pubs, 300, 11)
    tagged = primitive_result(ours, {"version": 2})
    assert [pub.simulation for pub in ours] == [EXACT, AER_SHOTS]
    for name, bits in reference[0].data.items():
        mine = getattr(tagged[0].data, name)
        assert mine.num_bits == bits.num_bits and mine.num_shots == bits.num_shots
        expected, got = Counter(bits.get_counts()), Counter(mine.get_counts())
        distance = sum(abs(expected[key] - got[key]) for key in expected | got) / 2 / bits.num_shots
        assert distance < 0.02, (name, expected, got)  # sampling noise alone: about 0.005
    for name, bits in reference[1].data.items():
        assert np.array_equal(getattr(tagged[1].data, name).array, bits.array), name


def test_registers_of_scattered_clbits_read_their_own_bits() -> None:
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit import Clbit
    from qiskit_aer import AerSimulator

    from tui.server.sampling import run_sampler_pubs

    clbits = [Clbit() for _ in range(4)]
    circuit = QuantumCircuit(4)
    circuit.add_bits(clbits)
    circuit.add_register(ClassicalRegister(bits=[clbits[3], clbits[0]], name="outer"))
    circuit.add_register(ClassicalRegister(bits=[clbits[1], clbits[2]], name="inner"))
    circuit.x([0, 2])  # clbits 0 and 2 read 1
    circuit.measure(range(4), clbits)
    (pub,) = run_sampler_pubs(AerSimulator(), [(circuit, None, 20)], 20, 3)
    assert pub.nested("outer") == ["0x2"] * 20  # outer = (clbit 3, clbit 0) = 0b10
    assert pub.nested("inner") == ["0x2"] * 20  # inner = (clbit 1, clbit 2) = 0b10
