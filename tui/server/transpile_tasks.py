"""Transpile tasks: kept in SQLite, run one at a time on a thread of their own.

A task is PENDING until the thread picks it up, STARTED while qiskit works, then SUCCESS or
FAILURE (the state names of the Celery-backed service it stands in for). Tasks left
PENDING or STARTED by a stop or a crash run again at the next start.
"""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tui.server.backends import Catalogue
from tui.server.store import Store, utc_now

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
        # One long-lived thread: qiskit crashes if the thread that first used it has exited.
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qrt-transpile")

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
        from tui.server.transpiling import TranspileFailure, TranspileRequest, transpile_all

        rows = self._store.query("SELECT request FROM transpile_tasks WHERE id = ?", (task_id,))
        if not rows:
            return
        self._set(task_id, "STARTED")
        try:
            request = TranspileRequest(**json.loads(rows[0]["request"]))
            self._set(task_id, "SUCCESS", transpile_all(request, self._catalogue))
        except TranspileFailure as exc:
            self._set(task_id, "FAILURE", str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad task must not stop the others
            log.exception("transpile task failed unexpectedly")
            self._set(task_id, "FAILURE", f"{type(exc).__name__}: {exc}")
