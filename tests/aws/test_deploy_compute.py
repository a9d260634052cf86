"""deploy reads the stage's compute from its job queue and rejects step sizes it cannot run, before any change."""
from __future__ import annotations

import pytest

from sfncompile.aws.compute import stage_compute
from sfncompile.aws.deploy import deploy
from sfncompile.compiler.compute import Compute
from sfncompile.exceptions import CompileError

FLOW = '''
from sfncompile import FlowSpec, resources, step


class BigFlow(FlowSpec):
    @resources(cpu=1, memory=16384)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def _fargate_queue(moto_aws) -> str:
    ec2, batch, iam = moto_aws.client("ec2"), moto_aws.client("batch"), moto_aws.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="fargate-test", Description="test", VpcId=vpc)["GroupId"]
    role = iam.create_role(RoleName="fargate-test-batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    env = batch.create_compute_environment(
        computeEnvironmentName="fargate-test", type="MANAGED", state="ENABLED", serviceRole=role,
        computeResources={"type": "FARGATE", "maxvCpus": 16, "subnets": [subnet], "securityGroupIds": [group]},
    )["computeEnvironmentArn"]
    return batch.create_job_queue(
        jobQueueName="fargate-test", state="ENABLED", priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}],
    )["jobQueueArn"]


def test_deploy_rejects_a_size_fargate_cannot_run(aws_environ, aws_stack, tmp_path, moto_aws):
    queue = _fargate_queue(moto_aws)
    assert stage_compute(moto_aws.client("batch"), queue) == Compute("fargate")
    # the emulated stage's own queue is UNMANAGED: its kind cannot be told, so nothing is checked
    assert stage_compute(moto_aws.client("batch"), aws_stack["job_queue"]) is None
    flow = tmp_path / "big_flow.py"
    flow.write_text(FLOW)
    config = dict(aws_stack, job_queue=queue)
    with pytest.raises(CompileError, match="cpu=1 with memory=16384, which Fargate cannot run"):
        deploy(str(flow), config=config)
    assert not moto_aws.client("stepfunctions").list_state_machines()["stateMachines"]
