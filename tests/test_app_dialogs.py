"""Dialogs against what changed since they were last filled in."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Select

from screens.widgets.submit_modal import JOIN_PREFIX, SubmitModal
from tests.conftest import ServiceInfo
from tui.submission import SubmitRequest


async def test_the_submit_dialog_opens_when_the_last_session_has_closed() -> None:
    """Once: Estimator joined session S; S was stopped on F5; Ctrl+R crashed the app with
    InvalidSelectValueError (and exited 0). The dialog now starts on "alone"."""
    last = SubmitRequest(way="estimator", observables=("ZZ",), session_id="gone-session")
    app: App[None] = App()
    async with app.run_test() as pilot:
        app.push_screen(SubmitModal("ibm_brisbane", 2, 0, open_sessions=[], last=last))
        await pilot.pause()
        assert app.screen.query_one("#submit-mode", Select).value == "job"
        app.pop_screen()
        still_open = [("open-session", "dedicated")]
        rejoin = SubmitRequest(session_id="open-session")
        app.push_screen(SubmitModal("ibm_brisbane", 2, 0, open_sessions=still_open, last=rejoin))
        await pilot.pause()
        assert app.screen.query_one("#submit-mode", Select).value == f"{JOIN_PREFIX}open-session"


async def test_the_size_notice_leaves_when_the_terminal_grows_back_on_another_screen() -> None:
    """F4, shrink to 60x20, F2, grow to 100x30, F4: the notice once stayed on the jobs screen."""
    from screens.too_small import TooSmallScreen
    from tests.helpers.pilot import FAST_POLLING, never_connects
    from tui.app import QrtApp

    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)  # still too small on the backends screen
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert not isinstance(app.screen, TooSmallScreen), app.screen


async def test_a_screenshot_is_saved_where_it_can_be_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh home has no ~/Downloads: Textual's screenshot failed without a path."""
    from tests.helpers.pilot import FAST_POLLING, never_connects
    from tui.app import QrtApp

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_screenshot()
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
    saved = list(tmp_path.glob("*.svg"))
    assert len(saved) == 1, messages
    assert any(str(saved[0]) in message for message in messages), messages


CONFIG_WITH_EVERYTHING = """# my qrt settings
[ui]
theme = "nord"   # I like it
bell = true

[keys]
"editor.submit" = "ctrl+r,f9"
"""


def test_saving_a_profile_keeps_what_the_user_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving a profile once rewrote config.toml with only its own tables; the first saved
    profile also became the default without a word."""
    from tui.accounts import Accounts
    from tui.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text(CONFIG_WITH_EVERYTHING)
    monkeypatch.setenv("QRT_CONFIG", str(config))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    accounts = Accounts()
    accounts.save_profile("lab", "local", instance="crn:v1:x", url="http://127.0.0.1:8000")
    text = config.read_text()
    assert text.startswith(CONFIG_WITH_EVERYTHING.rstrip("\n"))  # untouched, comments and all
    assert "[profiles.lab]" in text
    settings = load_settings(config)
    assert settings.profiles["lab"].url == "http://127.0.0.1:8000"
    assert settings.default_profile is None  # the embedded service stays the default
    accounts.save_profile("lab", "local", instance="crn:v1:y", url="http://127.0.0.1:8000")
    assert load_settings(config).profiles["lab"].instance == "crn:v1:y"
    assert "# I like it" in config.read_text() and '"editor.submit"' in config.read_text()


async def test_a_theme_picked_is_remembered_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.pilot import never_connects
    from tui.app import QrtApp
    from tui.preferences import load_preferences

    config = tmp_path / "config.toml"
    config.write_text(CONFIG_WITH_EVERYTHING)
    monkeypatch.setenv("QRT_CONFIG", str(config))
    app = QrtApp(never_connects, load_preferences())
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await pilot.pause()
    assert load_preferences().theme == "gruvbox"
    assert "[keys]" in config.read_text() and "# my qrt settings" in config.read_text()


def test_shots_are_limited_by_the_backends_own_max_shots() -> None:
    """The form allowed 10,000,000, the service refused over 2,000,000, the backend said
    100000: the backend's max_shots is the limit, on both sides."""
    from tui.submission import SubmitFormError, parse_shots

    assert parse_shots("100,000", max_shots=100_000) == 100_000
    with pytest.raises(SubmitFormError, match="100,000 .the backend's max_shots"):
        parse_shots("200000", max_shots=100_000)


