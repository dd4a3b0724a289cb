"""BackendsScreen (F2): every device with its health; sort, filter, details, pick one.

The table comes from the app's shared backends list; the detail panel under it fetches the
configuration and properties of the row under the cursor, once per backend.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from screens.area import AreaScreen
from screens.widgets.backends_table import SORT_KEYS, BackendsTable
from screens.widgets.key_values import key_value_grid
from tui.app import least_busy
from tui.backend_detail import BackendDetail

DETAIL_DELAY = 0.25


class BackendsScreen(AreaScreen):
    AREA = "Backends"
    BINDINGS = [
        Binding("enter", "pick", "Use for editor", id="backends.pick"),
        Binding("s", "sort", "Sort", id="backends.sort"),
        Binding("slash", "filter", "Filter", id="backends.filter"),
        Binding("r", "refresh", "Refresh", id="backends.refresh"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="backends.clear-filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_index = 0
        self.details: dict[str, BackendDetail] = {}
        self.shown_detail: BackendDetail | None = None
        self._detail_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter: name, processor or status", id="backend-filter", classes="hidden")
        yield BackendsTable(id="backends")
        yield Static("", id="backend-detail")

    def on_mount(self) -> None:
        self.watch(self.qrt, "backends", lambda _: self.show_backends())
        self.watch(self.qrt, "selected_backend", lambda _: self.show_backends())
        self.query_one(BackendsTable).focus()

    def show_backends(self, to_top: bool = False) -> None:
        table = self.query_one(BackendsTable)
        backends = self.qrt.backends
        text = self.query_one("#backend-filter", Input).value.strip().lower()
        shown = [b for b in backends if not text or text in f"{b.name} {b.processor} {b.status}".lower()]
        busiest_free = least_busy(backends).name if backends else None
        table.show(shown, self.qrt.selected_backend, busiest_free, SORT_KEYS[self.sort_index], to_top)
        sort_name = SORT_KEYS[self.sort_index]
        self.row_highlighted()
        count = f"{len(shown)}/{len(backends)}" if len(shown) != len(backends) else f"{len(shown)}"
        parts = [f"Backends {count}", f"by {sort_name}", f"★ least busy {busiest_free or '—'}",
                 f"▸ editor {self.qrt.selected_backend or '—'}"]
        # where it does not fit, without the least busy: the table's ★ marks it
        self.show_title(table, parts, parts[:2] + parts[3:])

    @on(DataTable.RowHighlighted, "#backends")
    def row_highlighted(self) -> None:
        name = self.query_one(BackendsTable).highlighted_name
        if name is None or (self.shown_detail is not None and self.shown_detail.name == name):
            return
        if self._detail_timer is not None:
            self._detail_timer.stop()
        if name in self.details:
            self.show_detail(self.details[name])
        else:
            self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self.load_detail(name))

    @work(exclusive=True, group="backend-detail", exit_on_error=False)
    async def load_detail(self, name: str) -> None:
        detail = await self.qrt.require_workspace().backend_detail(name)
        self.details[name] = detail
        if self.query_one(BackendsTable).highlighted_name == name:
            self.show_detail(detail)

    def show_detail(self, detail: BackendDetail) -> None:
        self.shown_detail = detail
        self.query_one("#backend-detail", Static).update(key_value_grid(detail.lines()))

    @on(DataTable.RowSelected, "#backends")
    def action_pick(self) -> None:
        name = self.query_one(BackendsTable).highlighted_name
        if name is None:
            return
        self.qrt.selected_backend = name
        self.notify(f"The editor now transpiles for {name}. F3 to go there.", timeout=4)

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORT_KEYS)
        self.show_backends(to_top=True)

    def action_filter(self) -> None:
        box = self.query_one("#backend-filter", Input)
        box.remove_class("hidden")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#backend-filter", Input)
        box.value = ""
        box.add_class("hidden")
        self.query_one(BackendsTable).focus()
        self.show_backends()

    @on(Input.Changed, "#backend-filter")
    def filter_changed(self) -> None:
        self.show_backends()

    @on(Input.Submitted, "#backend-filter")
    def filter_done(self) -> None:
        self.query_one(BackendsTable).focus()

    def action_refresh(self) -> None:
        self.details.clear()
        self.qrt.load_backends()
