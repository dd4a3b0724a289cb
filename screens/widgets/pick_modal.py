"""Small dialogs the editor uses: pick one of a list, or type a file path."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class PickModal(ModalScreen[str | None]):
    """Enter picks the highlighted choice; Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="pick.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices  # (label, value)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog pick-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield OptionList(*(Option(label, id=value) for label, value in self.choices))

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class PathModal(ModalScreen[str | None]):
    """Asks for a file path; Enter accepts it, Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="path.cancel")]

    def __init__(self, title: str, path: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog pick-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(self.path, placeholder="path/to/file", id="path-input")
            yield Static("[b]Enter[/b] OK   [b]Esc[/b] cancel", classes="dialog-keys")

    @on(Input.Submitted)
    def accepted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
