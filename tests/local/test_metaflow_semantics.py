"""foreach_stack frames, current.parameter_names, local @retry delay, TimeoutException: as in Metaflow."""
from __future__ import annotations

import time

from sfncompile import Run
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.runtime.decorators import retry_policy

from .helpers import flow_path, run_flow


def test_foreach_stack_parameter_names_retry_and_timeout():
    began = time.time()
    outcome, text = run_flow("semantics_flow")
    assert outcome.ok, text
    assert time.time() - began < 60  # the retry did not wait Step Functions' default 2 minutes
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    start = run["start"].task
    assert start.data.names == ["alpha", "beta"]
    assert start.data.outside == []
    expected = [[(i, 2, x), (j, 3, y)] for i, x in enumerate("ab") for j, y in enumerate((10, 20, 30))]
    assert [list(s) for s in run["join_outer"].task.data.stacks] == expected
    flaky = run["flaky"].task
    assert [a["status"] for a in flaky.attempts()] == ["FAILED", "SUCCEEDED"]
    assert run["slow"].task.data.timed_out == "TimeoutException"


def test_retry_waits_locally_only_when_minutes_are_given():
    graph = build_graph(load_flow_class(flow_path("semantics_flow")))
    assert retry_policy(graph["flaky"]) == (1, 0.0)
    assert dict(graph["flaky"].decorators["retry"])["minutes_between_retries"] == 2  # Step Functions keeps it
    retry_graph = build_graph(load_flow_class(flow_path("retry_flow")))
    assert retry_policy(retry_graph["flaky"]) == (2, 0.6)


def test_timeout_exception_importable_where_metaflow_users_look():
    import sfncompile
    from sfncompile.exception import TimeoutException

    assert sfncompile.TimeoutException is TimeoutException
    assert "TimeoutException" in sfncompile.__all__
