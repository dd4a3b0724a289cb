"""Transpile tasks: kept in SQLite, run one at a time in a worker process of their own.

A task is PENDING until it is picked up, STARTED while qiskit works, then SUCCESS or
FAILURE (the state names of the Celery-backed service it stands in for). Tasks left
PENDING or STARTED by a stop or a crash run again at the next start. The process is
spawned on the first task, so a service nobody asks to transpile never pays for it.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.server.backends import Catalogue
from tui.server.store import Store, utc_now

if TYPE_CHECKING:
    from tui.server.transpiling import TranspileRequest

log = logging.getLogger("qrt.serve")

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
        # The thread keeps tasks in order and waits on the process, which does the work.
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qrt-transpile")
        self._pool_lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        unfinished = self._store.query(
            "SELECT id FROM transpile_tasks WHERE state IN ('PENDING','STARTED') ORDER BY created"
        )
        for row in unfinished:
            self._runner.submit(self._run, row["id"])
        if unfinished:
            log.info("resumed %d transpile task(s) left by the last shutdown", len(unfinished))

    def stop(self) -> None:
        self._runner.shutdown(wait=False, cancel_futures=True)
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)

    def _worker(self) -> ProcessPoolExecutor:
        from tui.server.executor import warm_up

        with self._pool_lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=warm_up,
                )
            return self._pool

    def _transpile_in_worker(self, request: TranspileRequest) -> list[dict[str, Any]]:
        from tui.server.transpiling import TranspileFailure, transpile_all

        device = self._catalogue.get(request.backend) if request.backend else None
        if request.backend and device is None:
            raise TranspileFailure(f"backend {request.backend} not found")
        conf_file = str(device.conf_file) if device else None
        props_file = str(device.props_file) if device and device.props_file else None
        try:
            return self._worker().submit(transpile_all, request, conf_file, props_file).result()
        except BrokenProcessPool:
            with self._pool_lock:
                self._pool = None
            raise TranspileFailure("the transpiler process stopped while working") from None

    def submit(self, request: dict[str, Any], ai: dict[str, Any]) -> str:
        task_id = str(uuid.uuid4())
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO transpile_tasks (id, state, created, request, ai) VALUES (?,?,?,?,?)",
                (task_id, "PENDING", utc_now(), json.dumps(request), json.dumps(ai)),
            )
        self._runner.submit(self._run, task_id)
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

    def _run(self, task_id: str) -> None:
        from tui.server.transpiling import TranspileFailure, TranspileRequest

        rows = self._store.query("SELECT request FROM transpile_tasks WHERE id = ?", (task_id,))
        if not rows:
            return
        self._set(task_id, "STARTED")
        try:
            request = TranspileRequest(**json.loads(rows[0]["request"]))
            self._set(task_id, "SUCCESS", self._transpile_in_worker(request))
        except TranspileFailure as exc:
            self._set(task_id, "FAILURE", str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad task must not stop the others
            log.exception("transpile task failed unexpectedly")
            self._set(task_id, "FAILURE", f"{type(exc).__name__}: {exc}")
