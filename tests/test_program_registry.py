"""A program is one descriptor on each side: added by adding its entry, nothing else."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceInfo, start_service, stop_service

ECHO_PROGRAM = '''
"""A program that answers with its own params: the smallest program there is."""

import json

from tui.server.job_worker import JobOutcome
from tui.server.programs.base import Program, ProgramInputError


def check_request(params):
    if "say" not in params:
        raise ProgramInputError("params.say is required")


def check_circuits(params, device, memory_mib):
    if not isinstance(params["say"], str):
        raise ProgramInputError("params.say must be a string")


def run(spec):
    return JobOutcome("Completed", json.dumps({"said": spec.params["say"], "on": spec.backend_name}))


PROGRAM = Program(name="echo", summary="says what it was given", check_request=check_request,
                  check_circuits=check_circuits, run=run, input_field="params.say")
'''


def test_a_new_service_program_is_one_module(tmp_path: Path) -> None:
    """The module alone, installed beside qrt (on the service's PYTHONPATH, named by an
    entry point): the routes, the parser process, the scheduler and the workers all run
    it, with its own checks."""
    plugin = tmp_path / "plugin"
    (plugin / "qrt_echo-0.1.dist-info").mkdir(parents=True)
    (plugin / "qrt_echo.py").write_text(textwrap.dedent(ECHO_PROGRAM))
    (plugin / "qrt_echo-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: qrt-echo\nVersion: 0.1\n")
    (plugin / "qrt_echo-0.1.dist-info" / "entry_points.txt").write_text("[qrt.programs]\necho = qrt_echo:PROGRAM\n")
    service: ServiceInfo = start_service(tmp_path / "data", "e" * 32, env={"PYTHONPATH": str(tmp_path / "plugin")})
    try:
        def submit(params: object) -> httpx.Response:
            body = {"program_id": "echo", "backend": "ibm_fez", "params": params}
            return httpx.post(f"{service.url}/api/v1/jobs", headers=service.headers(), json=body, timeout=30)

        assert submit({}).json()["errors"][0]["message"] == "params.say is required"
        assert submit({"say": 3}).json()["errors"][0]["message"] == "params.say must be a string"
        job_id = submit({"say": "hello"}).json()["id"]
        deadline = time.monotonic() + 60
        while httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=service.headers()).json()["status"] != "Completed":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        result = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/results", headers=service.headers()).json()
        assert result == {"said": "hello", "on": "ibm_fez"}
    finally:
        stop_service(service)


def test_the_apps_programs_come_from_their_descriptors() -> None:
    """The submit dialog's list, the program each way submits and the reader of each
    program's results all come from `tui.programs`."""
    from tui.programs import PROGRAMS, client_program, submit_way, submit_ways

    assert [way.key for way in submit_ways()] == [
        "sampler", "estimator", "executor-sampler", "executor-estimator"]
    assert {submit_way(key).program_id for key in ("executor-sampler", "executor-estimator")} == {"executor"}
    assert submit_way("retired-way") is submit_way("sampler")  # an old remembered request
    for program in PROGRAMS:
        assert client_program(program.program_id) is program
        assert all(way.program_id == program.program_id for way in program.ways)


async def test_a_new_app_program_is_one_descriptor(monkeypatch: pytest.MonkeyPatch) -> None:
    """One `ClientProgram` more in `tui.programs.PROGRAMS`: the submit dialog lists its way
    (with its fields and note) and a finished job of it is read by its own reader."""
    from textual.app import App
    from textual.widgets import Select, Static

    from screens.widgets.submit_modal import SubmitModal
    from tui import programs

    def echo_params(request: object, transpiled: object) -> dict[str, object]:
        return {"say": "hello"}

    def read_echo(body: object, params: object, labels: object) -> programs.ProgramResults:
        return programs.ProgramResults(counts=[], values=[])

    echo = programs.ClientProgram("echo", (
        programs.SubmitWay("echo", "Echo", "echo", "counts", echo_params, "the echo program"),
    ), read_echo)
    monkeypatch.setattr(programs, "PROGRAMS", (*programs.PROGRAMS, echo))

    app: App[None] = App()
    async with app.run_test() as pilot:
        app.push_screen(SubmitModal("ibm_fez", 2, 0, open_sessions=[]))
        await pilot.pause()
        select = app.screen.query_one("#submit-program", Select)
        select.value = "echo"
        await pilot.pause()
        assert "the echo program" in str(app.screen.query_one("#submit-program-note", Static).render())
        # Its fields, a counts program's: shots shown, observables hidden.
        assert app.screen.query_one("#submit-shots").parent.display  # type: ignore[union-attr]
        assert not app.screen.query_one("#submit-observables").parent.display  # type: ignore[union-attr]
    assert programs.submit_way("echo").build_params(None, None) == {"say": "hello"}  # type: ignore[arg-type]
    assert programs.read_results("echo", {"anything": 1}) == programs.ProgramResults()
