"""Step sizes the stage's Batch compute cannot run are rejected before deploy; @kubernetes maps to Batch."""
from __future__ import annotations

import os
import textwrap
import subprocess
import sys

import pytest

from sfncompile.aws.compute import stage_compute
from sfncompile.compiler import DeploySettings, compile_flow
from sfncompile.compiler.compute import Compute, check_compute
from sfncompile.exceptions import CompileError, FlowDefinitionError

from ..graph.helpers import graph_of, line_of, write_flow


def _decorated_class(decorator: str) -> str:
    return decorator + "\n" + textwrap.dedent(_flow(""))


def _flow(decorators: str) -> str:
    return f"""
    class F(FlowSpec):
        {decorators}
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass
    """


@pytest.mark.parametrize(
    "decorators,kind,message",
    [
        ("@resources(cpu=1, memory=16384)", "fargate", "cpu=1 with memory=16384, which Fargate cannot run; "
         "with cpu=1 memory is 2048-8192 in steps of 1024"),
        ("@resources(cpu=3)", "fargate", "cpu=3, which Fargate does not offer; allowed cpu: 0.25, 0.5, 1, 2, 4, 8, 16"),
        ("@resources(memory=700)", "fargate", "cpu=1 with memory=700"),  # the base job definition's 1 vCPU
        ("@resources(gpu=1)", "fargate", "gpu=1, but Fargate has no GPUs"),
        ("@batch(gpu=2)", "ec2", "gpu=2, but this stage's EC2 instances have no GPUs"),
    ],
)
def test_sizes_the_compute_cannot_run(tmp_path, decorators, kind, message):
    path = write_flow(tmp_path, _flow(decorators))
    from sfncompile.graph import build_graph_from_file

    graph = build_graph_from_file(path)
    with pytest.raises(CompileError) as info:
        compile_flow(graph, DeploySettings(compute=Compute(kind)))
    text = str(info.value)
    assert message in text, text
    assert f"{path}:{line_of(path, 'def start')}" in text or f"{path}:{line_of(path, decorators)}" in text, text


@pytest.mark.parametrize(
    "decorators,kind",
    [
        ("@resources(cpu=0.25, memory=512)", "fargate"),
        ("@resources(cpu=8, memory=20480)", "fargate"),
        ("@resources(cpu=16, memory=122880)", "fargate"),
        ("@resources(cpu=3, memory=16384)", "ec2"),
        ("@resources(gpu=1, memory=16384)", "ec2-gpu"),
    ],
)
def test_sizes_the_compute_runs(tmp_path, decorators, kind):
    check_compute(graph_of(tmp_path, _flow(decorators)), Compute(kind))


def test_kubernetes_maps_to_batch_resources_and_image(tmp_path):
    graph = graph_of(
        tmp_path,
        _flow('@kubernetes(cpu=2, memory=8192, gpu=1, image="repo/img:1", node_selector={"a": "b"}, disk=10240)\n'
              "        @resources(cpu=4)"),
    )
    start = graph["start"]
    assert dict(start.decorators["resources"]) == {"cpu": 4, "memory": 8192, "gpu": 1}
    assert start.decorators["batch"]["image"] == "repo/img:1"
    result = compile_flow(graph)
    state = result.definition["States"]["start"]
    assert state["Parameters"]["ContainerOverrides"]["ResourceRequirements"] == [
        {"Type": "VCPU", "Value": "4"}, {"Type": "MEMORY", "Value": "8192"}, {"Type": "GPU", "Value": "1"},
    ]
    assert "start" in result.job_definitions
    notes = [str(w) for w in result.warnings]
    assert any("@kubernetes runs as an AWS Batch job" in n and "disk, node_selector have no effect" in n
               for n in notes), notes


def test_check_cli_notes_and_compute_option(tmp_path):
    path = write_flow(tmp_path, _flow("@kubernetes(cpu=1, memory=16384)"))
    sfn = [sys.executable, "-m", "sfncompile", "check", path]
    env = dict(os.environ)
    proc = subprocess.run(sfn, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "F: OK" in proc.stdout
    assert "note: step 'start': @kubernetes runs as an AWS Batch job" in proc.stderr
    assert "a Fargate stage (the default) rejects it at deploy" in proc.stderr
    proc = subprocess.run(sfn + ["--compute", "fargate"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "with cpu=1 memory is 2048-8192 in steps of 1024" in proc.stderr
    proc = subprocess.run(sfn + ["--compute", "ec2"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr


class _Batch:
    """AWS-shaped answers of describe_job_queues / describe_compute_environments."""

    def __init__(self, resources):
        self.resources = resources

    def describe_job_queues(self, jobQueues):
        return {"jobQueues": [{"jobQueueName": jobQueues[0],
                               "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "ce"}]}]}

    def describe_compute_environments(self, computeEnvironments):
        return {"computeEnvironments": [{"computeEnvironmentName": "ce", "computeResources": self.resources}]}


@pytest.mark.parametrize(
    "resources,kind",
    [
        ({"type": "FARGATE_SPOT"}, "fargate"),
        ({"type": "EC2", "instanceTypes": ["optimal"]}, "ec2"),
        ({"type": "SPOT", "instanceTypes": ["c5", "g5.xlarge"]}, "ec2-gpu"),
    ],
)
def test_stage_compute_from_the_job_queue(resources, kind):
    assert stage_compute(_Batch(resources), "queue") == Compute(kind)


@pytest.mark.parametrize(
    "cron,message",
    [
        ("60 12 * * ? *", "minutes 60 is out of range; allowed: 0-59"),
        ("0 24 * * ? *", "hours 24 is out of range; allowed: 0-23"),
        ("0 12 32 * ? *", "day-of-month 32 is out of range; allowed: 1-31"),
        ("0 12 ? 13 MON *", "month 13 is out of range; allowed: 1-12 or JAN-DEC"),
        ("0 12 ? * 8 *", "day-of-week 8 is out of range; allowed: 1-7 or SUN-SAT"),
        ("0 12 * * ? 1969-2000", "year 1969 is out of range; allowed: 1970-2199"),
    ],
)
def test_cron_fields_out_of_range(tmp_path, cron, message):
    path = write_flow(tmp_path, _decorated_class(f'@schedule(cron="{cron}")'))
    from sfncompile.graph import build_graph_from_file

    with pytest.raises(FlowDefinitionError) as info:
        build_graph_from_file(path)
    assert message in str(info.value)
    assert info.value.line == line_of(path, "@schedule")


def test_cron_fields_in_range(tmp_path):
    for cron in ("0/15 0-23 ? JAN-DEC MON-FRI *", "59 23 L * ? 2199", "0 8 ? * 6#3 *", "0 8 15W * ? *"):
        graph_of(tmp_path, _decorated_class(f'@schedule(cron="{cron}")'))
