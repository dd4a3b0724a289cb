"""A look at OpenQASM text before any parser builds anything: what it may include, how big
it says it is, and how far its gate definitions expand. No qiskit here; it runs in the
service's request path and in the editor.

Parsers take a program's word for it: `bit[3000000] c;` (49 bytes) made 2.5 GB of clbits,
twenty nested gate definitions (700 bytes) expanded to 3.3 GB, and `include "/etc/passwd";`
opened the file and quoted it in the error. So a program is screened first:

- `include` may name only the standard libraries (`qelib1.inc`, `stdgates.inc`), which the
  parsers carry; no file is ever opened, and the answer never depends on what exists;
- every register or type size must be an integer literal (or a `const` of one) within the
  limits, and physical qubits (`$n`) must exist on the device;
- the operations a program expands to, counting each gate definition's body, are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.circuits import QasmError, QasmProblem

STANDARD_INCLUDES = frozenset({"qelib1.inc", "stdgates.inc"})
MAX_CLBITS = 4096
MAX_TYPE_WIDTH = 128
MAX_EXPANDED_OPERATIONS = 2_000_000

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_INCLUDE = re.compile(r"\binclude\b")
_INCLUDE_STATEMENT = re.compile(r"""\binclude\s*(["'])([^"'\n]*)\1\s*;""")
_DESIGNATOR = re.compile(r"\b(qubit|bit|int|uint|float|angle|complex)\s*\[\s*([^\]]*?)\s*\]")
_OLD_REGISTER = re.compile(r"\b(qreg|creg)\s+[A-Za-z_]\w*\s*\[\s*([^\]]*?)\s*\]")
_CONST = re.compile(r"\bconst\s+\w+(?:\s*\[[^\]]*\])?\s+([A-Za-z_]\w*)\s*=\s*(\d+)\s*;")
_SINGLE_QUBIT = re.compile(r"\bqubit\s+[A-Za-z_]\w*\s*;")
_SINGLE_BIT = re.compile(r"\bbit\s+[A-Za-z_]\w*\s*(?:=[^;]*)?;")
_PHYSICAL = re.compile(r"\$(\d+)")
_DEFINITION = re.compile(r"\b(?:gate|def)\s+([A-Za-z_]\w*)[^{;]*\{([^{}]*)\}")
_CALL = re.compile(r"^\s*((?:(?:ctrl|negctrl|inv|pow)\s*(?:\(([^)]*)\))?\s*@\s*)*)([A-Za-z_]\w*)")
_POW = re.compile(r"\bpow\s*\(\s*(\d+)\s*\)")


@dataclass(frozen=True)
class QasmLimits:
    max_qubits: int | None = None  # the device's size; None in the editor (no device yet)
    max_clbits: int = MAX_CLBITS
    max_expanded_operations: int = MAX_EXPANDED_OPERATIONS


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces, newlines kept, so positions stay where they were."""
    return _COMMENT.sub(lambda match: re.sub(r"[^\n]", " ", match.group()), text)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _refuse(text: str, offset: int, message: str) -> QasmError:
    line, column = _line_column(text, offset)
    return QasmError(QasmProblem(message, line, column))


def screen_qasm(text: str, limits: QasmLimits = QasmLimits()) -> None:
    """Raise QasmError, pointing at the line, if the program is beyond what may be parsed."""
    code = _blank_comments(text)
    _check_includes(code)
    _check_sizes(code, limits)
    _check_expansion(code, limits.max_expanded_operations)


def _check_includes(code: str) -> None:
    for match in _INCLUDE.finditer(code):
        statement = _INCLUDE_STATEMENT.match(code, match.start())
        name = statement.group(2) if statement else None
        if name not in STANDARD_INCLUDES:
            raise _refuse(
                code, match.start(),
                "only the standard libraries may be included here "
                f"({', '.join(sorted(STANDARD_INCLUDES))}); no other file is read",
            )


def _check_sizes(code: str, limits: QasmLimits) -> None:
    constants = {name: int(value) for name, value in _CONST.findall(code)}
    qubits = len(_SINGLE_QUBIT.findall(code))
    clbits = len(_SINGLE_BIT.findall(code))
    sized = [(m.group(1), m.group(2), m.start()) for m in _DESIGNATOR.finditer(code)]
    sized += [("qubit" if m.group(1) == "qreg" else "bit", m.group(2), m.start())
              for m in _OLD_REGISTER.finditer(code)]
    for kind, designator, offset in sorted(sized, key=lambda item: item[2]):
        size = int(designator) if designator.isdigit() else constants.get(designator)
        if size is None:
            raise _refuse(code, offset, f"the size of a {kind} must be an integer here, not '{designator[:40]}'")
        if kind == "qubit":
            qubits += size
        elif kind == "bit":
            clbits += size
        elif size > MAX_TYPE_WIDTH:
            raise _refuse(code, offset, f"a {kind}[{size}] is wider than {MAX_TYPE_WIDTH} bits")
        if limits.max_qubits is not None and qubits > limits.max_qubits:
            raise _refuse(code, offset,
                          f"the program declares {qubits} qubits; the backend has {limits.max_qubits}")
        if clbits > limits.max_clbits:
            raise _refuse(code, offset,
                          f"the program declares {clbits} classical bits; at most {limits.max_clbits} are accepted")
    if limits.max_qubits is not None:
        for match in _PHYSICAL.finditer(code):
            if int(match.group(1)) >= limits.max_qubits:
                raise _refuse(code, match.start(),
                              f"qubit ${match.group(1)} does not exist; the backend has {limits.max_qubits}")


def _statement_cost(statement: str, costs: dict[str, int]) -> int:
    call = _CALL.match(statement)
    if call is None:
        return 1
    cost = costs.get(call.group(3), 1)
    for power in _POW.findall(call.group(1) or ""):
        cost *= max(1, int(power))
    return cost


def _check_expansion(code: str, limit: int) -> None:
    """Each gate's expanded size from its body, then the program's from its statements."""
    costs: dict[str, int] = {}
    for match in _DEFINITION.finditer(code):
        body_cost = sum(_statement_cost(s, costs) for s in match.group(2).split(";") if s.strip())
        costs[match.group(1)] = max(1, body_cost)
        if body_cost > limit:
            raise _refuse(code, match.start(),
                          f"gate '{match.group(1)}' expands to more than {limit:,} operations")
    top_level = _DEFINITION.sub(" ", code)
    total = sum(_statement_cost(s, costs) for s in top_level.split(";") if s.strip())
    if total > limit:
        raise QasmError(QasmProblem(f"the program expands to more than {limit:,} operations"))
