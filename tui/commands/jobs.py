"""`qrt jobs`, `qrt job`, `qrt wait`, `qrt results`, `qrt cancel`: jobs from a shell."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui.commands.output import CommandFailed, ExitCode, print_json, print_table, progress

if TYPE_CHECKING:
    from tui.api.models import Job
    from tui.workspace import Workspace

MAX_PAGES = 20  # a status filter reads at most this many pages of 100 looking for matches
# `JobStatus` member names, lower-case (spelled out: the parser is built before any import).
STATUS_NAMES = ("queued", "running", "completed", "failed", "cancelled", "cancelled_ran_too_long")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    listing = commands.add_parser("jobs", parents=[common], help="list jobs, newest first")
    listing.add_argument("--status", choices=STATUS_NAMES, help="only jobs in this state")
    listing.add_argument("--backend", help="only jobs on this backend")
    listing.add_argument("--session", help="only jobs of this session or batch")
    listing.add_argument("--program", help="only jobs of this program (sampler, estimator, executor)")
    listing.add_argument("--tag", action="append", default=[], help="only jobs with this tag (repeatable)")
    listing.add_argument("--limit", type=_positive, default=20, help="at most this many (default 20)")
    listing.set_defaults(handler=list_jobs)

    one = commands.add_parser("job", parents=[common], help="one job's state")
    one.add_argument("job_id", metavar="ID")
    one.set_defaults(handler=show_job)

    wait = commands.add_parser("wait", parents=[common], help="wait until jobs end (Ctrl+C stops waiting, not the jobs)")
    wait.add_argument("job_ids", metavar="ID", nargs="+")
    wait.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds (exit 6)")
    wait.set_defaults(handler=wait_for_jobs, mentions_embedded=True)

    results = commands.add_parser("results", parents=[common], help="a completed job's counts or values")
    results.add_argument("job_id", metavar="ID")
    results.add_argument("--format", choices=["table", "csv", "json"], default=None,
                         help="table (default), csv or json (as --json)")
    results.set_defaults(handler=show_results)

    tag = commands.add_parser("tag", parents=[common], help="replace a job's tags (none given: remove them)")
    tag.add_argument("job_id", metavar="ID")
    tag.add_argument("tags", metavar="TAG", nargs="*")
    tag.set_defaults(handler=tag_job)

    cancel = commands.add_parser("cancel", parents=[common], help="cancel queued or running jobs")
    cancel.add_argument("job_ids", metavar="ID", nargs="+")
    cancel.set_defaults(handler=cancel_jobs)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "status": str(job.status), "backend": job.backend, "program": job.program,
        "created": job.created.isoformat() if job.created else None, "session_id": job.session_id,
        "reason": job.reason or None, "tags": list(job.user_tags), "usage_seconds": job.usage_seconds,
    }


def _job_row(job: Job) -> tuple[Any, ...]:
    created = f"{job.created.astimezone():%Y-%m-%d %H:%M:%S}" if job.created else ""
    return job.id, str(job.status), job.backend, job.program, created, job.session_id or ""


JOB_HEADERS = ["JOB", "STATUS", "BACKEND", "PROGRAM", "CREATED", "SESSION"]


async def list_jobs(workspace: Workspace, args: argparse.Namespace) -> int:
    from tui.api.models import JobStatus

    wanted = JobStatus[args.status.upper()] if args.status else None
    filters: dict[str, Any] = {"backend": args.backend, "session_id": args.session, "program": args.program,
                               "tags": args.tag}
    if wanted is not None:
        filters["pending"] = not wanted.is_final
    found: list[Job] = []
    offset = 0
    page_size = args.limit if wanted is None else 100
    for _ in range(MAX_PAGES):
        page = await workspace.jobs(limit=page_size, offset=offset, **filters)
        found += [job for job in page.jobs if wanted is None or job.status is wanted]
        offset += len(page.jobs)
        if len(found) >= args.limit or not page.jobs or offset >= page.count or wanted is None:
            break
    found = found[:args.limit]
    if args.json:
        print_json([job_json(job) for job in found])
    else:
        print_table([_job_row(job) for job in found], JOB_HEADERS)
    return ExitCode.OK


async def show_job(workspace: Workspace, args: argparse.Namespace) -> int:
    job = await workspace.job(args.job_id)
    if args.json:
        print_json(job_json(job))
    else:
        rows = [("Job", job.id), ("Status", str(job.status)), ("Backend", job.backend), ("Program", job.program),
                ("Created", job.created.astimezone().isoformat(timespec="seconds") if job.created else ""),
                ("Session", job.session_id or "—"), ("Tags", ", ".join(job.user_tags) or "—")]
        if job.reason:
            rows.append(("Reason", job.reason))
        if job.usage_seconds is not None:
            rows.append(("Usage", f"{job.usage_seconds:g} s"))
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name.ljust(width)}  {value}")
    return ExitCode.OK if not job.is_final or job.status.succeeded else ExitCode.JOB_FAILED


def report_change(job: Job) -> None:
    """A waited-for job's new status, on stderr."""
    reason = f" ({job.reason})" if job.is_final and job.reason else ""
    progress(f"qrt: {job.id} {str(job.status).lower()}{reason}")


