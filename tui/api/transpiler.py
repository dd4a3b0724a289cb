"""The transpiler service (reference §4): OpenQASM in, ISA OpenQASM 3 and layouts out.

A task is created with `POST /transpile` and polled with `GET /transpile/{task_id}` until
it reaches SUCCESS or FAILURE; any other state means "keep polling", as the official
client treats the states it does not know. The service takes the API key itself as the
bearer token, not an IAM token. Creating a task is retried like a read: a duplicate task
costs the service a little work and the caller nothing.
"""

from __future__ import annotations

import asyncio
import binascii
import time
from base64 import b64decode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tui.api.auth import Authenticator
from tui.api.errors import TranspileFailed, Unavailable
from tui.api.retrying import RetryPolicy, send_with_retries
from tui.circuits import qasm_from_qpy

FINAL_STATES = frozenset({"SUCCESS", "FAILURE"})


@dataclass(frozen=True)
class ServiceTranspiled:
    """One circuit as the service returned it."""

    qasm: str
    initial_layout: tuple[int, ...]  # physical qubit of each virtual qubit before routing
    final_layout: tuple[int, ...]  # where each virtual qubit ends up, after routing


@dataclass(frozen=True)
class TranspileOutcome:
    circuits: tuple[ServiceTranspiled, ...]
    ai_note: str  # what the service says it did about AI passes ("" if it says nothing)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> TranspileOutcome:
        circuits = []
        for item in body.get("result") or []:
            layout = item.get("layout") or {}
            initial = tuple(int(q) for q in layout.get("initial") or ())
            final = tuple(int(q) for q in layout.get("final") or ()) or initial
            circuits.append(ServiceTranspiled(_qasm_of(item), initial, final))
        return cls(tuple(circuits), _ai_note(body.get("ai")))


def _qasm_of(item: dict[str, Any]) -> str:
    """A result's circuit as OpenQASM 3: its `qasm`, else its `qpy` (either may be sent)."""
    if item.get("qasm"):
        return str(item["qasm"])
    if item.get("qpy"):
        try:
            return qasm_from_qpy(b64decode(str(item["qpy"])))
        except (ValueError, binascii.Error) as exc:
            raise TranspileFailed(f"The transpiler service's circuit {exc}") from None
    raise TranspileFailed("The transpiler service answered a circuit with neither qasm nor qpy.")


def _ai_note(ai: Any) -> str:
    if not isinstance(ai, dict):
        return ""
    if ai.get("applied"):
        return "AI passes applied"
    return str(ai.get("reason") or "AI passes not applied")


class TranspilerService:
    """A client of one transpiler service, sharing its owner's AsyncClient and retries."""

    def __init__(
        self,
        base_url: str,
        authenticator: Authenticator,
        http: httpx.AsyncClient,
        retry: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = authenticator
        self._http = http
        self._retry = retry
        self._clock = clock

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await send_with_retries(
            self._http, self._auth, self._retry, method, f"{self.base_url}{path}", **kwargs
        )
        return response.json()

    async def create_task(
        self,
        qasm_circuits: Sequence[str],
        backend: str,
        optimization_level: int,
        *,
        transpile_options: dict[str, Any] | None = None,
    ) -> str:
        """Start transpiling; the task id. Levels are 1..3 (the service has no level 0).

        AI passes are asked off (`ai=false`): qrt shows and submits what qiskit's own
        preset passes made, the same as a local transpile would.
        """
        body = await self._json(
            "POST",
            "/transpile",
            params={"backend": backend, "optimization_level": optimization_level, "ai": "false"},
            json={"qasm_circuits": list(qasm_circuits), "qiskit_transpile_options": transpile_options},
            headers={"X-Caller": "qrt"},
        )
        return str(body["task_id"])

    async def task(self, task_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/transpile/{task_id}")

    async def transpile(
        self,
        qasm_circuits: Sequence[str],
        backend: str,
        optimization_level: int,
        *,
        transpile_options: dict[str, Any] | None = None,
        timeout: float = 300.0,
    ) -> TranspileOutcome:
        """Create a task and wait for it: polls quickly at first (small circuits take about a
        second), then every second, then every 5 s after a minute, as the official client."""
        task_id = await self.create_task(
            qasm_circuits, backend, optimization_level, transpile_options=transpile_options
        )
        started = self._clock()
        polls = 0
        while True:
            body = await self.task(task_id)
            state = str(body.get("state", ""))
            if state == "FAILURE":
                raise TranspileFailed(f"The transpiler service failed: {body.get('result')}")
            if state == "SUCCESS" and body.get("result") is not None:
                return TranspileOutcome.from_api(body)
            waited = self._clock() - started
            if waited >= timeout:
                raise Unavailable(
                    f"The transpiler service did not finish task {task_id} in {timeout:g} s "
                    f"(last state {state or 'unknown'})."
                )
            delay = 5.0 if waited > 60 else min(1.0, 0.1 * 2**polls)
            polls += 1
            await asyncio.sleep(min(delay, max(0.0, timeout - waited)))
