"""The API key typed on the login screen never reaches Textual's log (TEXTUAL_LOG)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import constants
from textual.widgets import Input

from tests.helpers.pilot import FAST_POLLING, SIZE, never_connects
from tui.app import QrtApp, keep_secrets_out_of_textual_log


async def test_the_typed_and_pasted_key_never_reaches_textual_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_file = tmp_path / "textual.log"
    monkeypatch.setattr(constants, "LOG_FILE", str(log_file))
    monkeypatch.setenv("QRT_CONFIG", str(tmp_path / "config.toml"))
    keep_secrets_out_of_textual_log()
    secret = "Zq7xK2wPnotInAnyLog"
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6", "n")
        await pilot.press(*"lab")  # the profile name: not a secret, logged as Textual does
        token_box = app.screen.query_one("#profile-token", Input)
        token_box.focus()
        await pilot.press(*secret[:10])
        from textual import events

        app.screen.query_one("#profile-token", Input).post_message(events.Paste(secret[10:]))
        await pilot.pause(0.2)
        assert token_box.value == secret
    text = log_file.read_text()
    assert "Input.Changed" in text or "Changed" in text  # the log was written
    assert "not logged" in text
    for start in range(0, len(secret) - 3):
        assert secret[start:start + 4] not in text, f"part of the key is in the log: {secret[start:start + 4]}"
    assert "character='Z'" not in text and "character='q'" not in text