async def wait_for_jobs(workspace: Workspace, args: argparse.Namespace) -> int:
    try:
        jobs = await workspace.wait(args.job_ids, report_change, timeout=args.timeout)
    except TimeoutError as exc:
        raise CommandFailed(str(exc), ExitCode.NOT_FINISHED) from None
    if args.json:
        print_json([job_json(job) for job in jobs])
    else:
        print_table([_job_row(job) for job in jobs], JOB_HEADERS)
    return ExitCode.OK if all(job.status.succeeded for job in jobs) else ExitCode.JOB_FAILED


async def show_results(workspace: Workspace, args: argparse.Namespace) -> int:
    read = await workspace.results(args.job_id)
    job = read.job
    if not job.is_final:
        raise CommandFailed(f"job {job.id} is {str(job.status).lower()}; `qrt wait {job.id}` first",
                            ExitCode.NOT_FINISHED)
    if read.results is None:
        raise CommandFailed(f"job {job.id} {str(job.status).lower()}: {read.failure or 'no results'}",
                            ExitCode.JOB_FAILED)
    output = "json" if args.json else (args.format or "table")
    if output != "table":
        sys.stdout.write(read.results.export(output == "json") or "")
        if output == "json":
            sys.stdout.write("\n")
        return ExitCode.OK
    if read.results.values:
        print_table(
            [(pub.pub_index, " ".join(map(str, index)) or "()", pub.labels[position] if pub.labels else "",
              f"{value:.6g}", f"{std:.3g}")
             for pub in read.results.values
             for position, (index, value, std) in enumerate(zip(pub.indices(), pub.values, pub.stds))],
            ["PUB", "INDEX", "OBSERVABLE", "VALUE", "STD"],
        )
    else:
        print_table(
            [(table.pub_index, table.register, row.bitstring, row.count, f"{row.probability:.4f}")
             for table in read.results.counts for row in table.rows],
            ["PUB", "REGISTER", "OUTCOME", "COUNT", "PROBABILITY"],
        )
    return ExitCode.OK


async def tag_job(workspace: Workspace, args: argparse.Namespace) -> int:
    job = await workspace.set_tags(args.job_id, args.tags)
    if args.json:
        print_json(job_json(job))
    else:
        print(f"{job.id}: {', '.join(job.user_tags) or 'no tags'}")
    return ExitCode.OK


async def cancel_jobs(workspace: Workspace, args: argparse.Namespace) -> int:
    from tui.commands.output import exit_code_for

    worst = ExitCode.OK
    outcomes = []
    for job_id in args.job_ids:
        try:
            await workspace.cancel(job_id)
        except Exception as error:  # noqa: BLE001 - each job is reported, the rest still cancelled
            code, message = exit_code_for(error)
            progress(f"qrt: {job_id}: {message}")
            worst = max(worst, code)
            outcomes.append({"id": job_id, "cancelled": False, "error": message})
            continue
        outcomes.append({"id": job_id, "cancelled": True, "error": None})
        if not args.json:
            print(f"cancelled {job_id}")
    if args.json:
        print_json(outcomes)
    return worst
