"""The client calls Metaflow's tutorials use: tags, parents, metadata, ordering, entry points."""
from __future__ import annotations

import os
import platform
from datetime import datetime

import pytest

from sfncompile import Flow, Metaflow, Run, Step, Task, get_metadata, namespace
from sfncompile.exception import MetaflowNamespaceMismatch, MetaflowNotFound, MetaflowTaggingError

from ..local.helpers import run_flow


@pytest.fixture
def hello():
    outcome, _ = run_flow("hello", tags=["exp1"])
    assert outcome.ok
    return Run(f"HelloFlow/{outcome.run_id}")


def test_system_and_user_tags(hello):
    assert hello.user_tags == {"exp1"}
    assert {"user:tester", "runtime:local", f"python_version:{platform.python_version()}"} <= hello.system_tags
    assert any(t.startswith("sfncompile_version:") for t in hello.system_tags)
    assert hello.tags == hello.user_tags | hello.system_tags
    assert isinstance(hello.tags, frozenset)
    assert hello["hello"].tags == hello.tags and hello["hello"].task.user_tags == {"exp1"}


def test_tag_methods_persist(hello):
    hello.add_tag("best")
    hello.add_tags(["a", "b"])
    hello.remove_tag("a")
    hello.replace_tag("b", "c")
    hello.remove_tag("never-there")
    assert Run(hello.pathspec).user_tags == {"exp1", "best", "c"}
    assert [r.id for r in Flow("HelloFlow").runs("best")] == [hello.id]
    with pytest.raises(MetaflowTaggingError, match="system tags"):
        hello.remove_tag("user:tester")
    with pytest.raises(MetaflowTaggingError, match="system tags"):
        hello.add_tag("runtime:sfn")
    with pytest.raises(MetaflowTaggingError, match="non-empty"):
        hello.add_tag("")
    assert "user:tester" in Run(hello.pathspec).tags


def test_parents_and_root(hello):
    task = hello["hello"].task
    assert isinstance(task.parent, Step) and task.parent.pathspec == f"{hello.pathspec}/hello"
    assert isinstance(task.parent.parent, Run) and task.parent.parent.id == hello.id
    assert isinstance(hello.parent, Flow) and hello.parent.name == "HelloFlow"
    assert hello.parent.parent is None
    run_flow("linear")
    assert [f.name for f in Metaflow().flows] == ["HelloFlow", "LinearFlow"]
    root = os.environ["SFNCOMPILE_ROOT"]
    assert get_metadata() == f"local@{root}"


def test_task_metadata_and_environment(hello):
    task = hello["hello"].task
    meta = task.metadata_dict
    assert meta["attempt"] == "0" and meta["attempt_ok"] == "True" and meta["attempt-done"] == "0"
    assert meta["python_version"] == platform.python_version() and meta["runtime"] == "local"
    names = [m.name for m in task.metadata]
    assert names[0] == "attempt" and all(m.task is task for m in task.metadata)
    env = task.environment_info
    assert env["type"] == "local" and env["python_version"] == platform.python_version()
    assert env["host"] == os.uname().nodename
    assert hello["hello"].environment_info == env
    assert hello.code is None and task.code is None  # local files, no code package (as in Metaflow)


def test_timestamps_are_naive_local_and_order_newest_first(hello):
    assert hello.created_at.tzinfo is None and task_time(hello).tzinfo is None
    assert abs((datetime.now() - hello.created_at).total_seconds()) < 120
    assert [s.name for s in hello.steps()] == ["end", "hello", "start"]
    second, _ = run_flow("hello")
    assert [r.id for r in Flow("HelloFlow")][:2] == [second.run_id, hello.id]


def task_time(run: Run) -> datetime:
    return run["end"].task.finished_at


def test_namespace_mismatch_is_its_own_error(hello, monkeypatch):
    namespace("user:someone-else")
    with pytest.raises(MetaflowNamespaceMismatch, match="namespace"):
        Run(hello.pathspec)
    namespace(None)
    with pytest.raises(MetaflowNotFound):
        Task(f"{hello.pathspec}/hello/9")


def test_reading_creates_no_files_and_finds_the_store_upward(tmp_path, monkeypatch):
    from sfncompile.client import backend

    monkeypatch.delenv("SFNCOMPILE_ROOT")
    project = tmp_path / "project"
    deep = project / "notebooks" / "week1"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    backend.reset()
    with pytest.raises(MetaflowNotFound, match="has no runs"):
        Flow("HelloFlow")
    assert not (deep / ".sfncompile").exists()
    monkeypatch.chdir(project)
    outcome, _ = run_flow("hello")
    assert (project / ".sfncompile" / "metadata.sqlite").exists()
    monkeypatch.chdir(deep)
    backend.reset()
    assert Flow("HelloFlow").latest_run.id == outcome.run_id
    assert not (deep / ".sfncompile").exists()


def test_library_logger_is_silent_by_default_and_reports_a_broken_aws_config(hello, caplog, tmp_path, monkeypatch):
    import logging

    from sfncompile.client import backend

    root = logging.getLogger("sfncompile")
    assert any(isinstance(h, logging.NullHandler) for h in root.handlers)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    monkeypatch.setenv("SFNCOMPILE_CONFIG", str(broken))
    backend.reset()
    with caplog.at_level(logging.WARNING, logger="sfncompile"):
        assert [r.id for r in Flow("HelloFlow")] == [hello.id]
    assert any("Step Functions runs are not readable" in r.getMessage() and r.name == "sfncompile.client.backend"
               for r in caplog.records)
