"""SQLite persistence for the local service: jobs and their results.

One connection in WAL mode, serialised by a lock: the service's write rate is a few rows
per job, so a single writer is never the bottleneck, and WAL lets a restarted service pick
up exactly where a killed one stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FINAL_STATUSES = frozenset({"Completed", "Failed", "Cancelled"})
PENDING_STATUSES = frozenset({"Queued", "Running"})

_ID_ALPHABET = string.ascii_lowercase[:22] + string.digits  # like IBM's 20-char job ids

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    instance TEXT NOT NULL,
    backend TEXT NOT NULL,
    program TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    reason_code INTEGER,
    created TEXT NOT NULL,
    running TEXT,
    finished TEXT,
    session_id TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    params TEXT NOT NULL,
    support_qiskit INTEGER NOT NULL DEFAULT 0,
    private INTEGER NOT NULL DEFAULT 0,
    cost INTEGER NOT NULL DEFAULT 600,
    caller TEXT,
    result TEXT,
    execution_ns INTEGER,
    usage_seconds REAL,
    logs TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_session ON jobs (session_id);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    instance TEXT NOT NULL,
    backend TEXT,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    accepting_jobs INTEGER NOT NULL DEFAULT 1,
    max_ttl INTEGER NOT NULL,
    interactive_ttl INTEGER,
    created TEXT NOT NULL,
    activated_at TEXT,
    closed_at TEXT,
    last_job_started TEXT,
    last_job_completed TEXT,
    timestamps TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS jobs_instance_created ON jobs (instance, created);
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    limit_seconds REAL
);
CREATE INDEX IF NOT EXISTS jobs_instance_seq ON jobs (instance, seq);
"""


def format_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a Z, the form IBM's service returns."""
    utc = moment.astimezone(timezone.utc)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    return format_utc(datetime.now(timezone.utc))


def new_id(length: int = 20) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class JobRecord:
    id: str
    instance: str
    backend: str
    program: str
    status: str
    created: str
    params: dict[str, Any]  # {} when listed without them (JobQuery.with_params)
    reason: str | None = None
    reason_code: int | None = None
    running: str | None = None
    finished: str | None = None
    session_id: str | None = None
    tags: list[str] = field(default_factory=list)
    support_qiskit: bool = False
    private: bool = False
    cost: int = 600
    caller: str | None = None
    execution_ns: int | None = None
    usage_seconds: float | None = None
    logs: str = ""

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class SessionRecord:
    id: str
    instance: str
    backend: str | None
    mode: str
    state: str
    accepting_jobs: bool
    max_ttl: int
    interactive_ttl: int | None
    created: str
    state_reason: str | None = None
    activated_at: str | None = None
    closed_at: str | None = None
    last_job_started: str | None = None
    last_job_completed: str | None = None
    timestamps: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class JobQuery:
    """Filters for listing jobs; None means 'any'."""

    instance: str
    pending: bool | None = None
    backend: str | None = None
    program: str | None = None
    session_id: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    tags: tuple[str, ...] = ()
    newest_first: bool = True
    limit: int = 200
    offset: int = 0
    # False: the jobs come with empty params, neither fetched nor decoded (a job's params
    # can be megabytes of circuits, and most listings exclude them).
    with_params: bool = True


# Jobs outside a session, and sessions and batches (standing for their jobs), with IBM's
# workload status; the two instance placeholders come first in a query's arguments.
_WORKLOADS = """
WITH w AS (
    SELECT id, created, finished AS ended, backend, 'job' AS mode,
        CASE status WHEN 'Queued' THEN 'pending' WHEN 'Running' THEN 'in_progress'
            WHEN 'Completed' THEN 'completed' WHEN 'Failed' THEN 'failed' ELSE 'canceled' END AS status,
        reason AS status_reason, tags, usage_seconds, NULL AS accepting_jobs,
        status IN ('Completed', 'Failed', 'Cancelled') AS final
    FROM jobs WHERE instance = ? AND session_id IS NULL
    UNION ALL
    SELECT s.id, s.created, s.closed_at, COALESCE(s.backend, ''),
        CASE s.mode WHEN 'dedicated' THEN 'session' ELSE 'batch' END,
        CASE WHEN s.state = 'open' THEN 'pending' WHEN s.state != 'closed' THEN 'in_progress'
            WHEN s.state_reason LIKE 'cancel%' THEN 'canceled' ELSE 'completed' END,
        NULL,
        COALESCE((SELECT json_group_array(DISTINCT t.value) FROM jobs AS j, json_each(j.tags) AS t
                  WHERE j.session_id = s.id), '[]'),
        (SELECT SUM(j.usage_seconds) FROM jobs AS j WHERE j.session_id = s.id),
        s.accepting_jobs, s.state = 'closed'
    FROM sessions AS s WHERE s.instance = ?
)
"""


