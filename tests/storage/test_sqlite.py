"""SQLite specifics: concurrent worker processes, fork safety, index use."""
from __future__ import annotations

import json
import multiprocessing
import os

from sfncompile.storage.interfaces import SUCCEEDED
from sfncompile.storage.sqlite_metadata import SqliteMetadataStore

FLOW = "ConcurrentFlow"
WORKERS = 4
ATTEMPTS = 200


def _worker(path: str, worker: int) -> None:
    meta = SqliteMetadataStore(path)
    # every worker races to create the database, its schema and the run (idempotent)
    meta.create_run(FLOW, "r1", username=f"u{worker}", namespace="user:u")
    for i in range(ATTEMPTS):
        task_id = f"{worker}.{i}"
        meta.start_attempt(FLOW, "r1", "work", task_id, 0, info={"worker": worker})
        meta.finish_attempt(FLOW, "r1", "work", task_id, 0, status=SUCCEEDED, cardinality=i)
    meta.update_run(FLOW, "r1", tags=[f"w{worker}"])


def test_concurrent_writer_processes(tmp_path):
    path = str(tmp_path / "fresh" / "meta.sqlite")  # does not exist yet
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(path, w)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * WORKERS  # no 'database is locked' in any worker
    meta = SqliteMetadataStore(path)
    assert len(meta.list_runs(FLOW)) == 1
    tasks = meta.list_tasks(FLOW, "r1", "work")
    assert len(tasks) == WORKERS * ATTEMPTS
    assert all(t["status"] == SUCCEEDED and t["successful_attempt"] == 0 for t in tasks)
    assert meta._read("PRAGMA journal_mode")[0][0] == "wal"


def _child(path, queue):
    try:
        meta = _shared[0]
        meta.start_attempt(FLOW, "r1", "child", "0", 0)
        queue.put(("ok", os.getpid(), meta._pid))
    except Exception as exc:  # pragma: no cover - reported to the parent
        queue.put(("error", repr(exc), None))


_shared = []


def test_connection_is_reopened_after_fork(tmp_path):
    if "fork" not in multiprocessing.get_all_start_methods():
        return
    meta = SqliteMetadataStore(str(tmp_path / "meta.sqlite"))
    meta.create_run(FLOW, "r1", username="u", namespace="user:u")  # parent connection open
    _shared[:] = [meta]
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(meta.path, queue))
    proc.start()
    status, pid, conn_pid = queue.get(timeout=30)
    proc.join(30)
    assert status == "ok" and pid == conn_pid != os.getpid()
    assert meta.get_task(FLOW, "r1", "child", "0")["status"] == "RUNNING"  # parent still works


def test_listings_use_indexes(tmp_path):
    meta = SqliteMetadataStore(str(tmp_path / "meta.sqlite"))
    meta.create_run(FLOW, "r1", username="u", namespace="user:u")
    plans = [
        meta._read("EXPLAIN QUERY PLAN SELECT * FROM runs WHERE flow = ? ORDER BY created_at DESC, run_id DESC", (FLOW,)),
        meta._read("EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE flow = ? AND run_id = ?", (FLOW, "r1")),
        meta._read("EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE flow = ? AND run_id = ? AND step = ?", (FLOW, "r1", "s")),
    ]
    for plan in plans:
        text = " ".join(str(row[-1]) for row in plan)
        assert "SEARCH" in text and "SCAN" not in text, text


def test_a_version_1_database_gains_the_liveness_columns(tmp_path):
    import sqlite3

    from sfncompile.storage.sqlite_metadata import SqliteMetadataStore

    path = str(tmp_path / "old.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE runs (flow TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT, created_at TEXT,"
        " finished_at TEXT, tags TEXT, namespace TEXT, username TEXT, parameters TEXT, origin_run_id TEXT,"
        " failed_step TEXT, error TEXT, PRIMARY KEY (flow, run_id)) WITHOUT ROWID"
    )
    conn.execute("INSERT INTO runs (flow, run_id, status) VALUES ('F', 'r1', 'RUNNING')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    meta = SqliteMetadataStore(path)
    meta.update_run("F", "r1", scheduler_pid=42, scheduler_host="h", heartbeat_at="2026-01-01T00:00:00.000Z")
    run = meta.get_run("F", "r1")
    assert (run["status"], run["scheduler_pid"], run["scheduler_host"]) == ("RUNNING", 42, "h")
    meta.close()


def _statements_of_a_fresh_connection(meta: SqliteMetadataStore) -> list:
    """In this process: the SQL a new connection of ``meta`` runs for one read (traced)."""
    import sqlite3

    seen: list = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(seen.append)
        return conn

    sqlite3.connect = traced
    try:
        assert meta.get_run(FLOW, "r1")["run_id"] == "r1"
    finally:
        sqlite3.connect = connect
    return seen


def test_a_forked_process_trusts_its_parents_schema_check(tmp_path):
    """A task process forked from a process that checked the schema opens its connection without
    reading it again (a read transaction per task); a store opened anew still checks."""
    meta = SqliteMetadataStore(str(tmp_path / "meta.sqlite"))
    meta.create_run(FLOW, "r1", username="u", namespace="user:u")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            inherited = _statements_of_a_fresh_connection(meta)
            fresh = _statements_of_a_fresh_connection(SqliteMetadataStore(meta.path))
            os.write(write, json.dumps([inherited, fresh]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        inherited, fresh = json.loads(fh.read())
    os.waitpid(pid, 0)
    assert not any("user_version" in s for s in inherited), inherited
    assert not any("busy_timeout" in s for s in inherited + fresh)  # connect(timeout=) sets it
    assert any("user_version" in s for s in fresh), fresh
    assert any(s.startswith("SELECT") for s in inherited)
