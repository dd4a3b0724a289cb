"""OpenQASM checking points at the line; transpiling gives an ISA circuit."""

from __future__ import annotations

import pytest

from tui import circuits


def test_bell_template_parses() -> None:
    summary = circuits.check_qasm(circuits.BELL_QASM)
    assert (summary.num_qubits, summary.num_clbits) == (2, 2)
    assert dict(summary.operations) == {"h": 1, "cx": 1, "measure": 2}


@pytest.mark.parametrize(
    ("source", "line", "phrase"),
    [
        ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nfoo q[0];\n', 4, "foo"),
        ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q\nh q[0];\n', 4, "syntax error"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nhh q[0];\n', 4, "hh"),
        ('OPENQASM 3.0;\nqubit q;\n$ h q;\n', 3, "$"),
        ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[7];\n', 5, "out of range"),
    ],
)
def test_invalid_qasm_points_at_the_line(source: str, line: int, phrase: str) -> None:
    with pytest.raises(circuits.QasmError) as error:
        circuits.check_qasm(source)
    assert error.value.problem.line == line
    assert phrase in error.value.problem.message
    assert str(error.value).startswith(f"line {line}")


def test_empty_program_is_reported() -> None:
    with pytest.raises(circuits.QasmError, match="empty"):
        circuits.check_qasm("   \n")


def test_transpiled_bell_uses_only_the_backend_basis(service, bell_isa_qasm: str) -> None:  # noqa: ANN001
    summary = circuits.check_qasm(bell_isa_qasm)
    assert set(dict(summary.operations)) <= {"ecr", "rz", "sx", "x", "measure", "barrier"}
    assert dict(summary.operations)["ecr"] == 1


def test_a_loose_classical_bit_is_warned_about_with_how_to_keep_it() -> None:
    """`bit m; m = measure q[0];` got no result (Sampler results are per register)."""
    from tui.circuits import check_qasm

    loose = check_qasm('OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; bit m; bit[2] c; '
                       "h q[0]; m = measure q[0]; c = measure q;")
    assert loose.loose_bits == ("m",) and loose.warning is not None
    assert "bit[1] m;" in loose.warning
    kept = check_qasm('OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; bit[1] m; bit[2] c; '
                      "h q[0]; m[0] = measure q[0]; c = measure q;")
    assert kept.loose_bits == () and kept.warning is None


def test_parameter_names_come_in_the_order_values_are_bound() -> None:
    from tui.circuits import check_qasm

    summary = check_qasm('OPENQASM 3.0; include "stdgates.inc"; input float theta; input float phi; '
                         "qubit[1] q; bit[1] c; rx(theta) q[0]; rz(phi) q[0]; c = measure q;")
    assert summary.parameter_names == ("phi", "theta")  # qiskit binds by sorted name