def _add_created_and_tags(
    where: list[str], args: list[Any], after: str | None, before: str | None, tags: tuple[str, ...], table: str
) -> None:
    """The creation bounds and tags (each one required) that jobs and workloads filter on."""
    if after:
        where.append("created > ?")
        args.append(after)
    if before:
        where.append("created < ?")
        args.append(before)
    for tag in tags:
        where.append(f"EXISTS (SELECT 1 FROM json_each({table}.tags) WHERE value = ?)")
        args.append(tag)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class WorkloadQuery:
    """Filters of a workloads listing (reference §1.5); None or empty means 'any'."""

    instance: str
    newest_first: bool = False
    backend: str | None = None
    search: str | None = None  # in the id or a tag
    statuses: tuple[str, ...] = ()
    mode: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    tags: tuple[str, ...] = ()

    def instance_args(self) -> list[Any]:
        return [self.instance, self.instance]

    def conditions(self) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("backend", self.backend), ("mode", self.mode)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if self.statuses:
            where.append(f"status IN ({','.join('?' * len(self.statuses))})")
            args.extend(self.statuses)
        _add_created_and_tags(where, args, self.created_after, self.created_before, self.tags, "w")
        if self.search:
            where.append(
                "(id LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM json_each(w.tags) WHERE value LIKE ? ESCAPE '\\'))"
            )
            args += [_like(self.search)] * 2
        return where, args


_JOB_COLUMN_NAMES = (
    "id", "instance", "backend", "program", "status", "created", "params", "reason",
    "reason_code", "running", "finished", "session_id", "tags", "support_qiskit", "private",
    "cost", "caller", "execution_ns", "usage_seconds", "logs",
)
_JOB_COLUMNS = ", ".join(_JOB_COLUMN_NAMES)
_QUALIFIED_JOB_COLUMNS = ", ".join(f"jobs.{name}" for name in _JOB_COLUMN_NAMES)
# The params column is NOT NULL: NULL in its place means a listing did not read it.
_JOB_COLUMNS_WITHOUT_PARAMS = _JOB_COLUMNS.replace("params", "NULL AS params")


def _json_list(text: str) -> list[Any]:
    """Most jobs have no tags: skip the decoder for them."""
    return [] if text == "[]" else json.loads(text)


def _job_from_row(row: sqlite3.Row) -> JobRecord:
    """The job in a row's first columns, selected as _JOB_COLUMNS (or without params).

    By position: sqlite3.Row finds a column by name with a linear search, which costs
    more than the rest of building a job when a page has 200 of them.
    """
    (
        job_id, instance, backend, program, status, created, params, reason, reason_code,
        running, finished, session_id, tags, support_qiskit, private, cost, caller,
        execution_ns, usage_seconds, logs,
    ) = row[: len(_JOB_COLUMN_NAMES)]
    return JobRecord(
        id=job_id,
        instance=instance,
        backend=backend,
        program=program,
        status=status,
        created=created,
        params={} if params is None else json.loads(params),
        reason=reason,
        reason_code=reason_code,
        running=running,
        finished=finished,
        session_id=session_id,
        tags=_json_list(tags),
        support_qiskit=bool(support_qiskit),
        private=bool(private),
        cost=cost,
        caller=caller,
        execution_ns=execution_ns,
        usage_seconds=usage_seconds,
        logs=logs,
    )


_MAX_CACHED_COUNTS = 256
DATABASE_NAME = "qrt-serve.sqlite3"


class StoreDamaged(RuntimeError):
    """The database cannot be used as it is; the message says what is wrong and what to do."""


