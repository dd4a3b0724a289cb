"""`qrt sessions` and `qrt session open|close|cancel`: sessions and batches from a shell."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tui.commands.output import ExitCode, print_json, print_table

if TYPE_CHECKING:
    from tui.api.models import Session
    from tui.workspace import Workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    listing = commands.add_parser("sessions", parents=[common], help="the sessions and batches of recent jobs")
    listing.set_defaults(handler=list_sessions)

    session = commands.add_parser("session", help="open, close or cancel a session or batch")
    actions = session.add_subparsers(dest="session_action", required=True)
    opening = actions.add_parser("open", parents=[common], help="open a dedicated session (or --batch)")
    opening.add_argument("--backend", required=True)
    opening.add_argument("--batch", action="store_true", help="a batch instead of a dedicated session")
    opening.set_defaults(handler=open_session)
    closing = actions.add_parser("close", parents=[common], help="stop it taking jobs; queued ones still run")
    closing.add_argument("session_id", metavar="ID")
    closing.set_defaults(handler=close_session)
    cancelling = actions.add_parser("cancel", parents=[common], help="stop it now; queued jobs never run")
    cancelling.add_argument("session_id", metavar="ID")
    cancelling.set_defaults(handler=cancel_session)


def session_json(session: Session) -> dict[str, Any]:
    return {
        "id": session.id, "mode": session.mode, "state": session.state, "backend": session.backend or None,
        "accepting_jobs": session.accepting_jobs, "max_ttl": session.max_ttl,
        "interactive_ttl": session.interactive_ttl,
        "started_at": session.started_at.isoformat() if session.started_at else None,
        "closed_at": session.closed_at.isoformat() if session.closed_at else None,
        "elapsed_seconds": session.elapsed_seconds,
    }


async def list_sessions(workspace: Workspace, args: argparse.Namespace) -> int:
    sessions = await workspace.sessions()
    if args.json:
        print_json([session_json(session) for session in sessions])
        return ExitCode.OK
    print_table(
        [(s.id, s.mode, s.state, s.backend, "yes" if s.accepting_jobs else "no") for s in sessions],
        ["SESSION", "MODE", "STATE", "BACKEND", "ACCEPTING"],
    )
    return ExitCode.OK


async def open_session(workspace: Workspace, args: argparse.Namespace) -> int:
    session = await workspace.open_session(args.backend, "batch" if args.batch else "dedicated")
    print_json(session_json(session)) if args.json else print(session.id)
    return ExitCode.OK


async def close_session(workspace: Workspace, args: argparse.Namespace) -> int:
    await workspace.close_session(args.session_id)
    return _said(args, "closed (no new jobs; queued ones still run)")


async def cancel_session(workspace: Workspace, args: argparse.Namespace) -> int:
    await workspace.cancel_session(args.session_id)
    return _said(args, "cancelled (queued jobs will not run)")


def _said(args: argparse.Namespace, what: str) -> int:
    if args.json:
        print_json({"id": args.session_id, "done": True})
    else:
        print(f"session {args.session_id} {what}")
    return ExitCode.OK