def test_the_service_refuses_a_pub_over_the_backends_max_shots(service: ServiceInfo) -> None:
    import httpx

    from tests.helpers.service import ghz_qasm, isa

    body = {"program_id": "sampler", "backend": "ibm_brisbane",
            "params": {"pubs": [[isa(ghz_qasm(2, False)), None, 200_000]], "version": 2}}
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body)
    assert response.status_code == 400
    assert "max_shots 100000" in response.json()["errors"][0]["message"]


async def test_at_80_columns_the_top_bar_shows_stale_and_the_profile() -> None:
    """At 80 columns the bar was cut at "not IBM": STALE and "polling paused" never showed."""
    from datetime import datetime, timezone

    from textual.widgets import Static

    from tests.helpers.pilot import FAST_POLLING, never_connects
    from tui.app import QrtApp

    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(80, 24)) as pilot:
        app.connection_label = "lab-profile · http://127.0.0.1:8000 with a long tail of words"
        app.jobs_stale_since = datetime.now(timezone.utc)
        await pilot.pause()
        bar = str(app.screen.query_one("#top-bar", Static).render())
        assert "STALE since" in bar and "lab-profile" in bar, bar
        app.jobs_stale_since = None
        app.polling_paused = True
        await pilot.pause()
        assert "polling paused" in str(app.screen.query_one("#top-bar", Static).render())


def test_local_simulator_is_said_only_of_services_on_this_machine() -> None:
    from tui.api.auth import Secret
    from tui.connection import connect_to_local_service

    here = connect_to_local_service("http://127.0.0.1:8000", Secret("k"), "crn", profile_name="lab")
    there = connect_to_local_service("http://10.0.0.7:8000", Secret("k"), "crn", profile_name="shared")
    assert "LOCAL SIMULATOR" in here.description and "lab" in here.description
    assert "LOCAL SIMULATOR" not in there.description and "shared" in there.description


def test_parameter_values_bind_in_the_shown_order_or_by_name() -> None:
    """`[3.14159, 0]` for `input float theta; input float phi;` went to phi, unannounced."""
    from tui.submission import SubmitFormError, parse_parameter_values

    names = ("phi", "theta")  # the order the primitive binds, which the dialog now shows
    assert parse_parameter_values("theta=3.14159, phi=0", 2, names) == [[0.0, 3.14159]]
    assert parse_parameter_values("0.1, 0.2", 2, names) == [0.1, 0.2]
    assert parse_parameter_values("[[0.1, 0.2], [0.3, 0.4]]", 2, names) == [[0.1, 0.2], [0.3, 0.4]]
    with pytest.raises(SubmitFormError, match="no value for theta"):
        parse_parameter_values("phi=1", 2, names)
    with pytest.raises(SubmitFormError, match="no parameter 'gamma'"):
        parse_parameter_values("gamma=1, phi=2, theta=3", 2, names)
    with pytest.raises(SubmitFormError, match="in the order phi, theta"):
        parse_parameter_values("0.1", 2, names)


async def test_an_opened_file_is_checked_afresh_and_a_stale_diagram_says_so(tmp_path: Path) -> None:
    """Once: opening a valid file kept the previous file's error for seconds, and a syntax
    error left the last valid diagram on screen as if it were the text's."""
    from textual.widgets import Input, Static

    from tests.helpers.pilot import FAST_POLLING, never_connects, wait_for
    from tui.app import QrtApp

    (tmp_path / "broken.qasm").write_text("OPENQASM 3.0; qubit[2] q; frobnicate q[0];")
    (tmp_path / "fine.qasm").write_text('OPENQASM 3.0; include "stdgates.inc"; qubit[1] q; h q[0];')
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        status = app.screen.query_one("#editor-status", Static)
        box = app.screen.query_one("#diagram-box")

        async def open_file(name: str) -> None:
            await pilot.press("ctrl+o")
            await pilot.pause()
            app.screen.query_one(Input).value = str(tmp_path / name)
            await pilot.press("enter")
            await pilot.pause()

        await open_file("broken.qasm")
        await wait_for(pilot, lambda: "frobnicate" in str(status.render()), "the parse error")
        assert box.border_title == "Circuit · the last version that parsed"
        await open_file("fine.qasm")
        assert "frobnicate" not in str(status.render())  # at once, not after the check
        await wait_for(pilot, lambda: "✓ 1 qubits" in str(status.render()), "the new file's verdict")
        await wait_for(pilot, lambda: box.border_title == "Circuit", "the new file's diagram")


