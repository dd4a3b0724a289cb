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
