"""`/transpile`: the transpiler service of the origin notebook (reference §4).

POST queues a task and answers its id at once; GET reports PENDING, STARTED, SUCCESS or
FAILURE. There are no AI passes here, so every answer says what `ai`/`use_ai` asked for
and that qiskit's preset pass manager did the work instead. Errors come FastAPI-style,
`{"detail": ...}`, as that service sent them.
"""

from __future__ import annotations

import binascii
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tui.circuits import qpy_header
from tui.server.access_tokens import LegacyCredentials
from tui.server.backends import Catalogue
from tui.server.errors import ApiProblem, route_class_with_error_body
from tui.server.responses import DetailError, TranspilerVersion, TranspileTask, TranspileTaskCreated, refusals
from tui.server.transpile_tasks import TranspileTasks
from tui.server.transpiling import QISKIT_OPTIONS, TranspileRequest

MAX_CIRCUITS = 100
MAX_COUPLING_MAP_QUBITS = 1000
AI_MODES = ("true", "false", "auto")
AI_LAYOUT_MODES = ("keep", "optimize", "improve")

MAX_QPY_CHARACTERS = 8_000_000
QasmText = Annotated[str, Field(min_length=1, max_length=1_000_000)]
Edge = Annotated[
    list[Annotated[int, Field(ge=0, lt=MAX_COUPLING_MAP_QUBITS)]], Field(min_length=2, max_length=2)
]


def detail_error(status: int, message: str, code: str) -> dict[str, Any]:
    """FastAPI's own error shape, which the transpiler service answered with."""
    return {"detail": message}


class TranspileBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    qasm_circuits: QasmText | Annotated[list[QasmText], Field(min_length=1, max_length=MAX_CIRCUITS)] | None = None
    # base64 of one QPY file of all the circuits, what qiskit-ibm-transpiler <= 0.13 sends
    qpy_circuits: Annotated[str, Field(min_length=1, max_length=MAX_QPY_CHARACTERS)] | None = None
    qiskit_transpile_options: dict[str, Any] | None = None
    backend_coupling_map: Annotated[list[Edge], Field(min_length=1, max_length=10_000)] | None = None
    optimization_preferences: Any = None


def ai_report(
    ai: str, use_ai: bool | None, layout_mode: str, optimization_level: int, body: TranspileBody
) -> dict[str, Any]:
    """What was asked of the AI passes, and the plain fact that none ran."""
    reason = (
        "qrt serve has no AI transpiler passes; qiskit's preset pass manager at "
        f"optimization_level {optimization_level} transpiled the circuits"
    )
    if body.optimization_preferences is not None:
        reason += "; optimization_preferences (an AI setting) was ignored"
    return {
        "requested": ai if use_ai is None else str(use_ai).lower(),
        "use_ai": use_ai,
        "layout_mode": layout_mode,
        "applied": False,
        "reason": reason,
    }


