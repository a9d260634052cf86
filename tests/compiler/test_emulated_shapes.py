"""Compiled shapes running on emulated Step Functions (moto, tests/support) with instant Batch jobs.

Instant jobs run no code, so ``RuntimeStandIn`` writes what the runtime would write for
control flow - the task item's ``cardinality`` / ``choice`` in DynamoDB and the split's
``foreach.json`` manifest in S3 - from a :class:`scripted.Script`, and fails the
attempts the script says fail. Each test checks which Batch jobs were submitted, in
an order the graph allows, and the exact command each one got.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from sfncompile.compiler import DeploySettings, compile_flow, values_from_config
from sfncompile.compiler.jobparams import JOB_PARAMETER_DEFAULTS
from sfncompile.graph.ir import FOREACH, SWITCH

from tests.support.aws_resources import TASK_COMMAND

from .helpers import ALL_FLOWS, COMPILER_FLOWS, EXAMPLES, SHAPES, flow_id, graph_of
from .scripted import Script, expected_tasks

pytest_plugins = ["tests.support.fixtures"]
pytestmark = pytest.mark.batch_mode("instant")

WIDTH = 2  # items per foreach: enough to see every shape, few jobs
UNUSUAL = [p for p in COMPILER_FLOWS if p.endswith(("switch_exits.py", "loops_at_joins.py"))]
# loop.py has its own test (the exact order of its jobs).
GENERIC = [p for p in EXAMPLES + SHAPES + UNUSUAL if not p.endswith("/loop.py")]


class RuntimeStandIn:
    """The harness's per-job hook: record control data like the runtime, decide exit codes."""

    def __init__(self, server: Any, config: Dict[str, str], graph: Any, script: Script) -> None:
        self.server, self.config, self.graph, self.script = server, config, graph, script

    def __call__(self, record: Any, batch_attempt: int) -> int:
        command = record.command
        step, run = command[2], command[command.index("--run-id") + 1]
        task = command[command.index("--task-id") + 1]
        attempt = int(command[command.index("--attempt") + 1])
        if self.script.fails(step, task, attempt):
            return 1
        node = self.graph[step]
        item: Dict[str, Any] = {"pk": {"S": f"RUN#{self.graph.name}#{run}"}, "sk": {"S": f"TASK#{step}#{task}"}}
        if node.transition == FOREACH:
            n = self.script.cardinality(step, task)
            item["cardinality"] = {"N": str(n)}
            key = f"{self.config['prefix']}/{self.graph.name}/runs/{run}/{step}/{task}/foreach.json"
            self.server.client("s3").put_object(Bucket=self.config["bucket"], Key=key, Body=json.dumps(list(range(n))))
        if node.transition == SWITCH:
            item["choice"] = {"S": self.script.choice(step, task)}
        self.server.client("dynamodb").put_item(TableName=self.config["table"], Item=item)
        return 0


def run_flow(server, config, path: str, script: Optional[Script] = None, extra_values=None, **settings):
    graph = graph_of(path)
    script = script or Script(graph, width=WIDTH)
    values = dict(values_from_config(config, graph.name), **(extra_values or {}))
    result = compile_flow(graph, DeploySettings(substitutions=values, **settings))
    server.batch.on_job = RuntimeStandIn(server, config, graph, script)
    arn = server.create_state_machine(result.definition, name=f"{config['state_machine_prefix']}{graph.name}")
    execution = f"e-{graph.name.lower()}"
    description = server.run_execution(arn, {"parameters": {"n": 1}}, timeout=60, name=execution)
    return graph, script, description, server.batch_jobs(), f"sfn-{execution}"


def command_for(step: str, task: str, run: str, attempt: int = 0, execution_arn: str = "") -> List[str]:
    """The command a job of ``step`` gets; the start job's names its execution (its input holds the parameters)."""
    command = ["sfncompile", "task", step, "--run-id", run, "--task-id", task, "--attempt", str(attempt)]
    return command + (["--execution-arn", execution_arn] if step == "start" else [])


