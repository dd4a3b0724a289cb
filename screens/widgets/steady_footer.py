"""The Footer, recomposed only when the keys it shows change, the screen's own keys first.

Textual's Footer rebuilds all its key widgets whenever the screen's bindings are updated,
which a screen switch and each focus change do several times over (six rebuilds per
switch, a third of a switch's time), though the keys shown mostly stay the same.

It also shows keys in the order of the binding chain, where an app key that replaces a
widget's hidden one (the editor's F6 and F7) takes that widget's place: at 80 columns the
screen's own keys and F1 were pushed off the end. Here the screen's keys come first, then
the app's; the screens that F2-F7 switch to are in the top bar, and not repeated here. A
table's Enter shows what its screen does with the row selected (the table consumes it).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import NoScreen
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

ShownKeys = tuple[tuple[str, str, str, bool, str], ...]


class SteadyFooter(Footer):
    _composed: ShownKeys | None = None

    def _shown_bindings(self) -> list[tuple[Binding, bool, str]]:
        """One binding per action, the screen's and its widgets' before the app's."""
        by_action: dict[str, tuple[Binding, bool, str]] = {}
        app_keys: dict[str, tuple[Binding, bool, str]] = {}
        for namespace, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.action == "select_cursor":  # a table's Enter: its screen answers the selection
                binding = next((own for own in self.screen._bindings.key_to_bindings.get(binding.key, [])
                                if own.show), binding)
            if not binding.show:
                continue
            if namespace is self.app:
                if not binding.action.startswith("switch_mode("):
                    app_keys.setdefault(binding.action, (binding, enabled, tooltip))
            else:
                by_action.setdefault(binding.action, (binding, enabled, tooltip))
        for action, shown in app_keys.items():
            by_action.setdefault(action, shown)
        return list(by_action.values())

    def _shown_keys(self) -> ShownKeys:
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for binding, enabled, tooltip in self._shown_bindings()
        )

    def on_resize(self) -> None:
        """Below 150 columns, keys close up (no padding): two more fit at 80, F1 at 120."""
        self.compact = self.size.width < 150

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown = self._shown_bindings()
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in shown:
            yield FooterKey(
                binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                disabled=not enabled, tooltip=tooltip,
            ).data_bind(compact=Footer.compact)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached or not self.is_mounted:
            return  # its screen went away before the refresh (a dialog closed)
        try:
            shown = self._shown_keys()
        except NoScreen:
            return
        if shown != self._composed:
            self._composed = shown
            await self.recompose()
