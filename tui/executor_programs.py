"""The executor program from qrt's side: params as IBM's executor-based primitives build
them, and results read back into counts tables and values.

qrt speaks REST itself, but what goes inside an executor job is IBM's own format (a
QuantumProgram encoded with `ibm_quantum_schemas`), so it is built and read with IBM's
own code, exactly as the official `executor_sampler.Sampler` and
`executor_estimator.Estimator` do: their `prepare` step, the schema's v2.0 encoder, and
their result decoders. qiskit and qiskit-ibm-runtime are imported only here, when a job
is built or read.
"""

from __future__ import annotations

import json
from functools import reduce
from typing import TYPE_CHECKING, Any

from tui.programs import CannotBuildProgram
from tui.results import PubValues, RegisterCounts, ResultFormatError, count_bits
from tui.tagged_json import TaggedBits

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from tui.circuits import TranspiledCircuit
    from tui.submission import SubmitRequest

SCHEMA_VERSION = "v2.0"
FLIPS_PREFIX = "measurement_flips."


def _prepared(prepare: Any, *args: Any, label: str) -> Any:
    """`prepare(*args)`, its refusals (samplomatic's boxing, option checks) said plainly."""
    try:
        return prepare(*args)
    except Exception as exc:  # noqa: BLE001 - prepare raises qiskit's, samplomatic's and pydantic's errors
        reason = " ".join(str(exc).replace("``", "").split())[:300]
        if "'ecr'" in reason:
            reason = ("samplomatic, which IBM's executor-based primitives box and twirl circuits with, "
                      "does not support ecr gates (the 2-qubit gate of Eagle devices such as ibm_brisbane); "
                      "pick a Heron backend (cz), or the classic program")
        raise CannotBuildProgram(f"{label} cannot run this circuit: {reason}") from None


def physical_circuit(transpiled: TranspiledCircuit) -> QuantumCircuit:
    """The ISA circuit with qubit i the device's qubit i and no layout left to interpret."""
    from qiskit import QuantumCircuit

    from tui.circuits import parse_qasm

    parsed = parse_qasm(transpiled.qasm)
    circuit = QuantumCircuit(parsed.num_qubits)
    for register in parsed.cregs:
        circuit.add_register(register)
    loose = [bit for bit in parsed.clbits if not parsed.find_bit(bit).registers]
    if loose:
        circuit.add_bits(loose)
    circuit.compose(parsed, qubits=list(range(parsed.num_qubits)), clbits=parsed.clbits, inplace=True)
    return circuit


def _parameter_values(request: SubmitRequest) -> Any:
    import numpy as np

    if request.parameter_values is None:
        return None
    return np.asarray(request.parameter_values, dtype=float)


def _with_twirling(options: Any, request: SubmitRequest) -> Any:
    if request.twirling:
        options.twirling.enable_gates = True
        options.twirling.enable_measure = True
    return options


def _encoded(program: Any, options: Any, role: str) -> dict[str, Any]:
    from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS

    program._semantic_role = role  # as the official primitives mark their programs
    encoded = QUANTUM_PROGRAM_PARAMS_CONVERTERS[SCHEMA_VERSION].encoder(program, options)
    return json.loads(json.dumps(encoded.model_dump(mode="json")))


def sampler_params(request: SubmitRequest, transpiled: TranspiledCircuit) -> dict[str, Any]:
    """What `executor_sampler.Sampler(...).run([(circuit, values)], shots=...)` submits."""
    from qiskit_ibm_runtime.executor_sampler.prepare import prepare
    from qiskit_ibm_runtime.options_models.sampler import SamplerOptions

    options = _with_twirling(SamplerOptions(), request)
    circuit = physical_circuit(transpiled)
    values = _parameter_values(request)
    pub = (circuit,) if values is None else (circuit, values)
    program, executor_options = _prepared(prepare, [pub], options, request.shots, label="The executor-based Sampler")
    return _encoded(program, executor_options, "sampler_v2")