def assert_runs_the_graphs_tasks(graph, script, description, jobs, run, stack):
    assert description["status"] == "SUCCEEDED", description
    expected = expected_tasks(graph, script)
    submitted = [(j.command[2], j.command[j.command.index("--task-id") + 1]) for j in jobs]
    assert sorted(submitted) == sorted(t.key for t in expected), "each task exactly once"
    position = {key: i for i, key in enumerate(submitted)}
    for task in expected:
        for before in task.after:
            assert position[before] < position[task.key], f"{task.key} was submitted before {before}"
    for job in jobs:
        step, task = job.command[2], job.command[job.command.index("--task-id") + 1]
        assert job.command == command_for(step, task, run, execution_arn=description["executionArn"])
        # Named after its step; the flow and the stage are its tags (the stack tag is what
        # lets the state machine role stop it).
        assert job.job_name == step
        assert job.tags == {"sfncompile:flow": graph.name, "sfncompile:stack": stack}


@pytest.mark.parametrize("path", GENERIC, ids=flow_id)
def test_shape_runs_its_tasks_in_order(aws_stack, moto_aws, path):
    assert_runs_the_graphs_tasks(*run_flow(moto_aws, aws_stack, path), aws_stack["stack"])


@pytest.mark.parametrize(
    "name, width, settings",
    [("tests/flows/loop_in_foreach.py", WIDTH, {"inline_max_items": 1}),
     ("tests/flows/switch_in_foreach.py", WIDTH, {"inline_max_items": 1}),
     ("tests/flows/branch_in_foreach.py", WIDTH, {"inline_max_items": 1}),
     # Distributed Maps three deep, one item each (moto runs every child execution in threads).
     ("tests/flows/nested_foreach3.py", 1, {"default_foreach_mode": "distributed"}),
     # auto, nested: the outer foreach runs inline (one item), the nested ones as Distributed Maps.
     ("tests/flows/nested_foreach3.py", 1, {}),
     # auto, nested: the outer foreach is too wide to run inline, so all three are Distributed Maps.
     ("tests/flows/nested_foreach3.py", 2, {"inline_max_items": 1})],
)
def test_wide_foreach_runs_as_distributed_map(aws_stack, moto_aws, name, width, settings):
    path = next(p for p in ALL_FLOWS if p.endswith(name))
    script = Script(graph_of(path), width=width)
    graph, script, description, jobs, run = run_flow(moto_aws, aws_stack, path, script, **settings)
    assert_runs_the_graphs_tasks(graph, script, description, jobs, run, aws_stack["stack"])
    history = moto_aws.execution_history(description["executionArn"])
    assert any(e["type"] == "MapRunStarted" for e in history), "the Distributed Map ran"


def test_loop_runs_a_step_three_times_with_new_task_ids(aws_stack, moto_aws):
    """(loop.py's run in full: the exact order of its jobs.)"""
    path = next(p for p in EXAMPLES if p.endswith("/loop.py"))
    graph, script, description, jobs, run = run_flow(moto_aws, aws_stack, path)
    assert description["status"] == "SUCCEEDED"
    assert [j.command for j in jobs] == [
        command_for(step, task, run, execution_arn=description["executionArn"])
        for step, task in [("start", "0"), ("work", "v0"), ("check", "v0"), ("work", "v1"), ("check", "v1"),
                           ("work", "v2"), ("check", "v2"), ("end", "0")]
    ]


def create_step_batch_resources(server: Any) -> str:
    """What deploy creates for DecoratedFlow's @batch(image=..., queue="gpu-queue") step: its job definition ARN."""
    batch = server.client("batch")
    arn = batch.register_job_definition(
        jobDefinitionName="sfncompile-test-DecoratedFlow-score_one", type="container",
        parameters=dict(JOB_PARAMETER_DEFAULTS),
        containerProperties={"image": "python:3.11-slim", "command": list(TASK_COMMAND),
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "2048"}]},
    )["jobDefinitionArn"]
    environment = batch.describe_compute_environments()["computeEnvironments"][0]["computeEnvironmentArn"]
    batch.create_job_queue(jobQueueName="gpu-queue", state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}])
    return arn


