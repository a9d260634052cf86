"""Task processes make their metadata calls through the scheduler's open store (local/relay.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from sfncompile import Flow
from sfncompile.client import backend as client_backend
from sfncompile.local import relay
from sfncompile.storage.dynamodb_metadata import DynamoDbMetadataStore
from sfncompile.storage.factory import open_stores
from sfncompile.storage.sqlite_metadata import SqliteMetadataStore

from .helpers import flow_path


def test_task_processes_open_no_metadata_connection_and_their_records_land(start_method):
    done = subprocess.run([sys.executable, "-m", "sfncompile", "run", flow_path("relay_flow"), "--max-workers", "2"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    client_backend.reset()
    run = Flow("RelayFlow").latest_run
    seen = run.data.seen
    assert sorted(seen) == ["body1", "body2", "body3", "end", "join", "start"]
    assert [name for name, (_, connected) in seen.items() if connected] == []
    # Every attempt was recorded (through the scheduler) as the task process's own, and succeeded.
    recorded = 0
    for step in run:
        for task in step:
            mine = [k for k in task.data.seen if k.startswith("body")] if step.id == "body" else [step.id]
            own = task.data.seen[mine[0]]
            assert task.successful and str(task.metadata_dict["pid"]) == str(own[0]), task.pathspec
            recorded += 1
    assert recorded == 6


def test_the_scheduler_makes_only_metadata_store_calls(tmp_path):
    store = SqliteMetadataStore(str(tmp_path / "metadata.sqlite"))
    store.create_run("F", "1", username="u", namespace="user:u")
    assert relay.serve(store, ("metadata", "get_run", ("F", "1"), {}))["run_id"] == "1"
    for payload in (("metadata", "close", (), {}), ("metadata", "_write", ([],), {}), ("other", "get_run", (), {})):
        with pytest.raises(ValueError, match="does not answer"):
            relay.serve(store, payload)


def test_only_local_stores_are_relayed_and_only_in_a_task_process(tmp_path):
    assert SqliteMetadataStore.relay_from_task_processes is True
    assert DynamoDbMetadataStore.relay_from_task_processes is False  # the scheduler would serialise round trips
    stores = open_stores(f"file:{tmp_path}/store", f"sqlite:{tmp_path}/metadata.sqlite")
    assert relay.for_task(stores) is stores  # not in a task process: nobody to ask

