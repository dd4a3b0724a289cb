"""Transpile tasks: kept in SQLite, run in supervised worker processes, in two lanes.

A task is PENDING until it is picked up, STARTED while qiskit works, then SUCCESS or
FAILURE (the state names of the Celery-backed service it stands in for). Tasks left
PENDING or STARTED by a stop or a crash run again at the next start.

Small tasks (a few short circuits at optimization level 0-2) have a lane of their own, so
a Bell pair never waits behind an hour of optimization level 3; each lane runs its tasks
in order, in a process spawned on its first task (a service nobody asks to transpile never
pays for it), and a task past its lane's time limit is killed and fails saying so.
"""

from __future__ import annotations

import json
import logging
import uuid
from base64 import b64decode
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.circuits import qpy_header
from tui.server.backends import Catalogue
from tui.server.store import Store, utc_now
from tui.server.workers import WorkerDied, WorkerLimits, WorkerPool, WorkerTimedOut, WorkerUnavailable

if TYPE_CHECKING:
    from tui.server.transpiling import TranspileRequest

log = logging.getLogger("qrt.serve")
SMALL_TASK_CHARACTERS = 20_000
SMALL_TASK_CIRCUITS = 8
TIME_LIMIT_SECONDS = {"small": 120.0, "large": 1800.0}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transpile_tasks (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    finished TEXT,
    request TEXT NOT NULL,
    ai TEXT NOT NULL,
    result TEXT
);
"""


@dataclass(frozen=True)
class TranspileTask:
    id: str
    state: str
    created: str
    finished: str | None
    ai: dict[str, Any]
    result: Any  # a list of circuits on SUCCESS, the reason on FAILURE, else None


class TranspileTasks:
    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self._store = store
        self._catalogue = catalogue
        store.add_tables(_SCHEMA)
        # Per lane, a thread keeps its tasks in order and waits on its process.
        self._lanes = {
            lane: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"qrt-transpile-{lane}")
            for lane in TIME_LIMIT_SECONDS
        }
        self._pools: dict[str, WorkerPool] = {}

    def start(self) -> None:
        from tui.server.job_worker import warm_up

        self._pools = {
            lane: WorkerPool(
                f"qrt-transpiler-{lane}", 1, initializer=warm_up, limits=WorkerLimits(4096), lazy=True
            )
            for lane in TIME_LIMIT_SECONDS
        }
        unfinished = self._store.query(
            "SELECT id, request FROM transpile_tasks WHERE state IN ('PENDING','STARTED') ORDER BY created"
        )
        for row in unfinished:
            self._queue(row["id"], json.loads(row["request"]))
        if unfinished:
            log.info("resumed %d transpile task(s) left by the last shutdown", len(unfinished))

    def stop(self) -> None:
        for runner in self._lanes.values():
            runner.shutdown(wait=False, cancel_futures=True)
        for pool in self._pools.values():
            pool.shutdown()

    @staticmethod
    def lane(request: dict[str, Any]) -> str:
        circuits = request.get("circuits") or []
        qpy = request.get("qpy") or ""
        count = qpy_header(b64decode(qpy))[1] if qpy else len(circuits)
        small = (
            count <= SMALL_TASK_CIRCUITS
            and sum(len(circuit) for circuit in circuits) + len(qpy) <= SMALL_TASK_CHARACTERS
            and int(request.get("optimization_level", 2)) <= 2
        )
        return "small" if small else "large"

    def _queue(self, task_id: str, request: dict[str, Any]) -> None:
        lane = self.lane(request)
        self._lanes[lane].submit(self._run, task_id, lane)

    def _transpile_in_worker(self, request: TranspileRequest, lane: str) -> list[dict[str, Any]]:
        from tui.server.transpiling import TranspileFailure, transpile_all

        device = self._catalogue.get(request.backend) if request.backend else None
        if request.backend and device is None:
            raise TranspileFailure(f"backend {request.backend} not found")
        conf_file = str(device.conf_file) if device else None
        props_file = str(device.props_file) if device and device.props_file else None
        limit = TIME_LIMIT_SECONDS[lane]
        try:
            result: list[dict[str, Any]] = self._pools[lane].call(
                transpile_all, request, conf_file, props_file, timeout=limit
            )
        except WorkerUnavailable:
            raise TranspileFailure("the service is stopping") from None
        except WorkerTimedOut:
            raise TranspileFailure(f"the transpilation took longer than {limit:g} s and was stopped") from None
        except WorkerDied as died:
            raise TranspileFailure(f"the transpiler stopped while working: {died.how}") from None
        return result

    def submit(self, request: dict[str, Any], ai: dict[str, Any]) -> str:
        task_id = str(uuid.uuid4())
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO transpile_tasks (id, state, created, request, ai) VALUES (?,?,?,?,?)",
                (task_id, "PENDING", utc_now(), json.dumps(request), json.dumps(ai)),
            )
        self._queue(task_id, request)
        return task_id

    def get(self, task_id: str) -> TranspileTask | None:
        rows = self._store.query(
            "SELECT id, state, created, finished, ai, result FROM transpile_tasks WHERE id = ?",
            (task_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return TranspileTask(
            id=row["id"], state=row["state"], created=row["created"], finished=row["finished"],
            ai=json.loads(row["ai"]),
            result=json.loads(row["result"]) if row["result"] is not None else None,
        )

    def _set(self, task_id: str, state: str, result: Any = None) -> None:
        finished = utc_now() if state in {"SUCCESS", "FAILURE"} else None
        encoded = json.dumps(result) if result is not None else None
        with self._store.transaction() as db:
            db.execute(
                "UPDATE transpile_tasks SET state = ?, result = ?, finished = ? WHERE id = ?",
                (state, encoded, finished, task_id),
            )

    def _run(self, task_id: str, lane: str) -> None:
        from tui.server.transpiling import TranspileFailure, TranspileRequest

        rows = self._store.query("SELECT request FROM transpile_tasks WHERE id = ?", (task_id,))
        if not rows:
            return
        self._set(task_id, "STARTED")
        try:
            request = TranspileRequest(**json.loads(rows[0]["request"]))
            self._set(task_id, "SUCCESS", self._transpile_in_worker(request, lane))
        except TranspileFailure as exc:
            self._set(task_id, "FAILURE", str(exc))
        except Exception:  # noqa: BLE001 - one bad task must not stop the others
            log.exception("transpile task failed unexpectedly")
            self._set(task_id, "FAILURE", "The transpiler failed unexpectedly on these circuits; "
                      "the service's log has the details.")
