"""Deployer on emulated AWS: deploy, trigger, wait, read the run back (and its code package)."""
from __future__ import annotations

import os

from sfncompile import Deployer

from ..conftest import EXAMPLES
from .test_end_to_end import aws  # noqa: F401 - the emulated stack fixture


def test_deployer_deploy_trigger_wait_run(aws):  # noqa: F811
    deployed = Deployer(os.path.join(EXAMPLES, "train.py")).deploy()
    assert deployed.flow_name == "TrainFlow" and deployed.state_machine_arn.endswith(f":{deployed.name}")
    triggered = deployed.trigger(alpha=0.3, tags=["from-python"])
    assert triggered.pathspec.startswith("TrainFlow/sfn-")
    assert triggered.wait(timeout=240, poll=0.2) == "SUCCEEDED"
    assert triggered.status == "SUCCEEDED"
    run = triggered.run
    assert run.successful and run.parameters["alpha"] == 0.3
    assert run.user_tags == {"from-python"} and "runtime:sfn" in run.system_tags
    task = run["start"].task
    assert task.environment_info["runtime"] == "sfn"
    code = run.code
    assert code is not None and "class TrainFlow" in code.flowspec
    assert code.sha256 == task.metadata_dict["code_sha256"]
    assert Deployer(os.path.join(EXAMPLES, "train.py")).step_functions().create().changes == []


def test_local_run_into_the_configured_aws_stores(aws):  # noqa: F811
    out = aws.cli("run", os.path.join(EXAMPLES, "hello.py"), "--datastore", "s3", "--quiet")
    pathspec, status = out.stdout.split()
    assert status == "SUCCEEDED"
    run = aws.run(*pathspec.split("/"))
    assert run._backend.name == "aws" and run.data.message == "hello, world"
    assert "runtime:local" in run.system_tags
