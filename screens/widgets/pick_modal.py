"""Small dialogs: pick one of a list, type a line of text, or a file path (completed as it
is typed, with the recent files to pick from)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
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


class TextModal(ModalScreen[str | None]):
    """Asks for one line of text; Enter accepts it (empty too, if `allow_empty`), Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="text.cancel")]
    INPUT_ID = "text-input"

    def __init__(self, title: str, value: str = "", placeholder: str = "", allow_empty: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog pick-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield self.make_input()
            yield from self.compose_extra()
            yield Static("[b]Enter[/b] OK   [b]Esc[/b] cancel", classes="dialog-keys")

    def make_input(self) -> Input:
        return Input(self.value, placeholder=self.placeholder, id=self.INPUT_ID)

    def compose_extra(self) -> ComposeResult:
        yield from ()

    @on(Input.Submitted)
    def accepted(self, event: Input.Submitted) -> None:
        if event.value.strip() or self.allow_empty:
            self.dismiss(event.value.strip())


class PathSuggester(Suggester):
    """Completes the path being typed from the disk (Right or Tab takes it)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        from tui.user_files import complete_path

        return await asyncio.to_thread(complete_path, value)


class PathModal(TextModal):
    """Asks for a file path, completing it as it is typed; lists `recent` files to pick."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="path.cancel"),
        Binding("tab", "complete", "Complete", show=False, id="path.complete", priority=True),
    ]
    INPUT_ID = "path-input"

    def __init__(self, title: str, path: str = "", recent: Sequence[str] = ()) -> None:
        super().__init__(title, path, placeholder="path/to/file")
        self.recent = list(recent)

    def make_input(self) -> Input:
        return Input(self.value, placeholder=self.placeholder, id=self.INPUT_ID, suggester=PathSuggester())

    def compose_extra(self) -> ComposeResult:
        if self.recent:
            yield Static("Recent (Tab to the list, Enter opens):", classes="dialog-note")
            yield OptionList(*(Option(name, id=name) for name in self.recent), id="recent-files")

    def action_complete(self) -> None:
        """Tab takes the completion shown; with none, it moves on to the recent files."""
        box = self.query_one(Input)
        before = box.value
        if box.has_focus:
            box.cursor_position = len(box.value)
            box.action_cursor_right()  # at the end, Input takes its suggestion
        if box.value == before:
            self.focus_next()

    @on(OptionList.OptionSelected, "#recent-files")
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