def estimator_params(request: SubmitRequest, transpiled: TranspiledCircuit) -> dict[str, Any]:
    """What `executor_estimator.Estimator(...).run([(circuit, observables, values)])` submits."""
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime.executor_estimator.prepare import prepare
    from qiskit_ibm_runtime.options_models.estimator import EstimatorOptions

    options = _with_twirling(EstimatorOptions(), request)
    circuit = physical_circuit(transpiled)
    observables = [SparsePauliOp(transpiled.isa_observable(pauli)) for pauli in request.observables]
    values = _parameter_values(request)
    sweep = values is not None and values.ndim == 2
    if sweep and len(observables) > 1:
        observables = [[observable] for observable in observables]  # (m, 1) against (n,) bindings
    pub = (circuit, observables) if values is None else (circuit, observables, values)
    program, executor_options = _prepared(
        prepare, [pub], options, request.precision, label="The executor-based Estimator"
    )
    return _encoded(program, executor_options, "estimator_v2")


def decoded(result: Any) -> Any:
    """The result as the official client reads it: a PrimitiveResult for the executor-based
    primitives, else the QuantumProgramResult itself."""
    from qiskit_ibm_runtime.decoders.defaults import DEFAULT_DECODERS

    text = result if isinstance(result, str) else json.dumps(result)
    try:
        return reduce(lambda read, decoder: decoder.decode(read) if decoder.is_applicable(read) else read,
                      DEFAULT_DECODERS["executor"], text)
    except Exception as exc:  # noqa: BLE001 - the decoders raise freely on foreign input
        raise ResultFormatError(f"not an executor result qrt can read ({type(exc).__name__})") from None


def read_results(result: Any, labels: tuple[str, ...] | None = None) -> tuple[list[RegisterCounts], list[PubValues]]:
    """Counts per item (or pub) and register, a parameter sweep's points as their own
    tables; or an Estimator's values with their standard deviations."""
    from qiskit.primitives import PrimitiveResult

    read = decoded(result)
    if isinstance(read, PrimitiveResult):
        if len(read) and hasattr(read[0].data, "evs"):
            return [], [_pub_values(index, pub, labels) for index, pub in enumerate(read)]
        return [table for index, pub in enumerate(read) for table in _pub_counts(index, pub.data)], []
    return [table for index, item in enumerate(read) for table in _item_counts(index, item)], []


def _pub_values(index: int, pub: Any, labels: tuple[str, ...] | None) -> PubValues:
    import numpy as np

    evs = np.atleast_1d(np.asarray(pub.data.evs, dtype=float))
    stds = np.broadcast_to(np.asarray(pub.data.stds, dtype=float), evs.shape)
    errors = getattr(pub.data, "ensemble_standard_error", None)
    return PubValues(
        index, tuple(np.shape(pub.data.evs)), tuple(evs.ravel().tolist()), tuple(stds.ravel().tolist()),
        None if errors is None else tuple(np.broadcast_to(np.asarray(errors, dtype=float), evs.shape).ravel().tolist()),
        labels if labels is not None and len(labels) == evs.size else None,
    )


def _bit_array_tables(index: int, name: str, bits: Any) -> list[RegisterCounts]:
    """A BitArray's counts, one table per point of its shape (counted by numpy: a
    BitArray's own `get_counts` took 50 ms for 100,000 shots)."""
    import numpy as np

    if bits.shape == ():
        return [count_bits(index, name, TaggedBits(bits.array, bits.num_bits))]
    return [
        count_bits(index, f"{name}[{','.join(map(str, point))}]", TaggedBits(bits.array[point], bits.num_bits))
        for point in np.ndindex(bits.shape)
    ]


def _pub_counts(index: int, data: Any) -> list[RegisterCounts]:
    return [table for name, bits in data.items() for table in _bit_array_tables(index, name, bits)]


def _item_counts(index: int, item: Any) -> list[RegisterCounts]:
    """A raw program item: each register's bools `(*shape, shots, bits)`, its measurement
    twirl undone; a twirled item's randomizations pooled, a circuit item's sweep kept apart."""
    import numpy as np
    from qiskit.primitives.containers import BitArray

    tables = []
    for name, array in item.items():
        if "." in name:
            continue  # samplex outputs: measurement_flips.<register>, pauli_signs
        bools = np.asarray(array, dtype=bool)
        flips = item.get(f"{FLIPS_PREFIX}{name}")
        if flips is not None:
            bools = bools ^ np.asarray(flips, dtype=bool)
            bools = bools.reshape(-1, bools.shape[-1])
        tables += _bit_array_tables(index, name, BitArray.from_bool_array(bools, order="little"))
    return tables