def _checked_request(
    body: TranspileBody,
    backend: str | None,
    optimization_level: int,
    use_fractional_gates: bool,
    catalogue: Catalogue,
) -> TranspileRequest:
    """The task's input, or the 4xx that tells the caller what is wrong with it."""
    if (body.qasm_circuits is None) == (body.qpy_circuits is None):
        raise ApiProblem(400, "Give the circuits as qasm_circuits or as qpy_circuits (one of them).")
    if backend is not None and body.backend_coupling_map is not None:
        raise ApiProblem(400, "Give either the backend query parameter or backend_coupling_map, not both.")
    if backend is None and body.backend_coupling_map is None:
        raise ApiProblem(400, "Give the backend query parameter or backend_coupling_map in the body.")
    if backend is not None and catalogue.get(backend) is None:
        raise ApiProblem(404, f"Backend {backend} not found.")
    options = body.qiskit_transpile_options or {}
    unknown = sorted(set(options) - QISKIT_OPTIONS)
    if unknown:
        raise ApiProblem(
            400,
            f"qiskit_transpile_options: unsupported {', '.join(unknown)}; "
            f"supported: {', '.join(sorted(QISKIT_OPTIONS))}.",
        )
    if "basis_gates" in options and backend is not None:
        raise ApiProblem(
            400, "qiskit_transpile_options.basis_gates applies only with backend_coupling_map; "
            "a backend brings its own basis.",
        )
    basis = options.get("basis_gates")
    if basis is not None and not (
        isinstance(basis, list) and basis and all(isinstance(g, str) for g in basis)
    ):
        raise ApiProblem(400, "qiskit_transpile_options.basis_gates must be a list of gate names.")
    circuits = body.qasm_circuits if isinstance(body.qasm_circuits, list | None) else [body.qasm_circuits]
    return TranspileRequest(
        circuits=circuits or [],
        qpy=_checked_qpy(body.qpy_circuits) if body.qpy_circuits is not None else None,
        backend=backend,
        coupling_map=body.backend_coupling_map,
        optimization_level=optimization_level,
        use_fractional_gates=use_fractional_gates,
        qiskit_options=options,
    )


def _checked_qpy(text: str) -> str:
    """The QPY upload, checked as far as can be without building circuits (that happens
    in the bounded worker): base64, a QPY header, and at most MAX_CIRCUITS circuits."""
    try:
        data = binascii.a2b_base64(text.encode("ascii", "replace"), strict_mode=True)
        _, count = qpy_header(data)
    except (binascii.Error, ValueError) as exc:
        message = str(exc) if isinstance(exc, ValueError) and "QPY" in str(exc) else "is not base64"
        raise ApiProblem(400, f"qpy_circuits {message}.") from None
    if not 1 <= count <= MAX_CIRCUITS:
        raise ApiProblem(400, f"qpy_circuits holds {count} circuits; send 1 to {MAX_CIRCUITS}.")
    return text


def transpiler_router(
    tasks: TranspileTasks, credentials: LegacyCredentials, catalogue: Catalogue
) -> APIRouter:
    def authorized(request: Request) -> None:
        if not credentials.accepts(request):
            raise ApiProblem(401, "Send Authorization: Bearer <API key or access token>.")

    router = APIRouter(
        route_class=route_class_with_error_body(detail_error),
        dependencies=[Depends(authorized)],
        responses=refusals(DetailError),
    )

    @router.post("/transpile", tags=["transpiler"], response_model=TranspileTaskCreated)
    def create_task(
        body: TranspileBody,
        backend: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        optimization_level: Annotated[int, Query(ge=1, le=3)] = 3,
        ai: str = "auto",
        use_ai: bool | None = None,
        ai_layout_mode: str = "optimize",
        use_fractional_gates: bool = False,
    ) -> dict[str, str]:
        if ai.lower() not in AI_MODES:
            raise ApiProblem(400, f"ai must be one of {', '.join(AI_MODES)}.")
        if ai_layout_mode.lower() not in AI_LAYOUT_MODES:
            raise ApiProblem(400, f"ai_layout_mode must be one of {', '.join(AI_LAYOUT_MODES)}.")
        request = _checked_request(
            body, backend, optimization_level, use_fractional_gates, catalogue
        )
        report = ai_report(ai.lower(), use_ai, ai_layout_mode.lower(), optimization_level, body)
        return {"task_id": tasks.submit(request.to_json(), report)}

    @router.get("/version", tags=["transpiler"], response_model=TranspilerVersion)
    def service_version() -> dict[str, str]:
        """What the service transpiles with; clients pick the QPY version they send by it."""
        return {"qiskit": version("qiskit")}

    @router.get("/transpile/{task_id}", tags=["transpiler"], response_model=TranspileTask)
    def get_task(task_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
        task = tasks.get(task_id)
        if task is None:
            raise ApiProblem(404, f"Task {task_id} not found.")
        return {"task_id": task.id, "state": task.state, "result": task.result, "ai": task.ai}

    return router