def check_database(path: Path) -> None:
    """Refuse a damaged database at start (StoreDamaged), and keep a backup of a sound one.

    SQLite opens a zero-length file as a new, empty database and a damaged one as if
    nothing were wrong until a query trips on it: a service once started empty over a
    file that had held 30 jobs, and another answered 500 to every listing. So an existing
    file must pass SQLite's quick check; then `<name>.bak` is refreshed from it.
    """
    backup = path.with_name(path.name + ".bak")
    restore = (f" A backup from the last sound start is at {backup}." if backup.is_file() else "")
    aside = f"move it aside (mv '{path}' '{path}.damaged') to start with no jobs"
    if path.is_dir():
        raise StoreDamaged(f"{path} is a directory, not the job database; {aside}.{restore}")
    if not path.exists():
        return
    if path.stat().st_size == 0:
        raise StoreDamaged(f"the job database {path} is empty (0 bytes), so its jobs are lost; "
                           f"{aside}, or restore it.{restore}")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True)) as db:
            (verdict,) = db.execute("PRAGMA quick_check(1)").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(" ".join(str(verdict).replace("***", "").split())[:160])
            write_backup(db, path)
    except sqlite3.DatabaseError as exc:
        raise StoreDamaged(f"the job database {path} is damaged ({exc}); {aside}, or restore "
                           f"it.{restore}") from None


def write_backup(db: sqlite3.Connection, path: Path) -> None:
    backup = path.with_name(path.name + ".bak")
    partial = path.with_name(path.name + ".bak-partial")
    with contextlib.closing(sqlite3.connect(partial)) as copy:
        db.backup(copy)
    os.replace(partial, backup)


