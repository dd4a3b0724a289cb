"""The OpenQASM editor: a code-editing TextArea with line numbers."""

from __future__ import annotations

from textual.widgets import TextArea


class QasmEditor(TextArea):
    def __init__(self, text: str, **kwargs: object) -> None:
        super().__init__(
            text,
            show_line_numbers=True,
            tab_behavior="focus",
            soft_wrap=False,
            **kwargs,  # type: ignore[arg-type]
        )
