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
from sfncompile.compiler.batch_limits import SUBMIT_JOB_PAYLOAD_LIMIT
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


@pytest.mark.parametrize("size", [SUBMIT_JOB_PAYLOAD_LIMIT, 9_000])
def test_parameters_past_the_start_jobs_container_overrides_are_rejected_before_anything_starts(
        deployed, moto_aws, size):
    """Batch takes a 20 KB command (its payload limit is 30 KiB), but ECS runs the job only with
    8,192 characters of overrides: the run would fail at its first job."""
    config, stores, result = deployed
    with pytest.raises(ParameterError, match="ECS runs a Batch job only with at most 8,192"):
        trigger_module.trigger(FLOW, {"label": "x" * size}, config=config)
    assert stores.metadata.list_runs(FLOW) == []
    assert _executions(moto_aws, result.state_machine_arn) == []


def test_parameters_within_the_start_jobs_limits_start(deployed, moto_aws):
    config, stores, result = deployed
    started = trigger_module.trigger(FLOW, {"label": "x" * 7_000}, config=config)  # fits: starts
    assert started.run_id.startswith("sfn-")
