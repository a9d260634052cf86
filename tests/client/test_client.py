"""The client: navigation, namespaces, errors for unknown names, integrity, the backend seam."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest

from sfncompile import DataArtifact, Flow, Run, Step, Task, default_namespace, get_namespace, namespace
from sfncompile.exceptions import IntegrityError, NotFoundError

from ..local.helpers import run_flow


@pytest.fixture
def hello():
    outcome, _ = run_flow("hello")
    assert outcome.ok
    return Run(f"HelloFlow/{outcome.run_id}")


def test_navigation(hello):
    flow = Flow("HelloFlow")
    assert [r.id for r in flow.runs()] == [hello.id]
    assert flow.latest_run.id == hello.id
    assert flow.latest_successful_run.id == hello.id
    assert flow[hello.id].pathspec == hello.pathspec
    assert [s.name for s in hello] == ["end", "hello", "start"]  # newest first, as in Metaflow
    assert isinstance(hello["hello"], Step)
    task = hello["hello"].task
    assert isinstance(task, Task) and task.pathspec == f"HelloFlow/{hello.id}/hello/0"
    assert task.data.message == "hello, world"
    assert task["message"].data == "hello, world"
    art = task["message"]
    assert isinstance(art, DataArtifact) and art.type == "str" and art.size > 0 and len(art.sha) == 64
    assert sorted(a.name for a in task.artifacts) == ["greeting", "message"]
    assert task.artifacts.greeting.data == "hello"
    assert "greeting" in task.data and "nope" not in task
    assert task.successful and task.finished and task.status == "SUCCEEDED"
    assert task.index is None and task.foreach_stack == ()
    assert [p.pathspec for p in task.parent_tasks] == [f"HelloFlow/{hello.id}/start/0"]
    assert task.exception is None
    assert isinstance(hello.created_at, datetime) and isinstance(hello.finished_at, datetime)
    assert hello.finished_at >= hello.created_at
    assert hello.namespace == "user:tester" and hello.username == "tester"
    assert Task(task.pathspec).data.greeting == "hello"
    assert Step(f"{hello.pathspec}/end").task.id == "0"
    assert hello.data.message == "hello, world"


def test_tags_and_runs_filter():
    a, _ = run_flow("linear", tags=["exp1", "fast"])
    b, _ = run_flow("linear")
    flow = Flow("LinearFlow")
    assert [r.id for r in flow.runs()] == [b.run_id, a.run_id]
    assert [r.id for r in flow.runs("exp1")] == [a.run_id]
    assert Run(f"LinearFlow/{a.run_id}").user_tags == {"exp1", "fast"}


def test_namespaces(hello, monkeypatch):
    assert get_namespace() == default_namespace() == "user:tester"
    monkeypatch.setenv("SFNCOMPILE_USERNAME", "alice")
    namespace(default_namespace())
    flow = Flow("HelloFlow")  # the flow exists, but no run is in alice's namespace
    assert flow.runs() == [] and flow.latest_run is None
    with pytest.raises(NotFoundError, match="is in namespace 'user:tester', not in the current namespace 'user:alice'"):
        Run(hello.pathspec)
    namespace(None)
    assert [r.id for r in Flow("HelloFlow").runs()] == [hello.id]
    assert Run(hello.pathspec).data.message == "hello, world"
    namespace("user:tester")
    assert Run(hello.pathspec).successful


def test_unknown_names(hello):
    with pytest.raises(NotFoundError, match="flow 'NoSuchFlow' has no runs") as e:
        Flow("NoSuchFlow")
    assert "HelloFlow" in str(e.value)
    with pytest.raises(NotFoundError, match="run HelloFlow/123 does not exist") as e:
        Run("HelloFlow/123")
    assert hello.id in str(e.value)
    with pytest.raises(NotFoundError, match="malformed"):
        Run("HelloFlow")
    with pytest.raises(NotFoundError, match="has no step 'train'") as e:
        hello["train"]
    assert "start, hello, end" in str(e.value)
    with pytest.raises(NotFoundError, match="has no task '7'") as e:
        hello["hello"]["7"]
    with pytest.raises(NotFoundError, match="has no task '7'"):
        Task(f"{hello.pathspec}/hello/7")
    with pytest.raises(NotFoundError, match="has no step 'nope'"):
        Task(f"{hello.pathspec}/nope/0")
    with pytest.raises(NotFoundError, match="has no artifact 'nope'") as e:
        hello["hello"].task["nope"]
    assert "greeting, message" in str(e.value)
    with pytest.raises(AttributeError, match="has no artifact 'nope'"):
        hello.data.nope


def test_corrupted_blob_is_detected(hello):
    art = hello["hello"].task["message"]
    root = os.environ["SFNCOMPILE_ROOT"]
    path = os.path.join(root, "HelloFlow", "blobs", art.sha[:2], art.sha)
    assert os.path.exists(path)
    with open(path, "r+b") as fh:
        data = bytearray(fh.read())
        data[-2] ^= 0xFF
        fh.seek(0)
        fh.write(data)
    with pytest.raises(IntegrityError, match="corrupted"):
        Run(hello.pathspec)["hello"].task.data.message


def test_store_written_before_the_index_moved_is_read(hello):
    """A run whose attempts keep their index at <task>/<attempt>/artifacts.json (the layout before
    <step>/<task>.<attempt>.json) reads as before, and resume reuses its tasks."""
    from sfncompile.runtime.artifacts import _ATTEMPT_CACHE
    from sfncompile.storage.keys import legacy_marker_key, marker_key

    root = os.environ["SFNCOMPILE_ROOT"]
    for step in ("start", "hello", "end"):
        new = os.path.join(root, marker_key("HelloFlow", hello.id, step, "0", 0))
        legacy = os.path.join(root, legacy_marker_key("HelloFlow", hello.id, step, "0", 0))
        os.makedirs(os.path.dirname(legacy), exist_ok=True)
        os.rename(new, legacy)
    _ATTEMPT_CACHE.clear()
    run = Run(hello.pathspec)
    assert run["hello"].task.data.message == "hello, world"
    assert run["start"].task.successful and run.data.message == "hello, world"
    outcome, _ = run_flow("hello", resume=True, origin_run_id=hello.id, resume_step="hello")
    assert outcome.ok
    resumed = Run(f"HelloFlow/{outcome.run_id}")
    assert resumed["start"].task.data.greeting == "hello"  # cloned from the old layout, stored in the new one
    assert os.path.exists(os.path.join(root, marker_key("HelloFlow", outcome.run_id, "start", "0", 0)))
    assert resumed["hello"].task.data.message == "hello, world"


def test_failed_task_exception_and_logs():
    outcome, _ = run_flow("errors_flow", {"mode": "empty"})
    run = Run(f"ErrorsFlow/{outcome.run_id}")
    assert not run.successful and run.finished and run.status == "FAILED"
    assert run.data is None
    task = run["fan"].task
    assert not task.successful and task.status == "FAILED"
    exc = task.exception
    assert exc is not None and "self.items is empty" in exc.message
    assert "self.items is empty" in task.stderr
    with pytest.raises(NotFoundError, match="has not succeeded"):
        task["items"]
    assert Flow("ErrorsFlow").latest_successful_run is None


def test_foreach_tasks_and_lineage():
    outcome, _ = run_flow("nested_foreach3")
    run = Run(f"NestedForeach3Flow/{outcome.run_id}")
    tasks = sorted(run["c"].tasks(), key=lambda t: t.foreach_stack)
    assert [t.id for t in tasks][:4] == ["0.0.0", "0.0.1", "0.0.2", "0.1.0"]
    assert tasks[5].foreach_stack == (0, 1, 2) and tasks[5].index == 2
    join = run["join_c"]["1.1"]
    assert [p.id for p in join.parent_tasks] == ["1.1.0", "1.1.1", "1.1.2"]


def test_client_imports_no_boto3_and_reads_quickly(hello):
    code = (
        "import sys, time; t=time.perf_counter(); from sfncompile import Flow; "
        "v = Flow('HelloFlow').latest_run.data.message; "
        "print(v, 'boto3' in sys.modules, 'jsonschema' in sys.modules, round(time.perf_counter()-t, 3))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[:4] == ["hello,", "world", "False", "False"]


def test_backend_seam_for_step_functions_runs(hello, tmp_path):
    """A provider registered for Step Functions runs: sfn-* run ids come from it; listings merge."""
    from sfncompile.client import Backend, register_backend_provider
    from sfncompile.storage.factory import open_stores

    remote = open_stores(f"local:{tmp_path / 'remote'}", f"sqlite:{tmp_path / 'remote' / 'meta.db'}")
    remote.metadata.create_run("HelloFlow", "sfn-exec-1", username="tester", namespace="user:tester",
                               created_at="2999-01-01T00:00:00.000Z")
    register_backend_provider(lambda: Backend(remote, "aws"))
    run = Run("HelloFlow/sfn-exec-1")
    assert run.status == "RUNNING" and run._backend.name == "aws"
    assert [r.id for r in Flow("HelloFlow").runs()] == ["sfn-exec-1", hello.id]
    assert Flow("HelloFlow").latest_successful_run.id == hello.id
