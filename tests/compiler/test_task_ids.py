"""Task ids by simulation: the compiled machine runs exactly the tasks the graph IR says.

For every shape and foreach mode, the ASL interpreter (asl_sim.py) runs the compiled
definition while scripted.py plays the runtime; the tasks it submits to Batch must be
exactly ``scripted.expected_tasks`` - built from ``taskid.render_task_id`` and
``transitions.next_values`` - with the right commands.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from .asl_sim import Simulator, execution_arn
from .helpers import ALL_FLOWS, MODE_SETTINGS, compile_path, deployable, flow_id, graph_of
from .scripted import Script, expected_tasks


@pytest.mark.parametrize("mode", sorted(MODE_SETTINGS))
@pytest.mark.parametrize("path", ALL_FLOWS, ids=flow_id)
def test_compiled_machine_runs_exactly_the_graphs_tasks(path, mode):
    graph = graph_of(path)
    script = Script(graph)
    sim = Simulator(deployable(compile_path(path, **MODE_SETTINGS[mode]), graph), script, execution="e-1")
    status, detail = sim.run()
    assert status == "SUCCEEDED", detail
    expected = expected_tasks(graph, script)
    assert Counter((j.step, j.task) for j in sim.jobs) == Counter(t.key for t in expected)
    assert {j.run for j in sim.jobs} == {"sfn-e-1"}
    assert {j.attempt for j in sim.jobs} == {0}
    for job in sim.jobs:
        if job.step == "start":
            assert job.command == [
                "sfncompile", "task", "start", "--run-id", "sfn-e-1", "--task-id", job.task,
                "--attempt", "0", "--execution-arn", execution_arn("e-1"),
            ]
        else:
            assert job.command is None  # the job definition's command, filled through Ref::


def test_loop_visits_get_new_task_ids():
    path = [p for p in ALL_FLOWS if p.endswith("examples/loop.py")][0]
    graph = graph_of(path)
    sim = Simulator(deployable(compile_path(path), graph), Script(graph, loops=2))
    assert sim.run()[0] == "SUCCEEDED"
    assert [(j.step, j.task) for j in sim.jobs] == [
        ("start", "0"),
        ("work", "v0"), ("check", "v0"),
        ("work", "v1"), ("check", "v1"),
        ("work", "v2"), ("check", "v2"),
        ("end", "0"),
    ]


def test_start_task_gets_the_execution_not_the_run_parameters():
    """The parameters stay in the execution's input (the start task reads them there): however large,
    the start job's command is the same."""
    path = [p for p in ALL_FLOWS if p.endswith("examples/parameters.py")][0]
    graph = graph_of(path)
    params = {"alpha": 0.5, "label": "it's {braces}" * 10_000, "grid": {"depth": [1]}}
    sim = Simulator(deployable(compile_path(path), graph), Script(graph), execution="e-2",
                    input={"parameters": params})
    assert sim.run()[0] == "SUCCEEDED"
    start = sim.jobs[0]
    assert start.command[-2:] == ["--execution-arn", execution_arn("e-2")]
    assert "braces" not in json.dumps(start.command)


def test_retry_resubmits_with_the_next_attempt_and_its_interval():
    path = [p for p in ALL_FLOWS if p.endswith("examples/train.py")][0]
    graph = graph_of(path)
    script = Script(graph, loops=0, failures={("fit", "v0.1"): 1})
    sim = Simulator(deployable(compile_path(path), graph), script)
    assert sim.run()[0] == "SUCCEEDED"
    fits = [(j.task, j.attempt) for j in sim.jobs if j.step == "fit"]
    assert fits == [("v0.0", 0), ("v0.1", 0), ("v0.1", 1), ("v0.2", 0)]
    assert sim.retry_waits == [("fit", 1)]  # @retry(minutes_between_retries=0): the 1 s minimum


@pytest.mark.parametrize("mode", ["auto", "auto-wide"])
@pytest.mark.parametrize(
    "flow, step, task",
    [("examples/hello.py", "hello", "0"), ("examples/branch.py", "square", "0"),
     ("examples/foreach.py", "square", "1"), ("tests/flows/nested_foreach3.py", "c", "1.0.2"),
     ("tests/flows/loop_in_foreach.py", "bump", "2.v1")],
)
def test_a_failed_step_fails_the_execution_in_its_own_task_state(flow, step, task, mode):
    """No Catch, no recorder: the failing Task is the execution's unsuccessful state (redrive resumes there)."""
    path = [p for p in ALL_FLOWS if p.endswith(flow)][0]
    graph = graph_of(path)
    script = Script(graph, failures={(step, task): None})
    definition = deployable(compile_path(path, **MODE_SETTINGS[mode]), graph)
    text = json.dumps(definition)
    assert '"Catch"' not in text and "dynamodb:updateItem" not in text
    sim = Simulator(definition, script, execution="e-2")
    status, failure = sim.run()
    assert status == "FAILED"
    # a Distributed Map reports its failed child execution as a tolerated-failure excess
    assert failure.error in ("States.TaskFailed", "States.ExceedToleratedFailureThreshold")
    assert sim.run_updates == [], "the state machine writes no run status: the task and readers do"
    assert (step, task) in [(j.step, j.task) for j in sim.jobs]
    assert "end" not in [j.step for j in sim.jobs]