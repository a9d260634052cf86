"""MetadataStore on SQLite: the local metadata store, safe for concurrent worker processes.

- WAL journal (readers never block the writer) with ``synchronous=NORMAL`` (a commit
  is an append to the WAL, no fsync; the database stays consistent on a crash);
- every write is one ``BEGIN IMMEDIATE`` transaction, so a writer waits for the lock
  (``busy_timeout``) instead of failing with "database is locked" on a lock upgrade;
- one connection per process, reopened after a fork; a lock serializes threads;
- primary keys lead with (flow, run_id[, step]) so listing a flow's runs or a run's
  tasks is an index range scan.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..exceptions import NotFoundError, StorageError
from . import record_limits as limits
from . import records as rec
from .interfaces import RUNNING, SUCCEEDED, MetadataStore

SCHEMA_VERSION = 2  # 2: runs gained the scheduler liveness columns
_INHERITED: List[sqlite3.Connection] = []  # connections inherited through fork: never used, never closed
BUSY_TIMEOUT_MS = 60_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    flow TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT,
    created_at TEXT,
    finished_at TEXT,
    tags TEXT,
    namespace TEXT,
    username TEXT,
    parameters TEXT,
    origin_run_id TEXT,
    failed_step TEXT,
    error TEXT,
    scheduler_pid INTEGER,
    scheduler_host TEXT,
    heartbeat_at TEXT,
    PRIMARY KEY (flow, run_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (flow, created_at, run_id);
CREATE TABLE IF NOT EXISTS tasks (
    flow TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step TEXT NOT NULL,
    task_id TEXT NOT NULL,
    status TEXT,
    attempt INTEGER,
    successful_attempt INTEGER,
    cardinality INTEGER,
    choice TEXT,
    next_visit INTEGER,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (flow, run_id, step, task_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attempts (
    flow TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step TEXT NOT NULL,
    task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT,
    started_at TEXT,
    finished_at TEXT,
    error TEXT,
    info TEXT,
    PRIMARY KEY (flow, run_id, step, task_id, attempt)
) WITHOUT ROWID;
"""

_RUN_COLS = ", ".join(rec.RUN_FIELDS)
_TASK_COLS = ", ".join(rec.TASK_FIELDS)
_ATTEMPT_COLS = ", ".join(rec.ATTEMPT_FIELDS)


def _run_record(row: Sequence[Any]) -> Dict[str, Any]:
    out = dict(zip(rec.RUN_FIELDS, row))
    out["tags"] = json.loads(out["tags"]) if out["tags"] else []
    out["parameters"] = json.loads(out["parameters"]) if out["parameters"] else {}
    return out


