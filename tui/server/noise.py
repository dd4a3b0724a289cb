"""Device noise for the qubits a job touches, built from the snapshot's calibration alone.

Building a device's whole noise model took 1.5 s for `ibm_brisbane` and 7.4 s for
`ibm_fez` (its fractional gates double the errors), and a pickled copy loaded no faster.
A job needs only the errors of the few qubits it touches: the calibration is cut to those
qubits first, renumbered 0..n-1 in device order, and the model is built from the cut with
the very steps qiskit-ibm-runtime's fake backends use, so it equals the whole model cut
down (a test checks this) at a cost that grows with the qubits used, not the device.

Each gate's error is built once per worker (`_gate_errors`, by device, gate and device
qubits) and only for the gates a circuit uses: the executor's device-wide circuits are cut
into many small blocks (`tui.server.independent`), and rebuilding every calibrated gate's
error for each block cost a second per eight `ibm_fez` qubits.

`pauli_approximation` is for the stabilizer method, which takes Pauli noise only, and
`channel_form` for the density matrices of exact sampling: the same channels, each error
one Kraus instruction.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit_aer.noise import NoiseModel, QuantumError

PAULI_TWIRL_NOTE = (
    "noise: each gate's error replaced by its Pauli twirl (the stabilizer method takes "
    "Pauli noise only); readout errors exact"
)
DELAYS_DROPPED_NOTE = "noise: thermal relaxation during delays left out (not a Pauli channel)"


@lru_cache(maxsize=16)
def _decoded_properties(props_file: str) -> dict[str, Any]:
    """The snapshot's calibration, decoded as the fake backends decode it; read once."""
    from qiskit_ibm_runtime.utils.backend_decoder import properties_from_server_data

    with open(props_file) as handle:
        raw = json.load(handle)
    # decodes dates in place; keeps the fractional gates' (rx, rzz) errors for circuits that use them
    properties_from_server_data(raw, use_fractional_gates=True)
    return raw


@lru_cache(maxsize=16)
def _configuration(conf_file: str) -> dict[str, Any]:
    with open(conf_file) as handle:
        return json.load(handle)


def built_noise_model(basis_gates: list[str]) -> NoiseModel:
    """An empty NoiseModel that Aer will serialize once, not on every run (see below)."""
    return _serialized_once_class()(basis_gates=basis_gates)


@cache
def _serialized_once_class() -> type[NoiseModel]:
    """NoiseModel keeping its first serialization: Aer turns the model into a dict at each
    `run` (3 ms of a 10 ms small job), and the models here are complete when built and
    only read afterwards (a worker keeps them per device and qubits)."""
    from qiskit_aer.noise import NoiseModel

    class SerializedOnce(NoiseModel):
        def to_dict(self, serializable: bool = False) -> dict[str, Any]:
            kept: dict[bool, dict[str, Any]] = self.__dict__.setdefault("_serialized", {})
            if serializable not in kept:
                kept[serializable] = super().to_dict(serializable)
            return kept[serializable]

    return SerializedOnce


_gate_errors: dict[tuple[str, str, tuple[int, ...]], QuantumError | None] = {}
GATE_ERRORS_KEPT = 20_000


def device_noise_model(
    conf_file: str,
    props_file: str | None,
    device_qubits: list[int],
    gate_names: frozenset[str] | None = None,
) -> NoiseModel:
    """The noise of `device_qubits` (sorted), as qubits 0..n-1 of a compacted circuit;
    only of the gates in `gate_names` when given (a circuit's own instructions)."""
    from qiskit.circuit import Delay
    from qiskit_aer.noise.device.models import (
        _excited_population,
        basic_device_gate_errors,
        basic_device_readout_errors,
    )
    from qiskit_aer.noise.passes import RelaxationNoisePass
    from qiskit_ibm_runtime.models import BackendProperties
    from qiskit_ibm_runtime.models.exceptions import BackendPropertyError

    configuration = _configuration(conf_file)
    noise_model = built_noise_model(configuration["basis_gates"])
    if props_file is None:
        return noise_model
    full = _decoded_properties(props_file)
    index = {qubit: position for position, qubit in enumerate(device_qubits)}
    wanted = [
        gate for gate in full["gates"]
        if all(q in index for q in gate["qubits"]) and (gate_names is None or gate["gate"] in gate_names)
    ]
    missing = [gate for gate in wanted if (props_file, gate["gate"], tuple(gate["qubits"])) not in _gate_errors]
    properties = BackendProperties.from_dict({
        **full,
        "qubits": [full["qubits"][qubit] for qubit in device_qubits],
        "gates": [{**gate, "qubits": [index[q] for q in gate["qubits"]]} for gate in missing],
    })
    if len(_gate_errors) > GATE_ERRORS_KEPT:
        _gate_errors.clear()
    for gate in missing:  # gates without an error (virtual rz) are remembered as None
        _gate_errors[(props_file, gate["gate"], tuple(gate["qubits"]))] = None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="qiskit_aer.noise.device.models")
        for name, qubits, error in basic_device_gate_errors(properties, temperature=0):
            _gate_errors[(props_file, name, tuple(device_qubits[q] for q in qubits))] = error
    for qubits, readout in basic_device_readout_errors(properties):
        noise_model.add_readout_error(readout, qubits)
    for gate in wanted:
        error = _gate_errors.get((props_file, gate["gate"], tuple(gate["qubits"])))
        if error is not None:
            noise_model.add_quantum_error(error, gate["gate"], [index[q] for q in gate["qubits"]])
    try:
        populations = [
            _excited_population(freq=properties.frequency(q), temperature=0)
            for q in range(len(device_qubits))
        ]
    except BackendPropertyError:  # no frequency calibrated
        populations = None
    try:
        noise_model._custom_noise_passes.append(
            RelaxationNoisePass(
                t1s=[properties.t1(q) for q in range(len(device_qubits))],
                t2s=[properties.t2(q) for q in range(len(device_qubits))],
                dt=configuration.get("dt"),
                op_types=Delay,
                excited_state_populations=populations,
            )
        )
    except BackendPropertyError:  # no T1/T2 calibrated
        pass
    return noise_model


