"""`qrt backends`: the devices of the profile's service, least busy first; `qrt usage`: the
instance's quantum time this period."""

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
    usage = commands.add_parser("usage", parents=[common], help="the instance's usage this period",
                                description="Quantum seconds used this period, of the instance's limit if it has one.")
    usage.set_defaults(handler=show_usage)


async def show_usage(workspace: Workspace, args: argparse.Namespace) -> int:
    usage = await workspace.usage()
    if args.json:
        print_json({
            "instance": usage.instance, "plan": usage.plan, "consumed_seconds": usage.consumed_seconds,
            "limit_seconds": usage.limit_seconds, "limit_reached": usage.limit_reached,
            "period_end": usage.period_end.isoformat() if usage.period_end else None,
        })
    else:
        print(usage.describe())
    return ExitCode.OK


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