class Store:
    """The service's database. Thread-safe; every method is one short transaction."""

    def __init__(self, path: Path, is_full: Callable[[], bool] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._is_full = is_full  # fault injection: every write fails while it says so
        self._path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # COUNT(*) walks every matching index entry (about 1 ms for 10,000 jobs), and each
        # listing asks for it; the answers are kept until the database changes.
        self._counts: dict[tuple[str, tuple[Any, ...]], int] = {}
        self._counted_version: tuple[int, int] = (-1, -1)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close, leaving `<name>.bak` as of now (the copy a damaged file is restored from)."""
        with self._lock:
            try:
                write_backup(self._db, self._path)
            except sqlite3.Error:
                pass  # a full disk, say: the previous backup stays
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._is_full is not None and self._is_full():
                raise sqlite3.OperationalError("database or disk is full")  # as SQLite says it
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _count(self, sql: str, args: Iterable[Any]) -> int:
        """The single number `sql` selects, computed again only after the data changed.

        Changes through this connection show in `total_changes`, those committed by any
        other connection (another process on the same file) in `PRAGMA data_version`.
        """
        key = (sql, tuple(args))
        with self._lock:
            (data_version,) = self._db.execute("PRAGMA data_version").fetchone()
            version = (self._db.total_changes, data_version)
            if version != self._counted_version or len(self._counts) >= _MAX_CACHED_COUNTS:
                self._counts.clear()
                self._counted_version = version
            count = self._counts.get(key)
            if count is None:
                (count,) = self._db.execute(sql, key[1]).fetchone()
                self._counts[key] = count
            return count

    # for tables other modules own (legacy access tokens, transpile tasks) -------------

    def add_tables(self, schema: str) -> None:
        """Create a module's own tables (idempotent DDL) in this database."""
        with self._lock:
            self._db.executescript(schema)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction()

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self._query(sql, args)

    # jobs ---------------------------------------------------------------------------

    def create_job(self, job: JobRecord) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, instance, backend, program, status, created, params, "
                "session_id, tags, support_qiskit, private, cost, caller, logs) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job.id, job.instance, job.backend, job.program, job.status, job.created,
                    json.dumps(job.params), job.session_id, json.dumps(job.tags),
                    int(job.support_qiskit), int(job.private), job.cost, job.caller, job.logs,
                ),
            )

    def get_job(self, job_id: str, instance: str | None = None) -> JobRecord | None:
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?"
        args: list[Any] = [job_id]
        if instance is not None:
            sql += " AND instance = ?"
            args.append(instance)
        rows = self._query(sql, args)
        return _job_from_row(rows[0]) if rows else None

    def list_jobs(self, query: JobQuery) -> tuple[list[JobRecord], int]:
        """One page of jobs and the total number matching the filters."""
        where = ["instance = ?"]
        args: list[Any] = [query.instance]
        if query.pending is not None:
            statuses = PENDING_STATUSES if query.pending else FINAL_STATUSES
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args.extend(sorted(statuses))
        for column, value in (
            ("backend", query.backend),
            ("program", query.program),
            ("session_id", query.session_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        _add_created_and_tags(where, args, query.created_after, query.created_before, query.tags, "jobs")
        condition = " AND ".join(where)
        order = "DESC" if query.newest_first else "ASC"
        columns = _JOB_COLUMNS if query.with_params else _JOB_COLUMNS_WITHOUT_PARAMS
        rows = self._query(
            f"SELECT {columns} FROM jobs WHERE {condition} ORDER BY seq {order} "
            "LIMIT ? OFFSET ?",
            [*args, query.limit, query.offset],
        )
        total = self._count(f"SELECT COUNT(*) FROM jobs WHERE {condition}", args)
        return [_job_from_row(row) for row in rows], total

    def next_runnable_jobs(self, limit: int) -> list[JobRecord]:
        """The jobs to start now, at most `limit`: the head of each idle backend's queue.

        A backend runs one job at a time, first come first served, except that the queued
        jobs of an active dedicated session go first: once one of its jobs has run, a
        session has the device while it stays active. Batch jobs queue like any other.
        """
        if limit <= 0:
            return []
        rows = self._query(
            f"SELECT {_QUALIFIED_JOB_COLUMNS}, jobs.seq, "
            "COALESCE(s.mode = 'dedicated' AND s.state = 'active', 0) AS has_priority "
            "FROM jobs LEFT JOIN sessions AS s ON s.id = jobs.session_id "
            "WHERE jobs.status = 'Queued' AND jobs.backend NOT IN "
            "(SELECT backend FROM jobs WHERE status = 'Running') ORDER BY jobs.seq"
        )
        heads: dict[str, sqlite3.Row] = {}
        for row in rows:
            head = heads.get(row["backend"])
            if head is None or (row["has_priority"] and not head["has_priority"]):
                heads[row["backend"]] = row
        chosen = sorted(heads.values(), key=lambda row: row["seq"])[:limit]
        return [_job_from_row(row) for row in chosen]

    def queue_lengths(self) -> dict[str, int]:
        """Jobs waiting for each backend (the one running is not in its queue)."""
        rows = self._query(
            "SELECT backend, COUNT(*) FROM jobs WHERE status = 'Queued' GROUP BY backend"
        )
        return {backend: count for backend, count in rows}

    def mark_running(self, job_id: str) -> bool:
        """Move a queued job to Running; False if it was cancelled meanwhile."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'Running', running = ? "
                "WHERE id = ? AND status = 'Queued'",
                (utc_now(), job_id),
            )
            return cursor.rowcount == 1

    def finish_job(
        self,
        job_id: str,
        *,
        status: str,
        result: str,
        reason: str | None = None,
        reason_code: int | None = None,
        execution_ns: int | None = None,
        log_line: str = "",
    ) -> bool:
        """Record a running job's outcome; False if it had already ended (e.g. cancelled).

        A completed job is charged what IBM charges, the quantum time: here the simulation's
        own (`execution_ns`), not the parsing, noise building and queue around it (a 0.17 s
        simulation was charged 25 s of wall time). Without it, from `running` to `finished`.
        """
        now = datetime.now(timezone.utc)
        finished = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as it is stored
        with self._transaction() as db:
            row = db.execute(
                "SELECT running FROM jobs WHERE id = ? AND status = 'Running'", (job_id,)
            ).fetchone()
            if row is None:
                return False
            usage_seconds = 0.0
            if status == "Completed" and execution_ns is not None:
                usage_seconds = round(execution_ns / 1e9, 3)
            elif status == "Completed" and row["running"]:
                started = datetime.fromisoformat(row["running"].replace("Z", "+00:00"))
                usage_seconds = round(max(0.0, (finished - started).total_seconds()), 3)
            db.execute(
                "UPDATE jobs SET status = ?, result = ?, reason = ?, reason_code = ?, "
                "finished = ?, execution_ns = ?, usage_seconds = ?, logs = logs || ? WHERE id = ?",
                (
                    status, result, reason, reason_code, format_utc(finished), execution_ns,
                    usage_seconds, log_line, job_id,
                ),
            )
            return True

    def take_private_result(self, job_id: str) -> bool:
        """Forget a private job's result as it is read; False if it was read before."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET result = NULL WHERE id = ? AND result IS NOT NULL", (job_id,)
            )
            return cursor.rowcount == 1

    def append_log(self, job_id: str, line: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET logs = logs || ? WHERE id = ?", (f"{utc_now()} {line}\n", job_id))

    def job_statuses(self, job_ids: list[str]) -> dict[str, str]:
        """The status of each of these jobs that still exists."""
        marks = ",".join("?" * len(job_ids))
        rows = self._query(f"SELECT id, status FROM jobs WHERE id IN ({marks})", job_ids)
        return {row["id"]: row["status"] for row in rows}

    def cancel_job(self, job_id: str) -> bool:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'Cancelled', reason = 'Cancelled by user', "
                "finished = ? WHERE id = ? AND status IN ('Queued','Running')",
                (utc_now(), job_id),
            )
            return cursor.rowcount == 1

    def delete_job(self, job_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def replace_tags(self, job_id: str, tags: list[str]) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET tags = ? WHERE id = ?", (json.dumps(tags), job_id))

    def search_tags(self, instance: str, text: str, limit: int = 100) -> list[str]:
        """Distinct job tags of the instance containing `text`, case-insensitively."""
        pattern = _like(text)
        rows = self._query(
            "SELECT DISTINCT tag.value FROM jobs, json_each(jobs.tags) AS tag "
            "WHERE jobs.instance = ? AND tag.value LIKE ? ESCAPE '\\' ORDER BY tag.value LIMIT ?",
            [instance, pattern, limit],
        )
        return [row[0] for row in rows]

    def usage_seconds_since(self, instance: str, start: str) -> float:
        (total,) = self._query(
            "SELECT COALESCE(SUM(usage_seconds), 0) FROM jobs WHERE instance = ? AND finished >= ?",
            [instance, start],
        )[0]
        return round(float(total), 3)

    def instance_limit(self, instance: str) -> float | None:
        rows = self._query("SELECT limit_seconds FROM instances WHERE id = ?", [instance])
        return rows[0][0] if rows else None

    def set_instance_limit(self, instance: str, seconds: float | None) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO instances (id, limit_seconds) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET limit_seconds = excluded.limit_seconds",
                (instance, seconds),
            )

    def job_result(self, job_id: str) -> str | None:
        rows = self._query("SELECT result FROM jobs WHERE id = ?", [job_id])
        return rows[0]["result"] if rows else None

    def requeue_interrupted_jobs(self) -> int:
        """After a crash, jobs left Running go back to the queue to run again."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'Queued', running = NULL, "
                "logs = logs || ? WHERE status = 'Running'",
                (f"{utc_now()} service restarted while the job ran; queued again\n",),
            )
            return cursor.rowcount

    # sessions -----------------------------------------------------------------------

    def create_session(self, session: SessionRecord) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO sessions (id, instance, backend, mode, state, accepting_jobs, "
                "max_ttl, interactive_ttl, created, timestamps) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    session.id, session.instance, session.backend, session.mode, session.state,
                    int(session.accepting_jobs), session.max_ttl, session.interactive_ttl,
                    session.created, json.dumps(session.timestamps),
                ),
            )

    def get_session(self, session_id: str, instance: str | None = None) -> SessionRecord | None:
        sql = "SELECT * FROM sessions WHERE id = ?"
        args: list[Any] = [session_id]
        if instance is not None:
            sql += " AND instance = ?"
            args.append(instance)
        rows = self._query(sql, args)
        return _session_from_row(rows[0]) if rows else None

    def unfinished_sessions(self, instance: str) -> list[SessionRecord]:
        rows = self._query("SELECT * FROM sessions WHERE instance = ? AND state != 'closed'", [instance])
        return [_session_from_row(row) for row in rows]

    def list_workloads(
        self, query: WorkloadQuery, limit: int, after: tuple[str, str] | None, before: tuple[str, str] | None
    ) -> tuple[list[dict[str, Any]], bool, bool, int]:
        """One page of workloads in the query's order, after the `after` cursor or just
        before the `before` one: (rows, more after the page, more before it, total)."""
        where, args = query.conditions()
        condition = " AND ".join(where) or "1"
        newest_first = query.newest_first
        forward = before is None
        edge = after if forward else before
        # moving towards later rows in the listing's own order, or back towards earlier ones
        towards_later = forward
        comparison = ">" if towards_later != newest_first else "<"
        order = "ASC" if towards_later != newest_first else "DESC"
        bounded = condition + (f" AND (created, id) {comparison} (?, ?)" if edge else "")
        with self._lock:
            rows = self._db.execute(
                f"{_WORKLOADS} SELECT * FROM w WHERE {bounded} ORDER BY created {order}, id {order} LIMIT ?",
                [*query.instance_args(), *args, *(edge or ()), limit + 1],
            ).fetchall()
            page = [dict(row) for row in rows[:limit]]
            if not forward:
                page.reverse()

            def exists_beyond(row: dict[str, Any], later: bool) -> bool:
                sign = ">" if later != newest_first else "<"
                return bool(self._db.execute(
                    f"{_WORKLOADS} SELECT 1 FROM w WHERE {condition} AND (created, id) {sign} (?, ?) LIMIT 1",
                    [*query.instance_args(), *args, row["created"], row["id"]],
                ).fetchone())

            more_after = bool(page) and (len(rows) > limit if forward else exists_beyond(page[-1], True))
            more_before = bool(page) and (exists_beyond(page[0], False) if forward else len(rows) > limit)
            (total,) = self._db.execute(
                f"{_WORKLOADS} SELECT COUNT(*) FROM w WHERE {condition}", [*query.instance_args(), *args]
            ).fetchone()
        return page, more_after, more_before, int(total)


    def update_session(self, session_id: str, **changes: Any) -> None:
        """Set columns; a changed `state` is also appended to the session's timestamps."""
        if not changes:
            return
        with self._transaction() as db:
            if "state" in changes:
                (current,) = db.execute(
                    "SELECT state FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                if current != changes["state"]:
                    db.execute(
                        "UPDATE sessions SET timestamps = json_insert(timestamps, '$[#]', "
                        "json_object('status', ?, 'timestamp', ?)) WHERE id = ?",
                        (changes["state"], utc_now(), session_id),
                    )
            columns = ", ".join(f"{name} = ?" for name in changes)
            values = [int(v) if isinstance(v, bool) else v for v in changes.values()]
            db.execute(f"UPDATE sessions SET {columns} WHERE id = ?", (*values, session_id))

    def session_pending_jobs(self, session_id: str) -> int:
        (count,) = self._query(
            "SELECT COUNT(*) FROM jobs WHERE session_id = ? AND status IN ('Queued','Running')",
            [session_id],
        )[0]
        return int(count)

    def cancel_session_queued_jobs(self, session_id: str, and_running: bool = False) -> int:
        """Cancel the session's queued jobs (at its max_ttl), and its running one too when
        the user cancels the session (the scheduler then stops its simulation)."""
        statuses = "('Queued','Running')" if and_running else "('Queued')"
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'Cancelled', reason = 'The session was cancelled', "
                f"finished = ? WHERE session_id = ? AND status IN {statuses}",
                (utc_now(), session_id),
            )
            return cursor.rowcount


def _session_from_row(row: sqlite3.Row) -> SessionRecord:
    return SessionRecord(
        id=row["id"], instance=row["instance"], backend=row["backend"], mode=row["mode"],
        state=row["state"], accepting_jobs=bool(row["accepting_jobs"]),
        max_ttl=row["max_ttl"], interactive_ttl=row["interactive_ttl"],
        created=row["created"], state_reason=row["state_reason"],
        activated_at=row["activated_at"], closed_at=row["closed_at"],
        last_job_started=row["last_job_started"],
        last_job_completed=row["last_job_completed"],
        timestamps=json.loads(row["timestamps"]),
    )