def attempt_of(job: Any) -> int:
    return int(job.command[job.command.index("--attempt") + 1])


def test_retry_resubmits_the_failed_task_with_the_next_attempt(aws_stack, moto_aws):
    image_definition = create_step_batch_resources(moto_aws)
    path = next(p for p in COMPILER_FLOWS if p.endswith("decorated.py"))
    graph = graph_of(path)
    script = Script(graph, width=WIDTH, failures={("fit", "1"): 1})  # fit/1 fails once
    graph, script, description, jobs, run = run_flow(
        moto_aws, aws_stack, path, script, extra_values={"JobDefinition_score_one": image_definition}
    )
    assert description["status"] == "SUCCEEDED", description
    assert_runs_the_graphs_tasks(graph, script, description, [j for j in jobs if attempt_of(j) == 0], run,
                                 aws_stack["stack"])
    fit_1 = [j for j in jobs if j.command[2] == "fit" and j.command[6] == "1"]
    assert [j.command for j in fit_1] == [command_for("fit", "1", run, 0), command_for("fit", "1", run, 1)]
    assert [attempt_of(j) for j in jobs if attempt_of(j) > 0] == [1], "only fit/1 ran twice"
    assert moto_aws.retry_sleeps.requested == [30]  # @retry(minutes_between_retries=0.5), no jitter
    # what @resources, @environment and @timeout reached Batch with
    fit = fit_1[0]
    assert fit.effective_resources == {"VCPU": "2", "MEMORY": "4096", "GPU": "1"}
    assert {k: v for k, v in fit.environment_overrides.items() if k != "MANAGED_BY_AWS"} == {
        "ALPHA": "0.1", "MODE": "fast"}
    assert fit.timeout_seconds == 60
    # and @batch(image=..., queue=..., cpu=..., memory=...)
    score = next(j for j in jobs if j.command[2] == "score_one")
    assert score.job_definition == image_definition and score.job_queue == "gpu-queue"
    assert score.effective_resources == {"VCPU": "0.5", "MEMORY": "512"}


@pytest.mark.parametrize("where", ["top", "distributed"])
def test_failed_step_is_the_executions_unsuccessful_state(aws_stack, moto_aws, where):
    """The failing step's own Task state fails the execution: nothing catches it, nothing records it."""
    name, step, task = ("examples/hello.py", "hello", "0") if where == "top" else ("examples/foreach.py", "square", "1")
    path = next(p for p in EXAMPLES if p.endswith(name))
    graph = graph_of(path)
    script = Script(graph, width=WIDTH, failures={(step, task): None})
    graph, script, description, jobs, run = run_flow(moto_aws, aws_stack, path, script, inline_max_items=1)
    assert description["status"] == "FAILED"
    history = moto_aws.execution_history(description["executionArn"])
    failed = [e for e in history if e["type"] in ("TaskFailed", "MapRunFailed")]
    assert failed, "a Task (or the Map Run holding it) failed"
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    # top: the step's Task; foreach: the Distributed Map whose child execution failed in the step's Task.
    assert entered[-1] == (step if where == "top" else f"{graph[step].scope[-1].name} distributed")
    assert not any(name.endswith((" failed", "record failure", "run failed")) for name in entered)
    assert "end" not in [j.command[2] for j in jobs]


@pytest.mark.parametrize("name", ["examples/hello.py", "examples/branch.py", "examples/foreach.py"])
def test_cost_model_counts_the_transitions_an_execution_makes(aws_stack, moto_aws, name):
    """The model's transitions equal the states the emulated execution entered (its history)."""
    from sfncompile.compiler.cost import cost_model

    path = next(p for p in EXAMPLES if p.endswith(name))
    graph, script, description, jobs, run = run_flow(moto_aws, aws_stack, path)
    assert description["status"] == "SUCCEEDED", description
    history = moto_aws.execution_history(description["executionArn"])
    entered = [e for e in history if e["type"].endswith("StateEntered")]
    definition = compile_flow(graph).definition
    model = cost_model(graph, definition, width=WIDTH)
    assert model.transitions == len(entered)
    assert model.batch_jobs == len(jobs)
