"""The OpenQASM editor: a TextArea with line numbers and OpenQASM 2/3 highlighting.

Textual's TextArea highlights through tree-sitter, which has no OpenQASM grammar; the
openqasm-pygments lexers do, so their tokens fill the same highlight map instead.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from textual.widgets import TextArea

if TYPE_CHECKING:
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

# Most specific first: the first ancestor found names the highlight.
HIGHLIGHTS = (
    ("Comment", "comment"),
    ("Keyword.Type", "type"),
    ("Keyword", "keyword"),
    ("Name.Function", "function"),
    ("Name.Builtin", "function"),
    ("Literal.String", "string"),
    ("Literal.Number", "number"),
    ("Literal", "number"),
    ("Operator.Word", "keyword"),
    ("Operator", "operator"),
)


@lru_cache(maxsize=2)
def _lexer(version: int) -> Lexer:
    from openqasm_pygments import OpenQASM2Lexer, OpenQASM3Lexer

    return OpenQASM2Lexer() if version == 2 else OpenQASM3Lexer()


@lru_cache(maxsize=256)
def _highlight_name(token_type: _TokenType) -> str | None:
    from pygments.token import string_to_tokentype

    for dotted, name in HIGHLIGHTS:
        if token_type in string_to_tokentype(dotted):
            return name
    return None


def qasm_highlights(text: str) -> dict[int, list[tuple[int, int | None, str]]]:
    """Per line, (start byte, end byte, highlight name): the shape TextArea renders."""
    version = 2 if text.lstrip().startswith("OPENQASM 2") else 3
    highlights: dict[int, list[tuple[int, int | None, str]]] = {}
    line, column = 0, 0
    for token_type, value in _lexer(version).get_tokens(text):
        name = _highlight_name(token_type)
        for index, part in enumerate(value.split("\n")):
            if index:
                line, column = line + 1, 0
            size = len(part.encode())
            if name and size:
                highlights.setdefault(line, []).append((column, column + size, name))
            column += size
    return highlights


class QasmEditor(TextArea):
    def __init__(self, text: str, **kwargs: object) -> None:
        super().__init__(
            text,
            show_line_numbers=True,
            tab_behavior="focus",
            soft_wrap=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        self._highlights.clear()
        self._highlights.update(qasm_highlights(self.text))
