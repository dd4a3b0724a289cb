"""Unit tests of the core's parsers and stores: no terminal, no server, no network.

What a user types (the submit dialog's fields, the jobs filter, the CLI's options), what
the config file says, how a CLI failure maps to an exit code, and the local service's
SQLite store on a real file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.api.errors import ApiError, Conflict, InvalidInput, NotFound, Unauthorized
from tui.api.models import Job, JobStatus
from tui.cli import build_parser
from tui.commands.output import CommandFailed, ExitCode, exit_code_for
from tui.job_filter import parse_job_filter
from tui.preferences import DEFAULT_POLL_SECONDS, load_preferences
from tui.server.store import JobQuery, JobRecord, Store, utc_now
from tui.submission import (
    SubmitFormError,
    parse_observables,
    parse_parameter_values,
    parse_precision,
    parse_shots,
)

# the submit dialog's fields ------------------------------------------------------------


def test_parameters_bind_in_the_order_shown_with_or_without_brackets_or_by_name() -> None:
    names = ("phi", "theta")
    assert parse_parameter_values("0.1, 0.2", 2, names) == [0.1, 0.2]
    assert parse_parameter_values("[0.1, 0.2]", 2, names) == [0.1, 0.2]
    assert parse_parameter_values("theta=0.2, phi=0.1", 2, names) == [[0.1, 0.2]]
    assert parse_parameter_values("[[0, 1], [2, 3]]", 2, names) == [[0, 1], [2, 3]]  # a sweep
    assert parse_parameter_values("", 0) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the circuit has 2 (phi, theta)"),
        ("0.1", "each binding needs 2 values in the order phi, theta, got 1"),
        ("0.1, true", "use numbers"),
        ("[0.1, ", "not a list of numbers"),
        ("theta=0.1", "no value for phi"),
        ("gamma=1, phi=0, theta=0", "no parameter 'gamma'"),
        ("phi=x, theta=0", "'x' for phi is not a number"),
    ],
)
def test_a_bad_parameter_field_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SubmitFormError, match="^Parameters: ") as caught:
        parse_parameter_values(text, 2, ("phi", "theta"))
    assert message in str(caught.value)


def test_shots_precision_and_observables_are_checked_against_their_limits() -> None:
    assert parse_shots("4_096") == 4096 and parse_shots("10,000") == 10000
    assert parse_shots("100000", max_shots=100000) == 100000
    with pytest.raises(SubmitFormError, match=r"between 1 and 100,000 \(the backend's max_shots\)"):
        parse_shots("100001", max_shots=100000)
    with pytest.raises(SubmitFormError, match="not a whole number"):
        parse_shots("1e3")
    assert parse_precision("") is None and parse_precision("0.015") == 0.015
    with pytest.raises(SubmitFormError, match="between 0 and 1"):
        parse_precision("1e-0")
    assert parse_observables("zz; xi", 2) == ("ZZ", "XI")
    with pytest.raises(SubmitFormError, match="'ZZZ' must be 2 letters"):
        parse_observables("ZZZ", 2)


# the jobs filter ---------------------------------------------------------------------


def _job(status: str, **fields: object) -> Job:
    document = {"id": "d4abc", "backend": "ibm_fez", "program": {"id": "sampler"}, "state": {"status": status}}
    return Job.from_api({**document, **fields})


def test_the_jobs_filter_narrows_by_prefix_and_free_words() -> None:
    running, failed = _job("Running", tags=["nightly-run"]), _job("Failed", session_id="s9")
    assert parse_job_filter("status:run").matches(running) and not parse_job_filter("status:run").matches(failed)
    assert parse_job_filter("status:active").matches(running) and not parse_job_filter("status:active").matches(failed)
    assert parse_job_filter("tag:night").matches(running) and not parse_job_filter("tag:night").matches(failed)
    assert parse_job_filter("FEZ session:s9").matches(failed)
    assert not parse_job_filter("fez brisbane").matches(failed)  # every word must appear
    assert parse_job_filter("colour:red").words == ("colour:red",)  # not a field: a word
    assert parse_job_filter("  ").is_empty


def test_job_statuses_parse_from_either_api_and_know_which_are_final() -> None:
    assert JobStatus.parse("COMPLETED") is JobStatus.COMPLETED  # the older API's spelling
    assert JobStatus.parse("DONE") is JobStatus.COMPLETED and JobStatus.parse("ERROR") is JobStatus.FAILED
    assert JobStatus.parse("cancelled - ran too long") is JobStatus.CANCELLED_RAN_TOO_LONG
    assert JobStatus.parse("sleeping") is JobStatus.UNKNOWN and JobStatus.parse(None) is JobStatus.UNKNOWN
    assert {s for s in JobStatus if not s.is_final} == {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UNKNOWN}


# the config file's [ui] table --------------------------------------------------------


def test_preferences_report_each_bad_value_and_keep_the_default(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\ntheme = "ansi-dark"\nanimations = "sometimes"\npoll_seconds = 0.1\n'
                      '[keys]\n"editor.submit" = "ctrl+r,f9"\n"bad" = 3\n')
    preferences = load_preferences(config)
    assert preferences.theme == "ansi-dark" and preferences.keys == {"editor.submit": "ctrl+r,f9"}
    assert preferences.animations == "auto" and preferences.poll_seconds == DEFAULT_POLL_SECONDS
    assert len(preferences.problems) == 2 and "animations" in preferences.problems[0]
    config.write_text("[ui\n")
    assert load_preferences(config).problems  # unreadable: said, never raised


# the command line's options and exit codes ---------------------------------------------


def test_the_jobs_command_parses_its_filters() -> None:
    args = build_parser().parse_args(["jobs", "--status", "failed", "--tag", "a", "--tag", "b", "--limit", "5", "--json"])
    assert (args.status, args.tag, args.limit, args.json) == ("failed", ["a", "b"], 5, True)
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["jobs", "--limit", "0"])
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("no such job"), ExitCode.NOT_FOUND),
        (Unauthorized("bad key"), ExitCode.NOT_AUTHORIZED),
        (InvalidInput("shots: too many"), ExitCode.BAD_INPUT),
        (Conflict("session closed"), ExitCode.BAD_INPUT),
        (ApiError("503 Service Unavailable"), ExitCode.UNREACHABLE),
        (CommandFailed("job d4 failed", ExitCode.JOB_FAILED), ExitCode.JOB_FAILED),
        (FileNotFoundError("bell.qasm"), ExitCode.BAD_INPUT),
    ],
)
def test_each_failure_has_its_exit_code(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error)[0] == code


def test_an_unexpected_error_is_not_swallowed_as_an_exit_code() -> None:
    with pytest.raises(KeyError):
        exit_code_for(KeyError("a bug"))


# the local service's store, on a real SQLite file --------------------------------------


def _record(job_id: str, *, backend: str = "ibm_fez", tags: list[str] | None = None) -> JobRecord:
    return JobRecord(job_id, "crn:test", backend, "sampler", "Queued", utc_now(), {"pubs": []}, tags=tags or [])


def test_the_store_filters_pages_and_counts_jobs(tmp_path: Path) -> None:
    store = Store(tmp_path / "jobs.sqlite3")
    try:
        for n in range(5):
            store.create_job(_record(f"j{n}", backend="ibm_fez" if n % 2 else "ibm_torino", tags=[f"t{n % 2}"]))
        store.cancel_job("j4")
        page, total = store.list_jobs(JobQuery("crn:test", limit=2))
        assert [job.id for job in page] == ["j4", "j3"] and total == 5
        assert store.list_jobs(JobQuery("crn:test", pending=True))[1] == 4
        assert [job.id for job in store.list_jobs(JobQuery("crn:test", tags=("t1",)))[0]] == ["j3", "j1"]
        listed = store.list_jobs(JobQuery("crn:test", backend="ibm_torino", with_params=False))[0]
        assert [job.id for job in listed] == ["j4", "j2", "j0"] and all(job.params == {} for job in listed)
        assert store.list_jobs(JobQuery("crn:other"))[1] == 0  # another instance's jobs are not seen
    finally:
        store.close()


def test_a_cancelled_job_cannot_be_finished_and_a_running_one_is_requeued_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = Store(path)
    store.create_job(_record("cancelled"))
    store.create_job(_record("interrupted", backend="ibm_torino"))
    assert store.mark_running("cancelled") and store.cancel_job("cancelled")
    assert not store.finish_job("cancelled", status="Completed", result="{}")  # the cancel stands
    assert store.mark_running("interrupted")
    store.close()
    reopened = Store(path)  # as after a crash: the same file, read again
    try:
        assert reopened.requeue_interrupted_jobs() == 1
        job = reopened.get_job("interrupted")
        assert job is not None and job.status == "Queued" and "queued again" in job.logs
        cancelled = reopened.get_job("cancelled")
        assert cancelled is not None and cancelled.status == "Cancelled"
    finally:
        reopened.close()


def test_result_bars_tell_small_probabilities_apart() -> None:
    """0.07 % and 0.68 % of shots once drew the same block beside a 50 % peak."""
    from screens.widgets.bars import bar

    assert bar(0.0007 / 0.5, 16) == "▏" and bar(0.0068 / 0.5, 16) == "▎"
    assert bar(1.0, 16) == "█" * 16 and bar(0.5, 3) == "█▌" and bar(0.0, 16) == ""


# the ideal distribution beside a Sampler job's counts ----------------------------------

IDEAL_HEADER = 'OPENQASM 3.0; include "stdgates.inc"; '


def test_the_ideal_is_exact_on_the_touched_qubits_of_a_device_wide_circuit() -> None:
    from tui.circuits import parse_qasm
    from tui.ideal import register_distributions

    # 130 qubits declared, 3 used, two registers, one clbit never measured
    circuit = parse_qasm(IDEAL_HEADER + "qubit[130] q; bit[3] c; bit[1] d; h q[5]; cx q[5], q[100]; "
                         "c[0] = measure q[5]; c[2] = measure q[100]; ry(0.7) q[7]; d[0] = measure q[7];")
    ideal = register_distributions(circuit)
    assert ideal["c"] == pytest.approx({0b000: 0.5, 0b101: 0.5})
    assert ideal["d"] == pytest.approx({0: 0.8824210936, 1: 0.1175789064})  # cos², sin² of 0.35


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("h q[0]; c[0] = measure q[0]; x q[0]; c[1] = measure q[0];", "mid-circuit"),
        ("h q[0]; reset q[0]; c[0] = measure q[0];", "resets"),
        ("h q[0]; c[0] = measure q[0]; if (c[0]) { x q[1]; } c[1] = measure q[1];", "classical control"),
    ],
)
def test_the_ideal_says_why_it_is_not_computed(body: str, reason: str) -> None:
    from tui.circuits import parse_qasm
    from tui.ideal import NoIdeal, register_distributions

    with pytest.raises(NoIdeal, match=reason):
        register_distributions(parse_qasm(IDEAL_HEADER + "qubit[2] q; bit[2] c; " + body))


def test_comparing_counts_with_the_ideal_binds_one_parameter_set_and_refuses_a_sweep() -> None:
    from qiskit.quantum_info import hellinger_fidelity

    from tui.ideal import compare
    from tui.results import counts_table

    source = IDEAL_HEADER + "input float theta; qubit[1] q; bit[1] c; rx(theta) q[0]; c[0] = measure q[0];"
    counts = [counts_table(0, "c", 1, [(0, 30), (1, 70)]), counts_table(1, "c", 1, [(0, 5), (1, 5)])]
    comparison = compare([[source, [3.14159265 * 2 / 3], 100], [source, [[0.1], [0.2]], 10]], counts)
    [register] = comparison.registers
    assert register.ideal == pytest.approx({0: 0.25, 1: 0.75})  # cos²(π/3), sin²(π/3)
    assert register.total_variation_distance == pytest.approx(0.05)
    assert register.hellinger_fidelity == pytest.approx(hellinger_fidelity({"0": 0.25, "1": 0.75}, {"0": 30, "1": 70}))
    assert comparison.not_computed == ("pub 1: a parameter sweep (the ideal is computed for one binding)",)


def test_the_ideal_is_not_computed_beyond_its_width() -> None:
    from tui.circuits import parse_qasm
    from tui.ideal import MAX_IDEAL_QUBITS, NoIdeal, register_distributions

    width = MAX_IDEAL_QUBITS + 1
    gates = " ".join(f"h q[{i}];" for i in range(width))
    with pytest.raises(NoIdeal, match=f"uses {width} qubits"):
        register_distributions(parse_qasm(IDEAL_HEADER + f"qubit[{width}] q; bit[{width}] c; {gates} c = measure q;"))


def test_jobs_sort_stably_and_reverse_wholly() -> None:
    from tui.job_filter import JOB_ORDERS, sort_jobs

    jobs = [_job("Completed", id="a", backend="ibm_fez"), _job("Running", id="b", backend="ibm_torino"),
            _job("Queued", id="c", backend="ibm_fez", session_id="s1")]
    assert [j.id for j in sort_jobs(jobs, "status")] == ["b", "c", "a"]
    assert [j.id for j in sort_jobs(jobs, "backend")] == ["a", "c", "b"]  # equal keys stay newest first
    assert [j.id for j in sort_jobs(jobs, "newest", reverse=True)] == ["c", "b", "a"]  # oldest first
    assert [j.id for j in sort_jobs(jobs, "session")] == ["c", "a", "b"]  # jobs in sessions first
    assert set(JOB_ORDERS) >= {"newest", "status", "backend", "program", "created", "usage"}


# the user's files ------------------------------------------------------------------------


def test_paths_complete_directories_first_then_circuits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.user_files import complete_path

    (tmp_path / "circuits").mkdir()
    (tmp_path / "circuits" / "bell.qasm").write_text("")
    (tmp_path / "circuits" / "bell.txt").write_text("")
    (tmp_path / "circuit-notes.md").write_text("")
    (tmp_path / ".hidden").write_text("")
    monkeypatch.chdir(tmp_path)
    assert complete_path("circ") == "circuits/"  # a directory before a file
    assert complete_path("circuits/be") == "circuits/bell.qasm"  # OpenQASM before the rest
    assert complete_path(f"{tmp_path}/circuits/bell.t") == f"{tmp_path}/circuits/bell.txt"
    assert complete_path("") is None and complete_path("nothing-here") is None
    assert complete_path("circuits/bell.qasm") is None  # complete already
    assert complete_path(".h") == ".hidden" and complete_path("h") is None  # hidden only when asked


def test_recent_files_are_newest_first_without_repeats_or_missing_ones(tmp_path: Path) -> None:
    from tui.recent_files import MAX_RECENT, recent_files, remember_file

    store = tmp_path / "state" / "recent-files.json"
    files = [tmp_path / f"c{n}.qasm" for n in range(MAX_RECENT + 2)]
    for file in files:
        file.write_text("")
        remember_file(file, store)
    remember_file(files[3], store)
    recent = recent_files(store)
    assert recent[0] == files[3] and len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT
    files[-1].unlink()
    assert files[-1] not in recent_files(store)
    store.write_text("{not json")
    assert recent_files(store) == []  # a damaged list is an empty one, never an error


def test_writing_a_users_file_keeps_its_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    from tui.user_files import write_text

    target = tmp_path / "real.qasm"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.qasm"
    link.symlink_to(target)
    write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.qasm", "real.qasm"]  # no scratch file left


def test_a_transpiler_result_is_read_from_its_qpy_when_it_has_no_qasm() -> None:
    import base64

    from qiskit import qasm3

    from tui.api.errors import TranspileFailed
    from tui.api.transpiler import TranspileOutcome
    from tui.circuits import BELL_QASM, qpy_of

    circuit = qasm3.loads(BELL_QASM)
    qpy = base64.b64encode(qpy_of(circuit)).decode()
    layout = {"initial": [3, 4], "final": [3, 4]}
    (read,) = TranspileOutcome.from_api({"result": [{"qasm": None, "qpy": qpy, "layout": layout}]}).circuits
    assert read.qasm == qasm3.dumps(circuit) and read.final_layout == (3, 4)
    with pytest.raises(TranspileFailed, match="cannot be read as QPY"):
        TranspileOutcome.from_api({"result": [{"qpy": base64.b64encode(b"QISKIT" + bytes(30)).decode()}]})


@pytest.mark.parametrize(("zne", "phrase"), [
    ({"amplifier": "pea"}, "layer noise learning is not simulated"),
    ({"noise_factors": [0.5, 1, 3]}, "noise_factors"),
    ({"noise_factors": [1, 3], "extrapolator": "double_exponential"}, "needs at least 4 noise factors"),
    ({"extrapolator": "cubic"}, "unknown extrapolator 'cubic'"),
])
def test_zne_options_ibm_would_refuse_are_refused(zne: dict[str, object], phrase: str) -> None:
    from tui.server.options import OptionError
    from tui.server.zne import zne_plan

    with pytest.raises(OptionError, match=phrase):
        zne_plan({"resilience_level": 2}, {"resilience": {"zne": zne}})


def test_zne_defaults_and_folding() -> None:
    from qiskit import QuantumCircuit

    from tui.server.zne import folded, zne_plan

    assert zne_plan({"resilience_level": 1}, {}) is None
    plan = zne_plan({"resilience_level": 2}, {})
    assert plan is not None and plan.noise_factors == (1, 3, 5) and plan.extrapolators == ("exponential", "linear")
    assert plan.evaluation_points == (0, 1, 3, 5)
    circuit = QuantumCircuit(2)
    for _ in range(4):
        circuit.cz(0, 1)
        circuit.sx(0)
    assert folded(circuit, 3, "gate_folding", 1).count_ops()["cz"] == 12
    assert folded(circuit, 3, "gate_folding", 1).count_ops()["sx"] == 4  # one-qubit gates not folded
    front = folded(circuit, 2, "gate_folding_front", 1)  # half a fold each: two of the four get one
    assert front.count_ops()["cz"] == 8
    assert [i.operation.name for i in front.data[:5]] == ["cz", "barrier", "cz", "barrier", "cz"]


def test_extrapolators_recover_what_they_model() -> None:
    import numpy as np

    from tui.server.zne import extrapolate

    factors, points = np.array([1.0, 3.0, 5.0]), np.array([0.0, 2.0])
    stds = np.full(3, 0.01)
    line = extrapolate("linear", factors, 0.9 - 0.05 * factors, stds, points)
    decay = extrapolate("exponential", factors, 0.95 * np.exp(-0.1 * factors), stds, points)
    assert line is not None and np.allclose(line[0], [0.9, 0.8])
    assert decay is not None and np.allclose(decay[0], 0.95 * np.exp(-0.1 * points), atol=1e-4)
    assert line[1][0] > stds[0]  # extrapolating beyond the data widens the error


def test_the_workloads_filter_line_becomes_the_services_query() -> None:
    from tui.workload_filter import WorkloadFilter, WorkloadFilterError, parse_workload_filter

    assert parse_workload_filter("mode:bat status:running status:fail backend:ibm_fez bell run") == WorkloadFilter(
        "batch", ("in_progress", "failed"), "ibm_fez", "bell run")
    assert parse_workload_filter("status:cancelled") == WorkloadFilter(statuses=("canceled",))
    assert parse_workload_filter("") == WorkloadFilter()
    with pytest.raises(WorkloadFilterError, match="status:c names more than one"):
        parse_workload_filter("status:c")  # completed or canceled
    with pytest.raises(WorkloadFilterError, match="mode:queue names no mode"):
        parse_workload_filter("mode:queue")
