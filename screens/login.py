"""LoginScreen (F6): profiles (local, IBM Cloud, older API), the API key entered masked,
where it will be kept (said plainly), import of existing qiskit accounts, switching
profile and logging out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import Worker

from screens.widgets.confirm_modal import ConfirmModal
from screens.widgets.list_table import ListTable
from screens.widgets.steady_footer import SteadyFooter
from tui.accounts import AccountError
from tui.secret import Secret

if TYPE_CHECKING:
    from tui.accounts import Accounts
    from tui.app import QrtApp

EMBEDDED = "(embedded simulator)"  # parenthesized: never a profile name
CHANNEL_LABELS = (
    ("IBM Cloud", "ibm_quantum_platform"),
    ("Older API (h/g/p)", "legacy"),
    ("Another qrt serve", "local"),
)
INSTANCE_HINTS = {
    "ibm_quantum_platform": "the instance's CRN, crn:v1:…",
    "legacy": "hub/group/project: ibm-q/open/main",
    "local": "that service's CRN (optional)",
}


class LoginScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="login.back"),
        Binding("ctrl+s", "save", "Save profile", id="login.save"),
        Binding("enter", "use", "Connect", id="login.use"),
        Binding("n", "new_profile", "New", id="login.new"),
        Binding("d", "make_default", "Make default", id="login.default"),
        Binding("x", "delete", "Delete", id="login.delete"),
        Binding("o", "log_out", "Log out", id="login.logout"),
        Binding("i", "import_accounts", "Import qiskit", id="login.import"),
    ]

    @property
    def qrt(self) -> QrtApp:
        return cast("QrtApp", self.app)

    @property
    def accounts(self) -> Accounts:
        return self.qrt.accounts

    def compose(self) -> ComposeResult:
        yield Static("Accounts · Enter connects · n new profile · Ctrl+S saves · F1 keys", id="login-title")
        with Horizontal(id="login-panes"):
            yield ListTable(id="profiles")
            with Vertical(id="profile-form"):
                for label, widget in (
                    ("Name", Input(placeholder="e.g. ibm-cloud", id="profile-name", compact=True)),
                    ("Channel", Select(CHANNEL_LABELS, value="ibm_quantum_platform", allow_blank=False,
                                       id="profile-channel", compact=True)),
                    ("Instance", Input(placeholder=INSTANCE_HINTS["ibm_quantum_platform"], id="profile-instance",
                                       compact=True)),
                    ("URL", Input(placeholder="optional: qrt serve/private URL", id="profile-url",
                                  compact=True)),
                    ("API key", Input(placeholder="paste it here; shown as •••", password=True, id="profile-token",
                                      compact=True)),
                ):
                    with Horizontal(classes="field"):
                        yield Label(label)
                        yield widget
                yield Static("", id="token-storage")
                yield Static("", id="login-error")
        yield SteadyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#profiles", DataTable)
        table.cursor_type = "row"
        table.add_columns("", "Profile", "Channel", "Instance")
        table.border_title = "Profiles"
        self.show_profiles()
        self.query_one("#token-storage", Static).update(self._storage_note())
        table.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.qrt.report_worker_failure(event)

    def _storage_note(self) -> str:
        if self.accounts.settings.plaintext_token_file:
            return "Tokens go to the system keyring; where none works, to a 0600 plaintext file (you opted in)."
        return ("Tokens go to the system keyring; where none works, they stay in memory for this run only "
                "and you are told so.")

    def show_profiles(self, keep: str | None = None) -> None:
        """The profiles, ● the default, ▸ the connected one; the cursor stays on `keep` (or
        where it was, or the row that took a deleted one's place), so Enter connects to what
        the user was looking at."""
        table = self.query_one("#profiles", DataTable)
        keep = keep or self._selected()
        row_before = table.cursor_row
        table.clear()
        connection = self.qrt.connection
        current = None if connection is None else EMBEDDED if connection.local_service is not None else connection.profile_name
        default = self.accounts.default_profile_name
        table.add_row(("●" if default is None else " ") + ("▸" if current == EMBEDDED else " "), EMBEDDED, "local", "",
                      key=EMBEDDED)
        for profile in self.accounts.profiles():
            marks = ("●" if profile.name == default else " ") + ("▸" if profile.name == current else " ")
            table.add_row(marks, profile.name, profile.channel, profile.instance or "", key=profile.name)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        else:
            table.move_cursor(row=min(row_before, table.row_count - 1), animate=False)

    def _selected(self) -> str | None:
        table = self.query_one("#profiles", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted, "#profiles")
    def _fill_form(self) -> None:
        name = self._selected()
        profile = self.accounts.settings.profiles.get(name or "")
        if profile is None:
            return
        self.query_one("#profile-name", Input).value = profile.name
        self.query_one("#profile-channel", Select).value = profile.channel
        self.query_one("#profile-instance", Input).value = profile.instance or ""
        self.query_one("#profile-url", Input).value = profile.url or ""
        self.query_one("#profile-token", Input).value = ""

    @on(Select.Changed, "#profile-channel")
    def _hint_instance(self, event: Select.Changed) -> None:
        self.query_one("#profile-instance", Input).placeholder = INSTANCE_HINTS.get(str(event.value), "")

    def _error(self, text: str) -> None:
        self.query_one("#login-error", Static).update(Text(f"✗ {text}" if text else ""))

    # actions ---------------------------------------------------------------------------

    @work(exclusive=True, group="login", exit_on_error=False)
    async def action_save(self) -> None:
        await self._save_profile()

    async def _save_profile(self) -> str | None:
        """Save the form's profile (and its key, if typed); its name, or None if refused."""

        def value(widget_id: str) -> str:
            return self.query_one(widget_id, Input).value

        token_box = self.query_one("#profile-token", Input)
        try:
            profile = self.accounts.save_profile(
                value("#profile-name").strip(),
                self.query_one("#profile-channel", Select).value,  # type: ignore[arg-type]
                instance=value("#profile-instance"),
                url=value("#profile-url"),
            )
            stored = await self.accounts.save_token(profile.name, Secret(token_box.value)) if token_box.value else None
        except AccountError as exc:
            self._error(str(exc))
            return None
        token_box.value = ""
        self._error("")
        self.show_profiles(keep=profile.name)
        where = stored.message if stored else "No API key given; the saved one (if any) is kept."
        self.query_one("#token-storage", Static).update(Text(where))
        self.notify(f"Profile {profile.name} saved. {where}", timeout=8,
                    severity="warning" if stored and stored.location != "keyring" else "information")
        return profile.name

    @on(Input.Submitted, "#profile-token")
    @work(exclusive=True, group="login", exit_on_error=False)
    async def save_and_connect(self) -> None:
        """Enter in the key field: save the profile, then connect to it, as the title says."""
        saved = await self._save_profile()
        if saved is not None:
            self.qrt.switch_profile(saved)
            self.app.pop_screen()

    @on(DataTable.RowSelected, "#profiles")
    def action_use(self) -> None:
        name = self._selected()
        if name is None:
            return
        self.qrt.switch_profile(None if name == EMBEDDED else name)
        self.app.pop_screen()

    def action_new_profile(self) -> None:
        for widget_id in ("#profile-name", "#profile-instance", "#profile-url", "#profile-token"):
            self.query_one(widget_id, Input).value = ""
        self.query_one("#profile-name", Input).focus()

    def action_make_default(self) -> None:
        name = self._selected()
        if name in (None, EMBEDDED):
            return
        self.accounts.set_default(name)
        self.show_profiles()
        self.notify(f"qrt will start on {name}.", timeout=3)

    def action_delete(self) -> None:
        name = self._selected()
        if name in (None, EMBEDDED):
            return
        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_profile(name)

        self.app.push_screen(ConfirmModal(f"Delete profile {name} and forget its token?"), answered)

    @work(exit_on_error=False)
    async def delete_profile(self, name: str) -> None:
        await self.accounts.delete_profile(name)
        self.show_profiles()

    def action_log_out(self) -> None:
        name = self._selected()
        if name in (None, EMBEDDED):
            return
        def answered(yes: bool | None) -> None:
            if yes:
                self.log_out(name)

        self.app.push_screen(ConfirmModal(f"Log out of {name}? Its token is removed from this machine."), answered)

    @work(exit_on_error=False)
    async def log_out(self, name: str) -> None:
        connection = self.qrt.connection
        if connection is not None and connection.profile_name == name:
            await self.qrt.disconnect()
            await self.accounts.log_out(name, connection)
        else:
            await self.accounts.log_out(name)
        self.show_profiles()
        self.notify(f"Logged out of {name}; its token is forgotten.", timeout=5)

    @work(exit_on_error=False)
    async def action_import_accounts(self) -> None:
        outcomes = await self.accounts.import_qiskit_accounts()
        environment = await self.accounts.import_environment()
        if environment is not None:
            outcomes.append(environment)
        self.show_profiles()
        if not outcomes:
            self.notify("No qiskit accounts found (~/.qiskit/qiskit-ibm.json, QISKIT_IBM_TOKEN).", timeout=6)
        for outcome in outcomes:
            self.notify(f"{outcome.profile_name} from {outcome.source}: {outcome.note}", timeout=8,
                        severity="information" if outcome.imported else "warning")