async def test_save_asks_before_replacing_another_file_and_quit_asks_with_unsaved_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Save and export once overwrote without asking and said relative paths; the editor had
    no unsaved marker, and Ctrl+Q quit with unsaved edits."""
    from screens.widgets.confirm_modal import ConfirmModal
    from screens.widgets.qasm_editor import QasmEditor
    from tests.helpers.pilot import FAST_POLLING, never_connects, wait_for
    from tui.app import QrtApp

    monkeypatch.chdir(tmp_path)
    theirs = tmp_path / "theirs.qasm"
    theirs.write_text("// precious\n")
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        editor = app.screen.query_one(QasmEditor)
        assert "modified" not in str(editor.border_title) and app.unsaved_edits is None
        editor.insert("// mine\n", (0, 0))
        await pilot.pause()
        assert str(editor.border_title).endswith("untitled ● modified")
        assert app.unsaved_edits == "the untitled circuit"

        async def save_as(name: str) -> None:
            await pilot.press("ctrl+s")
            await pilot.pause()
            app.screen.query_one("#path-input").value = name  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()

        await save_as("theirs.qasm")
        assert isinstance(app.screen, ConfirmModal) and str(theirs) in app.screen.question
        await pilot.press("n")
        assert theirs.read_text() == "// precious\n"  # kept
        await save_as("theirs.qasm")
        await pilot.press("y")
        await pilot.pause()
        assert theirs.read_text() == editor.text and editor.text.startswith("// mine")
        assert any(str(theirs) in n.message for n in app._notifications)  # the absolute path said
        assert str(editor.border_title) == "OpenQASM · theirs.qasm" and app.unsaved_edits is None
        await save_as("theirs.qasm")  # the file being edited: saved again without a question
        assert not isinstance(app.screen, ConfirmModal)

        editor.insert("// more\n", (0, 0))
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal) and "unsaved edits" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q", "y")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")


async def test_each_action_is_in_the_palette_once_with_all_its_keys() -> None:
    """Every entry of an action with two keys (x and del) once appeared twice."""
    from tests.helpers.pilot import FAST_POLLING, never_connects
    from tui.app import QrtApp

    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(100, 30)) as pilot:
        for area in ("f2", "f3", "f4", "f5", "f6"):
            await pilot.press(area)
            await pilot.pause()
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert len(titles) == len(set(titles)), titles
        await pilot.press("f4")
        await pilot.pause()
        delete = next(c for c in app.get_system_commands(app.screen) if c.title == "Jobs: Delete job")
        assert delete.help.endswith("(x, del)")


async def test_open_completes_paths_and_offers_the_recent_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input, OptionList

    from screens.widgets.qasm_editor import QasmEditor
    from tests.helpers.pilot import FAST_POLLING, never_connects, wait_for
    from tui.app import QrtApp
    from tui.circuits import ghz_qasm

    monkeypatch.chdir(tmp_path)
    (tmp_path / "circuits").mkdir()
    ghz = tmp_path / "circuits" / "ghz.qasm"
    ghz.write_text(ghz_qasm(3))
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "ctrl+o")
        await pilot.pause()
        box = app.screen.query_one("#path-input", Input)
        assert not app.screen.query("#recent-files")  # nothing opened yet
        box.value = "cir"
        await wait_for(pilot, lambda: box._suggestion == "circuits/", "the completion of cir")
        await pilot.press("tab")
        assert box.value == "circuits/"
        await pilot.press(*"g")
        await wait_for(pilot, lambda: box._suggestion == "circuits/ghz.qasm", "the completion of g")
        await pilot.press("tab", "enter")
        editor = app.screen.query_one(QasmEditor)
        await wait_for(pilot, lambda: editor.text == ghz.read_text(), "the opened file")

        await pilot.press("ctrl+n")  # another text, then Open again: the file is offered
        await pilot.pause()
        await pilot.press("enter")  # the first template
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        recent = app.screen.query_one("#recent-files", OptionList)
        assert [str(recent.get_option_at_index(i).prompt) for i in range(recent.option_count)] == [str(ghz)]
        await pilot.press("tab", "enter")  # to the list, and open its first
        await wait_for(pilot, lambda: editor.text == ghz.read_text(), "the recent file opened")
