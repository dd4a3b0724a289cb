"""`qrt submit` and `qrt transpile`: a QASM file to an ISA circuit, and to a job.

`submit` transpiles for the backend first, as the editor's Ctrl+R does (`--no-transpile`
sends the file as it is), then submits through the same use case as the app's dialog,
with the same checks of shots, observables and parameters.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.output import ExitCode, print_json, progress

if TYPE_CHECKING:
    from tui.circuits import TranspiledCircuit, TranspileSettings
    from tui.workspace import Workspace

MAX_SOURCE_BYTES = 16 * 1024 * 1024


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    from tui.programs import submit_ways

    transpiling = argparse.ArgumentParser(add_help=False)
    transpiling.add_argument("file", type=Path, metavar="FILE.qasm", help="OpenQASM 3 or 2")
    transpiling.add_argument("--backend", required=True, help="the backend to run on")
    transpiling.add_argument("--optimization-level", type=int, choices=[0, 1, 2, 3], default=2,
                             help="qiskit's optimization level (default 2)")
    transpiling.add_argument("--transpiler-service", action="store_true",
                             help="transpile on the profile's transpiler service instead of here")

    transpile = commands.add_parser("transpile", parents=[common, transpiling],
                                    help="print the ISA circuit of FILE for a backend")
    transpile.set_defaults(handler=transpile_file)

    submit = commands.add_parser("submit", parents=[common, transpiling], help="submit FILE as a job")
    submit.add_argument("--program", choices=[way.key for way in submit_ways()], default=None,
                        help="how to run it (default: sampler, or estimator with --observables)")
    what = submit.add_mutually_exclusive_group()
    what.add_argument("--shots", type=str, default="4096", help="shots of the Sampler (default 4096)")
    what.add_argument("--observables", default=None,
                      help="Pauli strings for the Estimator, e.g. 'ZZ,XX' (rightmost letter is qubit 0)")
    submit.add_argument("--precision", default="", help="the Estimator's target precision (e.g. 0.015)")
    submit.add_argument("--parameters", default="", help="values of the circuit's parameters: '0.1, 0.2', "
                        "'theta=0.1', or a JSON list of lists for a sweep")
    submit.add_argument("--twirling", action="store_true", help="twirl gates and measurements")
    submit.add_argument("--dynamical-decoupling", action="store_true", help="XpXm decoupling (classic programs)")
    where = submit.add_mutually_exclusive_group()
    where.add_argument("--session", metavar="ID", default=None, help="join this open session or batch")
    where.add_argument("--new-session", action="store_true", help="open a dedicated session for it")
    where.add_argument("--batch", action="store_true", help="open a batch for it")
    submit.add_argument("--tag", action="append", default=[], help="a tag for the job (repeatable)")
    submit.add_argument("--no-transpile", action="store_true", help="send FILE as it is (already ISA)")
    submit.add_argument("--wait", action="store_true", help="wait until the job ends (exit 1 if it fails)")
    submit.set_defaults(handler=submit_file, mentions_embedded=True)


def read_source(path: Path) -> str:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise ValueError(f"{path}: larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB")
    return path.read_text()


def _settings(args: argparse.Namespace) -> TranspileSettings:
    from tui.circuits import TranspileSettings

    settings = TranspileSettings(
        where="service" if args.transpiler_service else "local", optimization_level=args.optimization_level
    )
    problem = settings.problem()
    if problem:
        raise ValueError(problem)
    return settings


def as_it_is(source: str, backend: str) -> TranspiledCircuit:
    """The file as the service will read it, qubit i on device qubit i."""
    from tui.circuits import TranspiledCircuit, check_qasm

    summary = check_qasm(source)
    return TranspiledCircuit(
        backend, source, summary, tuple(range(summary.num_qubits)), width=summary.num_qubits,
        without_measurements=True,  # taken as given: never transpiled again for the Estimator
    )


async def transpile_file(workspace: Workspace, args: argparse.Namespace) -> int:
    source = read_source(args.file)
    progress(f"qrt: transpiling {args.file} for {args.backend}…")
    transpiled = await workspace.transpile(source, args.backend, _settings(args))
    if args.json:
        print_json({
            "backend": transpiled.backend, "qasm": transpiled.qasm, "physical_qubits": list(transpiled.physical_qubits),
            "depth": transpiled.summary.depth, "operations": dict(transpiled.summary.operations),
        })
    else:
        print(transpiled.qasm.rstrip())
    return ExitCode.OK


async def submit_file(workspace: Workspace, args: argparse.Namespace) -> int:
    from tui.commands.jobs import job_json, report_change
    from tui.programs import submit_way
    from tui.submission import (
        SubmitRequest,
        parse_observables,
        parse_parameter_values,
        parse_precision,
        parse_shots,
    )

    source = read_source(args.file)
    way = submit_way(args.program or ("estimator" if args.observables else "sampler"))
    if args.program and way.measures_observables != bool(args.observables):
        raise ValueError(f"--program {way.key} " + ("needs --observables" if way.measures_observables
                                                     else "takes --shots, not --observables"))
    if args.dynamical_decoupling and not way.offers_decoupling:
        raise ValueError(f"--dynamical-decoupling is not available with --program {way.key}")
    if args.no_transpile:
        transpiled = as_it_is(source, args.backend)
    else:
        progress(f"qrt: transpiling {args.file} for {args.backend}…")
        transpiled = await workspace.transpile(source, args.backend, _settings(args))
    summary = transpiled.summary
    request = SubmitRequest(
        way=way.key,
        shots=parse_shots(args.shots, workspace.max_shots(args.backend)) if not way.measures_observables else 4096,
        precision=parse_precision(args.precision) if way.measures_observables else None,
        parameter_values=parse_parameter_values(args.parameters, summary.num_parameters, summary.parameter_names),
        observables=parse_observables(args.observables, len(transpiled.physical_qubits)) if args.observables else (),
        twirling=args.twirling,
        dynamical_decoupling=args.dynamical_decoupling,
        mode="session" if args.new_session else "batch" if args.batch else "job",
        session_id=args.session,
    )
    submitted = await workspace.submit(source, transpiled, request, tags=args.tag)
    progress(f"qrt: submitted {submitted.job_id} to {submitted.backend}: {submitted.what}")
    if not args.wait:
        if workspace.connection.local_service is not None:
            progress("qrt: the embedded service stops with this command; the job runs when qrt next runs "
                     f"(`qrt wait {submitted.job_id}`, or the app)")
        job = await workspace.job(submitted.job_id)
        print_json(job_json(job)) if args.json else print(submitted.job_id)
        return ExitCode.OK

    [job] = await workspace.wait([submitted.job_id], report_change)
    if args.json:
        print_json(job_json(job))
    else:
        print(submitted.job_id)
    if not job.status.succeeded:
        progress(f"qrt: {job.id} {str(job.status).lower()}: {job.reason or 'no reason given'}")
        return ExitCode.JOB_FAILED
    return ExitCode.OK