# Columns added after version 1, for databases created before them: (table, column, type).
_ADDED_COLUMNS = (
    ("runs", "scheduler_pid", "INTEGER"),
    ("runs", "scheduler_host", "TEXT"),
    ("runs", "heartbeat_at", "TEXT"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Upgrade an older database in place (inside the schema transaction)."""
    for table, column, kind in _ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _attempt_record(row: Sequence[Any]) -> Dict[str, Any]:
    out = dict(zip(rec.ATTEMPT_FIELDS, row))
    out["info"] = json.loads(out["info"]) if out["info"] else {}
    return out


class SqliteMetadataStore(MetadataStore):
    relay_from_task_processes = True  # a connection per task process costs ~2.5 ms of CPU to open

    def __init__(self, path: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.url = f"sqlite:{self.path}"
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: Optional[sqlite3.Connection] = None
        self._pid: Optional[int] = None
        self._schema_checked = False  # kept across fork: a task process trusts its parent's check
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"SqliteMetadataStore({self.path!r})"

    # -- connection --------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        # After a fork the parent's connection must not be used (nor closed) by the child:
        # keep a reference so it is never finalized here.
        if self._conn is not None:
            _INHERITED.append(self._conn)
        self._conn = None
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        # ``timeout`` is SQLite's busy timeout (sqlite3_busy_timeout): no PRAGMA needed for it.
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        # The schema is checked once per process tree: a process forked after its parent checked it
        # (a task process) skips the read, which is a transaction of its own.
        if not self._schema_checked and conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            self._retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            with _write(conn):
                if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    for statement in SCHEMA.split(";"):  # not executescript: it would COMMIT first
                        if statement.strip():
                            conn.execute(statement)
                    _add_missing_columns(conn)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("PRAGMA synchronous = NORMAL")
        self._conn, self._pid, self._schema_checked = conn, os.getpid(), True
        return conn

    @staticmethod
    def _retry_locked(fn: Any, tries: int = 200) -> Any:
        # Switching to WAL needs an exclusive lock and does not wait on busy_timeout.
        for i in range(tries):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or i == tries - 1:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._schema_checked = False

    def _read(self, sql: str, args: Sequence[Any] = ()) -> List[Sequence[Any]]:
        with self._lock:
            if (self._conn is None or self._pid != os.getpid()) and not os.path.exists(self.path):
                return []  # nothing recorded yet: reading must not create the store
            try:
                return self._connect().execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"{self.url}: {exc}", fix=_fix(exc)) from exc

    def _write(self, statements: Sequence[tuple]) -> List[int]:
        """Run statements in one IMMEDIATE transaction; returns each statement's rowcount."""
        with self._lock:
            try:
                conn = self._connect()
                with _write(conn):
                    return [conn.execute(sql, args).rowcount for sql, args in statements]
            except sqlite3.Error as exc:
                raise StorageError(f"{self.url}: {exc}", fix=_fix(exc)) from exc

    # -- runs --------------------------------------------------------------------------------
    def create_run(
        self,
        flow: str,
        run_id: str,
        *,
        username: str,
        namespace: str,
        tags: Sequence[str] = (),
        parameters: Optional[Dict[str, Any]] = None,
        origin_run_id: Optional[str] = None,
        status: str = RUNNING,
        created_at: Optional[str] = None,
    ) -> bool:
        parameters_json = limits.new_run(flow, run_id, tags=tags, parameters=parameters, namespace=namespace,
                                         username=username, origin_run_id=origin_run_id, status=status,
                                         created_at=created_at)
        (count,) = self._write([(
            "INSERT INTO runs (flow, run_id, status, created_at, tags, namespace, username, parameters, origin_run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (flow, run_id) DO NOTHING",
            (flow, run_id, status, created_at or rec.now_iso(), json.dumps(list(tags)), namespace, username,
             parameters_json, origin_run_id),
        )])
        return count == 1

    def update_run(self, flow: str, run_id: str, **fields: Any) -> None:
        if not fields:
            return
        rec.check_run_fields(fields)
        fields = limits.run_update(flow, run_id, fields)
        values = [json.dumps(value) if name == "tags" and value is not None else value for name, value in fields.items()]
        sets = ", ".join(f"{name} = ?" for name in fields)
        (count,) = self._write([(f"UPDATE runs SET {sets} WHERE flow = ? AND run_id = ?", (*values, flow, run_id))])
        if count == 0:
            raise NotFoundError(f"run {flow}/{run_id} does not exist in {self.url}")

    def get_run(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        rows = self._read(f"SELECT {_RUN_COLS} FROM runs WHERE flow = ? AND run_id = ?", (flow, run_id))
        return _run_record(rows[0]) if rows else None

    def list_runs(self, flow: str) -> List[Dict[str, Any]]:
        rows = self._read(
            f"SELECT {_RUN_COLS} FROM runs WHERE flow = ? ORDER BY created_at DESC, run_id DESC", (flow,)
        )
        return [_run_record(r) for r in rows]

    def list_runs_page(
        self,
        flow: str,
        *,
        status: Optional[str] = None,
        tag: Optional[str] = None,
        namespace: Optional[str] = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Tuple[List[Dict[str, Any]], int]:
        """Filtered and paged in SQL (the runs_by_time index gives the order): a page of 10,000 runs
        decodes 50 records, not 10,000."""
        where, args = ["flow = ?"], [flow]
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if tag is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value = ?)")
            args.append(tag)
        if namespace is not None:
            where.append("(namespace = ? OR EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value = ?))")
            args += [namespace, namespace]
        cond = " AND ".join(where)
        counted = self._read(f"SELECT COUNT(*) FROM runs WHERE {cond}", args)
        total = counted[0][0] if counted else 0  # no rows at all: the store was never written
        rows = self._read(
            f"SELECT {_RUN_COLS} FROM runs WHERE {cond} ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
            args + [int(limit), int(offset)],
        )
        return [_run_record(r) for r in rows], int(total)

    def list_flows(self) -> List[str]:
        return [r[0] for r in self._read("SELECT DISTINCT flow FROM runs ORDER BY flow")]

    # -- tasks and attempts ------------------------------------------------------------------
    def start_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        *,
        started_at: Optional[str] = None,
        info: Optional[Dict[str, Any]] = None,
    ) -> None:
        started_at = started_at or rec.now_iso()
        attempt = int(attempt)
        info_json = limits.attempt_start(flow, run_id, step, task_id, attempt, info)
        self._write([
            (
                "INSERT OR REPLACE INTO attempts (flow, run_id, step, task_id, attempt, status, started_at, info)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (flow, run_id, step, task_id, attempt, RUNNING, started_at, info_json),
            ),
            (
                "INSERT INTO tasks (flow, run_id, step, task_id, status, attempt, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (flow, run_id, step, task_id) DO UPDATE SET status = excluded.status,"
                " attempt = excluded.attempt, finished_at = NULL",
                (flow, run_id, step, task_id, RUNNING, attempt, started_at),
            ),
        ])

    def finish_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        *,
        status: str,
        finished_at: Optional[str] = None,
        cardinality: Optional[int] = None,
        choice: Optional[str] = None,
        next_visit: Optional[int] = None,
        error: Optional[str] = None,
    ) -> None:
        finished_at = finished_at or rec.now_iso()
        attempt = int(attempt)
        error = limits.attempt_finish(flow, run_id, step, task_id, attempt, choice=choice, error=error)
        task_sets = {"status": status, "attempt": attempt, "finished_at": finished_at}
        if status == SUCCEEDED:
            task_sets["successful_attempt"] = attempt
            if cardinality is not None:
                task_sets["cardinality"] = int(cardinality)
            if choice is not None:
                task_sets["choice"] = str(choice)
            if next_visit is not None:
                task_sets["next_visit"] = int(next_visit)
        cols = ", ".join(task_sets)
        marks = ", ".join("?" for _ in task_sets)
        updates = ", ".join(f"{c} = excluded.{c}" for c in task_sets)
        self._write([
            (
                "INSERT INTO attempts (flow, run_id, step, task_id, attempt, status, finished_at, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (flow, run_id, step, task_id, attempt)"
                " DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, error = excluded.error",
                (flow, run_id, step, task_id, attempt, status, finished_at, error),
            ),
            (
                f"INSERT INTO tasks (flow, run_id, step, task_id, {cols}) VALUES (?, ?, ?, ?, {marks})"
                f" ON CONFLICT (flow, run_id, step, task_id) DO UPDATE SET {updates}",
                (flow, run_id, step, task_id, *task_sets.values()),
            ),
        ])

    def get_task(self, flow: str, run_id: str, step: str, task_id: str) -> Optional[Dict[str, Any]]:
        rows = self._read(
            f"SELECT {_TASK_COLS} FROM tasks WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ?",
            (flow, run_id, step, task_id),
        )
        return dict(zip(rec.TASK_FIELDS, rows[0])) if rows else None

    def list_tasks(self, flow: str, run_id: str, step: Optional[str] = None) -> List[Dict[str, Any]]:
        if step is None:
            rows = self._read(f"SELECT {_TASK_COLS} FROM tasks WHERE flow = ? AND run_id = ?", (flow, run_id))
        else:
            rows = self._read(
                f"SELECT {_TASK_COLS} FROM tasks WHERE flow = ? AND run_id = ? AND step = ?", (flow, run_id, step)
            )
        return sorted((dict(zip(rec.TASK_FIELDS, r)) for r in rows), key=rec.task_sort_key)

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> List[Dict[str, Any]]:
        rows = self._read(
            f"SELECT {_ATTEMPT_COLS} FROM attempts WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ?"
            " ORDER BY attempt",
            (flow, run_id, step, task_id),
        )
        return [_attempt_record(r) for r in rows]


class _write:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): takes the write lock up front."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass


def _fix(exc: BaseException) -> Optional[str]:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "another process holds the metadata database for too long; retry, or check for a stuck process"
    if "readonly" in text or "unable to open" in text:
        return "check that the directory of the metadata database exists and is writable (SFNCOMPILE_ROOT)"
    if "malformed" in text:
        return "the metadata database is damaged; move it aside (its runs will no longer be listed)"
    return None
