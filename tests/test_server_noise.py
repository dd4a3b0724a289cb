"""The noise of the qubits a job touches, built from the cut calibration, is the device's
whole noise model cut down: the same errors on the same (renumbered) qubits."""

from __future__ import annotations

from typing import Any

import pytest

from tui.server.backends import Catalogue
from tui.server.noise import device_noise_model, pauli_twirl


def whole_model_cut(device_name: str, device_qubits: list[int]) -> Any:
    """The reference: qiskit-ibm-runtime's whole noise model of the device, cut down."""
    from qiskit.circuit import Delay
    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.noise.passes import RelaxationNoisePass
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    device = Catalogue().get(device_name)
    assert device is not None
    backend = type("Snapshot", (FakeBackendV2,), {
        "dirname": str(device.directory), "conf_filename": device.conf_file.name,
        "props_filename": device.props_file.name if device.props_file else None,
        "backend_name": device.name,
    })()
    full = backend._get_noise_model_from_backend_v2()
    index = {qubit: position for position, qubit in enumerate(device_qubits)}
    cut = NoiseModel(basis_gates=full.basis_gates)
    for name, errors in full._local_quantum_errors.items():
        for qubits, error in errors.items():
            if all(q in index for q in qubits):
                cut.add_quantum_error(error, name, [index[q] for q in qubits], warnings=False)
    for qubits, error in full._local_readout_errors.items():
        if all(q in index for q in qubits):
            cut.add_readout_error(error, [index[q] for q in qubits], warnings=False)
    (relaxation,) = full._custom_noise_passes
    cut._custom_noise_passes.append(RelaxationNoisePass(
        t1s=[relaxation._t1s[q] for q in device_qubits], t2s=[relaxation._t2s[q] for q in device_qubits],
        dt=relaxation._dt, op_types=Delay,
        excited_state_populations=None if relaxation._p1s is None else [relaxation._p1s[q] for q in device_qubits],
    ))
    return cut


@pytest.mark.parametrize("device_name, device_qubits", [
    ("ibm_brisbane", [4, 5]), ("ibm_brisbane", [0, 1, 2, 3, 14, 18]), ("ibm_fez", [0, 1, 2, 3]),
])
def test_the_cut_calibration_gives_the_whole_models_cut(device_name: str, device_qubits: list[int]) -> None:
    device = Catalogue().get(device_name)
    assert device is not None and device.props_file is not None
    built = device_noise_model(str(device.conf_file), str(device.props_file), device_qubits)
    reference = whole_model_cut(device_name, device_qubits)
    assert built == reference
    assert list(built._custom_noise_passes[0]._t1s) == list(reference._custom_noise_passes[0]._t1s)
    assert list(built._custom_noise_passes[0]._t2s) == list(reference._custom_noise_passes[0]._t2s)
    # what Aer is given at each run: serialized once, then the same dict again
    assert built.to_dict(serializable=True) is built.to_dict(serializable=True)


def test_a_pauli_twirl_keeps_a_pauli_channel_and_the_fidelity_of_any_channel() -> None:
    from qiskit.quantum_info import average_gate_fidelity
    from qiskit_aer.noise import depolarizing_error, thermal_relaxation_error

    depolarizing = depolarizing_error(0.03, 2)
    assert average_gate_fidelity(pauli_twirl(depolarizing)) == pytest.approx(
        average_gate_fidelity(depolarizing), abs=1e-12)
    relaxation = thermal_relaxation_error(100e-6, 80e-6, 60e-9)
    twirled = pauli_twirl(relaxation)
    # Twirling keeps the Pauli transfer matrix's diagonal, hence the average gate fidelity.
    assert average_gate_fidelity(twirled) == pytest.approx(average_gate_fidelity(relaxation), abs=1e-12)
    assert all(instruction.operation.name in {"pauli", "id", "x", "y", "z"}
               for circuit, _ in zip(twirled.circuits, twirled.probabilities) for instruction in circuit.data)


def test_the_channel_form_gives_the_same_density_matrix_delays_and_all() -> None:
    """Exact sampling's density matrices run on each error as one Kraus channel (Aer reads
    a composed error's instructions at every run): the state must be the same, to rounding."""
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    from tui.server.noise import channel_form

    device = Catalogue().get("ibm_brisbane")
    assert device is not None and device.props_file is not None
    noise = device_noise_model(str(device.conf_file), str(device.props_file), [4, 5, 6])
    circuit = QuantumCircuit(3)
    circuit.sx(0)
    circuit.rz(0.4, 0)
    circuit.x(1)
    circuit.ecr(0, 1)
    circuit.sx(2)
    circuit.delay(20, 2, unit="us")  # relaxation during a delay, from the model's noise pass
    circuit.ecr(1, 2)
    circuit.save_density_matrix()

    def state(model: Any) -> Any:
        simulator = AerSimulator(method="density_matrix", noise_model=model)
        return np.asarray(simulator.run(circuit).result().data()["density_matrix"])

    converted = channel_form(noise)
    assert channel_form(noise) is converted  # built once per model
    assert all(len(error.circuits) == 1 for errors in converted._local_quantum_errors.values()
               for error in errors.values())
    original, same = state(noise), state(converted)
    assert np.allclose(original, same, atol=1e-10)
    without_delays = converted.__class__(basis_gates=converted.basis_gates)
    without_delays._local_quantum_errors = converted._local_quantum_errors
    assert not np.allclose(original, state(without_delays), atol=1e-4)  # the delay's relaxation counts