def pauli_twirl(error: QuantumError) -> QuantumError:
    """The Pauli channel that twirling `error` over the Paulis gives.

    For Kraus operators K_k of an n-qubit channel, Pauli P keeps probability
    sum_k |tr(P K_k)|^2 / 4^n; the channel's Pauli transfer matrix diagonal is unchanged.
    """
    import itertools

    import numpy as np
    from qiskit.quantum_info import Kraus, Pauli
    from qiskit_aer.noise import pauli_error

    kraus = Kraus(error.to_quantumchannel()).data
    num_qubits = error.num_qubits
    dimension = 2**num_qubits
    terms = []
    for letters in itertools.product("IXYZ", repeat=num_qubits):
        label = "".join(letters)
        pauli = Pauli(label).to_matrix()
        weight = sum(abs(np.trace(pauli.conj().T @ k)) ** 2 for k in kraus) / dimension**2
        if weight > 1e-12:
            terms.append((label, float(weight)))
    total = sum(weight for _, weight in terms)
    return pauli_error([(label, weight / total) for label, weight in terms])


def pauli_approximation(noise: NoiseModel) -> NoiseModel:
    """`noise` with every quantum error twirled to a Pauli channel, readout kept, delays dropped."""
    return _each_error_converted(noise, pauli_twirl)


def _each_error_converted(noise: NoiseModel, convert: Callable[[QuantumError], QuantumError]) -> NoiseModel:
    """A model with `convert` of each of `noise`'s quantum errors on the same gates and
    qubits, and the same readout errors (without its delays' passes)."""
    converted = built_noise_model(noise.basis_gates)
    for name, error in noise._default_quantum_errors.items():
        converted.add_all_qubit_quantum_error(convert(error), name, warnings=False)
    if noise._default_readout_error is not None:
        converted.add_all_qubit_readout_error(noise._default_readout_error, warnings=False)
    for name, errors_by_qubits in noise._local_quantum_errors.items():
        for qubits, error in errors_by_qubits.items():
            converted.add_quantum_error(convert(error), name, list(qubits), warnings=False)
    for qubits, readout in noise._local_readout_errors.items():
        converted.add_readout_error(readout, list(qubits), warnings=False)
    return converted


_channel_forms: dict[int, tuple[NoiseModel, NoiseModel]] = {}  # by id of the source, kept alive with it
CHANNEL_FORMS_KEPT = 64


def channel_form(noise: NoiseModel) -> NoiseModel:
    """`noise` with each quantum error as one Kraus channel: the same maps, so the same
    density matrices. Aer reads every error's instructions again at each run, and the
    calibrated errors are compositions of several (a small job's density-matrix run took
    10 ms with them, 5 ms with one Kraus each). For density matrices only: a statevector
    run would pick among Kraus operators shot by shot, where the original's unitary parts
    are cheap. Built once per source model (the worker keeps those), delays' passes kept."""
    from qiskit.quantum_info import Kraus
    from qiskit_aer.noise import QuantumError

    kept = _channel_forms.get(id(noise))
    if kept is not None and kept[0] is noise:
        return kept[1]

    def one_channel(error: QuantumError) -> QuantumError:
        return QuantumError(Kraus(error.to_quantumchannel()))

    converted = _each_error_converted(noise, one_channel)
    converted._custom_noise_passes = list(noise._custom_noise_passes)
    if len(_channel_forms) >= CHANNEL_FORMS_KEPT:
        del _channel_forms[next(iter(_channel_forms))]  # the oldest
    _channel_forms[id(noise)] = (noise, converted)
    return converted
