"""The metadata contract: run on SQLite and on DynamoDB (moto), with identical records."""
from __future__ import annotations

import pytest

from sfncompile.exceptions import NotFoundError
from sfncompile.storage.interfaces import FAILED, RUNNING, SUCCEEDED

FLOW = "TrainFlow"


def _run(meta, run_id, created_at, **kw):
    meta.create_run(FLOW, run_id, username="ann", namespace="user:ann", created_at=created_at, **kw)


def test_run_lifecycle(backend):
    meta = backend.metadata
    assert meta.get_run(FLOW, "r1") is None
    _run(meta, "r1", "2024-05-01T10:00:00.000Z", tags=["a", "b"], parameters={"alpha": 0.3, "n": 2})
    assert meta.get_run(FLOW, "r1") == {
        "flow": FLOW, "run_id": "r1", "status": RUNNING, "created_at": "2024-05-01T10:00:00.000Z",
        "finished_at": None, "tags": ["a", "b"], "namespace": "user:ann", "username": "ann",
        "parameters": {"alpha": 0.3, "n": 2}, "origin_run_id": None, "failed_step": None, "error": None,
        "scheduler_pid": None, "scheduler_host": None, "heartbeat_at": None,
    }
    meta.update_run(FLOW, "r1", status=FAILED, failed_step="train", error="boom",
                    finished_at="2024-05-01T10:05:00.000Z", tags=["a"])
    run = meta.get_run(FLOW, "r1")
    assert (run["status"], run["failed_step"], run["error"], run["tags"]) == (FAILED, "train", "boom", ["a"])
    meta.update_run(FLOW, "r1", status=RUNNING, failed_step=None, error=None, finished_at=None)  # redrive
    run = meta.get_run(FLOW, "r1")
    assert (run["status"], run["failed_step"], run["error"], run["finished_at"]) == (RUNNING, None, None, None)
    with pytest.raises(ValueError):
        meta.update_run(FLOW, "r1", colour="red")
    with pytest.raises(NotFoundError):
        meta.update_run(FLOW, "nope", status=FAILED)
    assert meta.get_run(FLOW, "nope") is None


def test_a_store_nothing_was_written_to_pages_as_empty(backend):
    # Locally, reading must not create the database: an empty page, not an error (the UI's first listing).
    assert backend.metadata.list_runs_page(FLOW) == ([], 0)
    assert backend.metadata.list_runs_page(FLOW, namespace="user:ann", status=RUNNING) == ([], 0)


def test_create_run_is_idempotent(backend):
    meta = backend.metadata
    _run(meta, "r1", "2024-05-01T10:00:00.000Z", parameters={"x": 1}, origin_run_id="r0")
    meta.create_run(FLOW, "r1", username="bob", namespace="user:bob", parameters={"x": 2})
    run = meta.get_run(FLOW, "r1")
    assert (run["username"], run["parameters"], run["origin_run_id"]) == ("ann", {"x": 1}, "r0")
    assert len(meta.list_runs(FLOW)) == 1


def test_list_runs_newest_first_and_flows(backend):
    meta = backend.metadata
    # local ids sort by time; sfn- ids (execution names) need created_at
    _run(meta, "20240501T100000000-aa", "2024-05-01T10:00:00.000Z")
    _run(meta, "sfn-zzz", "2024-05-01T09:00:00.000Z")
    _run(meta, "sfn-aaa", "2024-05-01T11:00:00.000Z")
    _run(meta, "20240501T120000000-bb", "2024-05-01T12:00:00.000Z")
    meta.create_run("OtherFlow", "x", username="u", namespace="user:u")
    assert [r["run_id"] for r in meta.list_runs(FLOW)] == [
        "20240501T120000000-bb", "sfn-aaa", "20240501T100000000-aa", "sfn-zzz",
    ]
    assert meta.list_runs("NoSuchFlow") == []
    assert meta.list_flows() == ["OtherFlow", FLOW]


