"""`qrt backends`: the devices of the profile's service, least busy first."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import ExitCode, print_json, print_table

if TYPE_CHECKING:
    from tui.workspace import Workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("backends", parents=[common], help="list the backends",
                                 description="The backends of the profile's service, least busy first.")
    parser.set_defaults(handler=list_backends)


async def list_backends(workspace: Workspace, args: argparse.Namespace) -> int:
    backends = sorted(await workspace.backends(), key=lambda b: (b.status != "online", b.queue_length, b.name))
    if args.json:
        print_json([
            {"name": b.name, "status": b.status, "qubits": b.qubits, "queue_length": b.queue_length,
             "processor": b.processor, "two_q_error_median": b.two_q_error_median,
             "readout_error_median": b.readout_error_median, "clops": b.clops}
            for b in backends
        ])
        return ExitCode.OK
    print_table(
        [(b.name, b.status, b.qubits, b.queue_length, b.processor,
          "" if b.two_q_error_median is None else f"{b.two_q_error_median:.2e}") for b in backends],
        ["BACKEND", "STATUS", "QUBITS", "QUEUE", "PROCESSOR", "2Q ERROR"],
    )
    return ExitCode.OK
