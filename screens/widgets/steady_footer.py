"""The Footer, recomposed only when the keys it shows change.

Textual's Footer rebuilds all its key widgets whenever the screen's bindings are updated,
which a screen switch and each focus change do several times over (six rebuilds per
switch, a third of a switch's time), though the keys shown mostly stay the same.
"""

from __future__ import annotations

from typing import Any

from textual.dom import NoScreen
from textual.screen import Screen
from textual.widgets import Footer

ShownKeys = tuple[tuple[str, str, str, bool, str], ...]


class SteadyFooter(Footer):
    _composed: ShownKeys | None = None

    def _shown_keys(self) -> ShownKeys:
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )

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
