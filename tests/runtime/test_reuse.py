"""A Step Functions task that already succeeded is reused, not run again (redrive, duplicate Batch jobs)."""
from __future__ import annotations

import textwrap

import pytest

from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.runtime.task import TaskSettings, run_task
from sfncompile.storage.factory import open_stores

FLOW = '''
import os
from sfncompile import FlowSpec, step


def _count(name):
    with open(os.environ["REUSE_COUNTER"], "a") as out:
        out.write(name + "\\n")


class ReuseFlow(FlowSpec):
    @step
    def start(self):
        _count("start")
        self.items = [1, 2, 3]
        self.next(self.route)

    @step
    def route(self):
        _count("route")
        self.way = "left"
        self.next({"left": self.left, "right": self.right}, condition="way")

    @step
    def left(self):
        _count("left")
        if os.path.exists(os.environ["REUSE_COUNTER"] + ".fail"):
            raise RuntimeError("left fails while the marker exists")
        self.next(self.end)

    @step
    def right(self):
        self.next(self.end)

    @step
    def end(self):
        _count("end")
        self.total = sum(self.items)
'''


@pytest.fixture
def flow(tmp_path, monkeypatch):
    path = tmp_path / "reuse_flow.py"
    path.write_text(textwrap.dedent(FLOW))
    counter = tmp_path / "counter.txt"
    monkeypatch.setenv("REUSE_COUNTER", str(counter))
    cls = load_flow_class(str(path))
    stores = open_stores(f"local:{tmp_path / 'store'}", f"sqlite:{tmp_path / 'meta.db'}")
    graph = build_graph(cls)
    settings = TaskSettings(username="tester", namespace="user:tester", echo=False, echo_traceback=False)

    def run(step, run_id, attempt=0):
        return run_task(cls, graph, step, run_id, "0", attempt, stores=stores, settings=settings,
                        run_params={} if step == "start" else None)

    def ran():
        return counter.read_text().split() if counter.exists() else []

    return run, ran, stores, counter


def test_a_succeeded_sfn_task_is_reused_and_its_code_does_not_run_again(flow, capsys):
    run, ran, stores, _ = flow
    first = run("start", "sfn-exec1")
    assert first.ok and first.reused_attempt is None
    route = run("route", "sfn-exec1")
    assert route.choice == "left"
    assert ran() == ["start", "route"]
    capsys.readouterr()

    again = run("start", "sfn-exec1")  # a redrive re-enters start, or Batch delivered the job twice
    assert again.ok and again.reused_attempt == 0
    again_route = run("route", "sfn-exec1", attempt=1)
    assert again_route.ok and again_route.reused_attempt == 0 and again_route.choice == "left"
    assert ran() == ["start", "route"]  # user code ran once
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "[ReuseFlow/sfn-exec1/start/0] already succeeded in attempt 0: reused, not run again",
        "[ReuseFlow/sfn-exec1/route/0] already succeeded in attempt 0: reused, not run again",
    ]
    # Nothing was recorded again: no attempt 1, the task still points at attempt 0.
    task = stores.metadata.get_task("ReuseFlow", "sfn-exec1", "route", "0")
    assert (task["status"], task["attempt"], task["successful_attempt"], task["choice"]) == ("SUCCEEDED", 0, 0, "left")
    assert [a["attempt"] for a in stores.metadata.list_attempts("ReuseFlow", "sfn-exec1", "route", "0")] == [0]


def test_a_failed_task_runs_again_and_the_reused_end_remarks_the_run(flow):
    run, ran, stores, counter = flow
    marker = counter.parent / (counter.name + ".fail")
    marker.write_text("")
    assert run("start", "sfn-exec2").ok and run("route", "sfn-exec2").ok
    assert not run("left", "sfn-exec2").ok
    marker.unlink()
    # The redrive: every task is entered again; only the failed one runs its code.
    assert all(run(step, "sfn-exec2").ok for step in ("start", "route", "left", "end"))
    assert ran() == ["start", "route", "left", "left", "end"]
    assert stores.metadata.get_run("ReuseFlow", "sfn-exec2")["status"] == "SUCCEEDED"

    # `sfncompile redrive` sets the run RUNNING; the reused end task marks it SUCCEEDED again.
    stores.metadata.update_run("ReuseFlow", "sfn-exec2", status="RUNNING", finished_at=None)
    end = run("end", "sfn-exec2")
    assert end.reused_attempt == 0 and end.run_succeeded
    assert stores.metadata.get_run("ReuseFlow", "sfn-exec2")["status"] == "SUCCEEDED"
    assert ran() == ["start", "route", "left", "left", "end"]


def test_local_runs_are_not_affected(flow):
    run, ran, _, _ = flow
    assert run("start", "1700000000000-local").ok
    again = run("start", "1700000000000-local", attempt=1)
    assert again.ok and again.reused_attempt is None
    assert ran() == ["start", "start"]


def test_a_redriven_task_keeps_its_failed_attempt(flow):
    """A redrive restarts the retry count at 0: the new try is stored as attempt 1, attempt 0 stays."""
    run, ran, stores, counter = flow
    assert run("start", "sfn-exec3").ok and run("route", "sfn-exec3").ok
    marker = counter.with_name(counter.name + ".fail")
    marker.write_text("")
    failed = run("left", "sfn-exec3", attempt=0)
    assert not failed.ok and failed.attempt == 0
    marker.unlink()
    redriven = run("left", "sfn-exec3", attempt=0)  # Step Functions says RetryCount 0 again
    assert redriven.ok and redriven.attempt == 1
    attempts = stores.metadata.list_attempts("ReuseFlow", "sfn-exec3", "left", "0")
    assert [(a["attempt"], a["status"]) for a in attempts] == [(0, "FAILED"), (1, "SUCCEEDED")]
    assert stores.metadata.get_task("ReuseFlow", "sfn-exec3", "left", "0")["successful_attempt"] == 1
    assert b"left fails while the marker exists" in stores.artifacts.get_log("ReuseFlow", "sfn-exec3", "left", "0", 0, "stderr")