def test_task_and_attempt_lifecycle(backend):
    meta = backend.metadata
    _run(meta, "r1", "2024-05-01T10:00:00.000Z")
    meta.start_attempt(FLOW, "r1", "split", "0", 0, started_at="2024-05-01T10:00:01.000Z", info={"host": "h1"})
    task = meta.get_task(FLOW, "r1", "split", "0")
    assert task == {
        "flow": FLOW, "run_id": "r1", "step": "split", "task_id": "0", "status": RUNNING, "attempt": 0,
        "successful_attempt": None, "cardinality": None, "choice": None, "next_visit": None,
        "started_at": "2024-05-01T10:00:01.000Z", "finished_at": None,
    }
    meta.finish_attempt(FLOW, "r1", "split", "0", 0, status=FAILED, finished_at="2024-05-01T10:00:02.000Z",
                        error="Traceback ...")
    assert meta.get_task(FLOW, "r1", "split", "0")["status"] == FAILED
    meta.start_attempt(FLOW, "r1", "split", "0", 1, started_at="2024-05-01T10:00:03.000Z")
    running = meta.get_task(FLOW, "r1", "split", "0")
    assert (running["status"], running["attempt"], running["finished_at"]) == (RUNNING, 1, None)
    meta.finish_attempt(FLOW, "r1", "split", "0", 1, status=SUCCEEDED, finished_at="2024-05-01T10:00:04.000Z",
                        cardinality=3, choice="left", next_visit=2)
    assert meta.get_task(FLOW, "r1", "split", "0") == {
        "flow": FLOW, "run_id": "r1", "step": "split", "task_id": "0", "status": SUCCEEDED, "attempt": 1,
        "successful_attempt": 1, "cardinality": 3, "choice": "left", "next_visit": 2,
        "started_at": "2024-05-01T10:00:01.000Z", "finished_at": "2024-05-01T10:00:04.000Z",
    }
    assert meta.list_attempts(FLOW, "r1", "split", "0") == [
        {"flow": FLOW, "run_id": "r1", "step": "split", "task_id": "0", "attempt": 0, "status": FAILED,
         "started_at": "2024-05-01T10:00:01.000Z", "finished_at": "2024-05-01T10:00:02.000Z",
         "error": "Traceback ...", "info": {"host": "h1"}},
        {"flow": FLOW, "run_id": "r1", "step": "split", "task_id": "0", "attempt": 1, "status": SUCCEEDED,
         "started_at": "2024-05-01T10:00:03.000Z", "finished_at": "2024-05-01T10:00:04.000Z",
         "error": None, "info": {}},
    ]
    assert meta.get_task(FLOW, "r1", "split", "9") is None
    assert meta.list_attempts(FLOW, "r1", "split", "9") == []


def test_list_tasks_order_and_step_filter(backend):
    meta = backend.metadata
    _run(meta, "r1", "2024-05-01T10:00:00.000Z")
    for step, task in [("train", "10"), ("train", "2"), ("train", "1.2"), ("train", "1"), ("train2", "0"),
                       ("a", "v1"), ("a", "v0")]:
        meta.start_attempt(FLOW, "r1", step, task, 0)
        meta.finish_attempt(FLOW, "r1", step, task, 0, status=SUCCEEDED)
    meta.start_attempt(FLOW, "r1", "train", "1", 1)  # a second attempt of 1: still one task
    listed = [(t["step"], t["task_id"]) for t in meta.list_tasks(FLOW, "r1")]
    assert listed == [("a", "v0"), ("a", "v1"), ("train", "1"), ("train", "1.2"), ("train", "2"),
                      ("train", "10"), ("train2", "0")]
    assert [t["task_id"] for t in meta.list_tasks(FLOW, "r1", "train")] == ["1", "1.2", "2", "10"]
    assert meta.list_tasks(FLOW, "r1", "nope") == [] and meta.list_tasks(FLOW, "r2") == []
    assert [a["attempt"] for a in meta.list_attempts(FLOW, "r1", "train", "1")] == [0, 1]  # not 1.2's


def test_finish_without_start_creates_the_task(backend):
    meta = backend.metadata
    meta.finish_attempt(FLOW, "r1", "end", "0", 0, status=SUCCEEDED)
    task = meta.get_task(FLOW, "r1", "end", "0")
    assert (task["status"], task["successful_attempt"]) == (SUCCEEDED, 0)
    assert task["finished_at"].endswith("Z") and len(task["finished_at"]) == len("2024-05-01T10:00:00.000Z")


def test_a_long_error_is_clipped_by_the_utf8_bytes_dynamodb_counts(backend):
    """40,000 '€' are 120,000 bytes: DynamoDB's item size counts bytes, so the error keeps at most
    ERROR_BYTES of them (its head and tail), whatever the characters; SQLite keeps the same."""
    from sfncompile.storage.record_limits import ERROR_BYTES

    meta = backend.metadata
    _run(meta, "r1", "2024-05-01T10:00:00.000Z")
    error = "€" * 40_000
    meta.update_run(FLOW, "r1", status=FAILED, error=error)
    stored = meta.get_run(FLOW, "r1")["error"]
    assert stored.startswith("€" * 10_000) and stored.endswith("€" * 10_000)
    assert "bytes cut" in stored and len(stored.encode("utf-8")) <= ERROR_BYTES
