"""trigger and redrive start only this stage's sfncompile machines, reject oversized
parameters before anything starts, and never leave a RUNNING run when StartExecution fails.

In-process against the emulated stack (tests/support): deploy, then tamper or inject.
"""
from __future__ import annotations

import json
import os

import pytest
from botocore.exceptions import ClientError

from sfncompile.aws import config as cfg
from sfncompile.aws import trigger as trigger_module
from sfncompile.aws.deploy import deploy
from sfncompile.aws.executions import redrive
from sfncompile.aws.manifest import manifest_key
from sfncompile.aws.start_guard import EXECUTION_INPUT_LIMIT, execution_input
from sfncompile.exceptions import ConfigError, ParameterError

pytest_plugins = ["tests.support.fixtures"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOW_FILE = os.path.join(ROOT, "examples", "parameters.py")
FLOW = "ParametersFlow"


@pytest.fixture
def deployed(aws_config):
    config = aws_config
    result = deploy(FLOW_FILE, config=config)
    stores = cfg.stores(config)
    return config, stores, result


def _executions(moto_aws, arn):
    return moto_aws.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def test_a_failed_start_execution_leaves_no_running_run(deployed, moto_aws, monkeypatch):
    config, stores, result = deployed
    real_client = trigger_module.client

    class Refusing:
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            return getattr(self._inner, name)

        def start_execution(self, **kwargs):
            raise ClientError({"Error": {"Code": "ExecutionLimitExceeded", "Message": "too many"}}, "StartExecution")

    monkeypatch.setattr(trigger_module, "client", lambda service, conf: Refusing(real_client(service, conf)))
    with pytest.raises(Exception, match="too many|ExecutionLimitExceeded"):
        trigger_module.trigger(FLOW, {"label": "x"}, config=config)
    runs = stores.metadata.list_runs(FLOW)
    assert len(runs) == 1
    assert runs[0]["status"] == "FAILED" and runs[0]["error"].startswith("never started")
    assert _executions(moto_aws, result.state_machine_arn) == []


def test_a_tampered_manifest_cannot_point_trigger_or_redrive_elsewhere(deployed, moto_aws):
    config, stores, result = deployed
    sfn = moto_aws.client("stepfunctions")
    other = sfn.create_state_machine(
        name="someone-elses-machine", roleArn=config["state_machine_role_arn"],
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        tags=[{"key": "sfncompile:flow", "value": FLOW}],
    )["stateMachineArn"]
    key = manifest_key(FLOW, result.name)
    manifest = json.loads(stores.objects.get_bytes(key))
    stores.objects.put_bytes(key, json.dumps({**manifest, "state_machine_arn": other}).encode())
    with pytest.raises(ConfigError, match="refusing to start it"):
        trigger_module.trigger(FLOW, {"label": "x"}, config=config)
    stores.objects.put_bytes(key, json.dumps({**manifest, "name": "someone-elses-machine"}).encode())
    with pytest.raises(ConfigError, match="refusing to start it"):
        trigger_module.trigger(FLOW, {"label": "x"}, config=config)
    with pytest.raises(ConfigError, match="refusing to start it"):
        redrive(FLOW, "sfn-anything", config=config)
    assert _executions(moto_aws, other) == [] and stores.metadata.list_runs(FLOW) == []


def test_an_untagged_machine_is_not_started(deployed, moto_aws):
    config, stores, result = deployed
    moto_aws.client("stepfunctions").untag_resource(resourceArn=result.state_machine_arn, tagKeys=["sfncompile:flow"])
    with pytest.raises(ConfigError, match="not tagged sfncompile:flow=ParametersFlow"):
        trigger_module.trigger(FLOW, {"label": "x"}, config=config)
    assert _executions(moto_aws, result.state_machine_arn) == []


def test_parameters_past_step_functions_input_limit_are_refused_before_anything_starts(deployed, moto_aws):
    config, stores, result = deployed
    with pytest.raises(ParameterError) as refused:
        trigger_module.trigger(FLOW, {"label": "x" * EXECUTION_INPUT_LIMIT}, config=config)
    error = refused.value
    assert "\n" not in error.message and "IncludeFile" in error.fix
    assert error.message.startswith(f"the parameters of {FLOW}: the execution input would be 262,")
    assert error.message.endswith("Step Functions starts an execution only with at most 262,144")
    assert stores.metadata.list_runs(FLOW) == []
    assert _executions(moto_aws, result.state_machine_arn) == []


@pytest.mark.slow
def test_parameters_of_100_kb_reach_the_start_task_intact(deployed, moto_aws):
    """Past ECS's 8,192 characters of container overrides, where a command line cannot carry them:
    the start task reads them from the execution's input, and the run's steps see every value."""
    config, stores, result = deployed
    label = "é\"'{}$$.\\ " * 8_000 + "end"  # 96 KB of characters JSON, a shell or ASL would quote
    grid = {f"k{i}": list(range(i % 7)) for i in range(400)}
    started = trigger_module.trigger(FLOW, {"label": label, "grid": json.dumps(grid), "epochs": "9"}, config=config)
    assert len(execution_input({"label": label, "grid": grid}).encode()) > 100_000
    assert trigger_module.wait_for(started, config=config, poll_seconds=0.2, say=lambda _m: None) == "SUCCEEDED"
    [start_job] = [job for job in moto_aws.batch_jobs() if job.command[2] == "start"]
    assert start_job.command[-2:] == ["--execution-arn", started.execution_arn]
    from sfncompile import Run, namespace
    from sfncompile.client import backend

    backend.reset()
    namespace(None)
    summary = Run(f"{FLOW}/{started.run_id}")["end"].task.data.summary
    assert summary == {"alpha": 0.1, "epochs": 9, "verbose": False, "grid": grid, "label": label, "notes": None}
