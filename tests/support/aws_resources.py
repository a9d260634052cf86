"""Create, on the emulator, what the infra CDK stack creates, and the config that
``sfncompile configure --stack`` would write for it (docs/internals.md, "AWS configuration").

    config = create_stack(server)            # {"region": ..., "bucket": ..., "job_queue": ..., ...}
    path = write_config(config, tmp_path / "config.json")

Names follow infra/sfncompile_infra for stage "test" where the brief does not pin
them (bucket ``sfncompile-test-datastore``, table ``sfncompile-test-metadata``, job queue
``sfncompile-test``, job definition ``sfncompile-test``). The compute environment is
UNMANAGED (moto needs no VPC for it; no job ever reaches it - the harness runs jobs as
local subprocesses). The job definition mirrors infra/sfncompile_infra/batch.py: the
task command, the base environment, 1 vCPU / 2048 MiB, awslogs, and the platform-only
retry strategy (values copied, because importing the infra package needs aws_cdk).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Union

from sfncompile.compiler.jobparams import JOB_COMMAND, JOB_PARAMETER_DEFAULTS

STAGE = "test"
STACK_NAME = f"sfncompile-{STAGE}"
NAME_PREFIX = f"sfncompile-{STAGE}-"
BUCKET = f"sfncompile-{STAGE}-datastore"
DATASTORE_PREFIX = "sfncompile"
TABLE = f"sfncompile-{STAGE}-metadata"
JOB_QUEUE = f"sfncompile-{STAGE}"
JOB_DEFINITION = f"sfncompile-{STAGE}"
COMPUTE_ENVIRONMENT = f"sfncompile-{STAGE}"
BATCH_LOG_GROUP = f"/sfncompile/{STAGE}/batch-jobs"
STATE_MACHINE_LOG_GROUP = f"/aws/vendedlogs/states/sfncompile-{STAGE}"
ECR_REPOSITORY = f"sfncompile-{STAGE}"

# docs/internals.md, "The task command"; what infra/sfncompile_infra/batch.py registers.
TASK_COMMAND = list(JOB_COMMAND)

# infra/sfncompile_infra/batch.py: Batch retries only what the platform broke.
RETRY_STRATEGY = {
    "attempts": 3,
    "evaluateOnExit": [
        {"onStatusReason": "Host EC2*", "action": "RETRY"},
        {"onReason": "CannotPullContainerError*", "action": "RETRY"},
        {"onReason": "ResourceInitializationError*", "action": "RETRY"},
        {"onExitCode": "*", "action": "EXIT"},
        {"onReason": "*", "action": "EXIT"},
    ],
}

# The keys of the config file, in the order of docs/internals.md.
CONFIG_KEYS = (
    "region", "stack", "bucket", "prefix", "table", "job_queue", "job_definition",
    "job_role_arn", "execution_role_arn", "state_machine_role_arn", "scheduler_role_arn",
    "batch_log_group", "state_machine_log_group", "image", "state_machine_prefix",
    "event_bus", "trigger_role_boundary_arn",
)


def _trust(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    })


def _role(iam: Any, name: str, service: str, policy: Dict[str, Any]) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="sfncompile", PolicyDocument=json.dumps(policy))
    return arn


def _allow(actions: list, resources: list) -> Dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]}


def push_runtime_image(ecr: Any, tag: str = "latest") -> str:
    """Put an image manifest into the stage's repository, as `sfncompile image push` would; returns its digest."""
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                   "digest": "sha256:" + "0" * 64},
        "layers": [],
    })
    return ecr.put_image(repositoryName=ECR_REPOSITORY, imageManifest=manifest, imageTag=tag)["image"]["imageId"][
        "imageDigest"]


def create_stack(server: Any, *, job_definition_environment: Optional[Dict[str, str]] = None,
                 push_image: bool = True) -> Dict[str, str]:
    """Create the stage's resources on ``server`` (a MotoServer, or anything with
    ``client(service)``, ``region`` and ``account_id``) and return the config dict,
    shaped exactly like the config file (keys :data:`CONFIG_KEYS`).

    ``job_definition_environment`` is laid over the job definition's base environment.
    ``push_image`` puts a runtime image into the repository (deploy pins its digest).
    """
    region, account = server.region, server.account_id
    s3, ddb, iam = server.client("s3"), server.client("dynamodb"), server.client("iam")
    batch, logs, ecr = server.client("batch"), server.client("logs"), server.client("ecr")

    if region == "us-east-1":
        s3.create_bucket(Bucket=BUCKET)
    else:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    logs.create_log_group(logGroupName=BATCH_LOG_GROUP)
    logs.create_log_group(logGroupName=STATE_MACHINE_LOG_GROUP)
    sm_log_group_arn = next(
        g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=STATE_MACHINE_LOG_GROUP)["logGroups"]
        if g["logGroupName"] == STATE_MACHINE_LOG_GROUP
    )
    image = ecr.create_repository(repositoryName=ECR_REPOSITORY)["repository"]["repositoryUri"] + ":latest"
    if push_image:
        push_runtime_image(ecr)

    bucket_arn = f"arn:aws:s3:::{BUCKET}"
    table_arn = f"arn:aws:dynamodb:{region}:{account}:table/{TABLE}"
    job_role = _role(iam, f"{NAME_PREFIX}job", "ecs-tasks.amazonaws.com", _allow(
        ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "dynamodb:GetItem", "dynamodb:PutItem",
         "dynamodb:UpdateItem", "dynamodb:Query"],
        [bucket_arn, f"{bucket_arn}/*", table_arn]))
    execution_role = _role(iam, f"{NAME_PREFIX}execution", "ecs-tasks.amazonaws.com", _allow(
        ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], ["*"]))
    state_machine_role = _role(iam, f"{NAME_PREFIX}state-machine", "states.amazonaws.com", _allow(
        ["batch:SubmitJob", "batch:DescribeJobs", "batch:TerminateJob", "events:PutTargets", "events:PutRule",
         "events:DescribeRule", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "s3:GetObject",
         "states:StartExecution"], ["*"]))
    scheduler_role = _role(iam, f"{NAME_PREFIX}scheduler", "scheduler.amazonaws.com", _allow(
        ["states:StartExecution"], [f"arn:aws:states:{region}:{account}:stateMachine:{NAME_PREFIX}*"]))
    # infra/sfncompile_infra/triggers.py: the stage's event bus and the trigger roles' boundary.
    server.client("events").create_event_bus(Name=STACK_NAME)
    boundary = iam.create_policy(PolicyName=f"{NAME_PREFIX}trigger-boundary", PolicyDocument=json.dumps(_allow(
        ["states:StartExecution"], [f"arn:aws:states:{region}:{account}:stateMachine:{NAME_PREFIX}*"])))[
        "Policy"]["Arn"]
    service_role = iam.create_role(
        RoleName=f"{NAME_PREFIX}batch-service", AssumeRolePolicyDocument=_trust("batch.amazonaws.com")
    )["Role"]["Arn"]

    compute_environment = batch.create_compute_environment(
        computeEnvironmentName=COMPUTE_ENVIRONMENT, type="UNMANAGED", state="ENABLED", serviceRole=service_role,
    )["computeEnvironmentArn"]
    job_queue = batch.create_job_queue(
        jobQueueName=JOB_QUEUE, state="ENABLED", priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": compute_environment}],
    )["jobQueueArn"]
    environment = {
        "SFNCOMPILE_DATASTORE": f"s3://{BUCKET}/{DATASTORE_PREFIX}",
        "SFNCOMPILE_METADATA": f"dynamodb:{TABLE}",
        "SFNCOMPILE_PRODUCTION": "1",
        "AWS_DEFAULT_REGION": region,
        **(job_definition_environment or {}),
    }
    job_definition = batch.register_job_definition(
        jobDefinitionName=JOB_DEFINITION,
        type="container",
        platformCapabilities=["EC2"],
        propagateTags=True,
        parameters=dict(JOB_PARAMETER_DEFAULTS),  # as infra/sfncompile_infra/batch.py
        containerProperties={
            "image": image,
            "command": list(TASK_COMMAND),
            "user": "1000",
            "jobRoleArn": job_role,
            "executionRoleArn": execution_role,
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": BATCH_LOG_GROUP,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "sfncompile",
                },
            },
        },
        retryStrategy=json.loads(json.dumps(RETRY_STRATEGY)),
    )["jobDefinitionArn"]

    config = {
        "region": region,
        "stack": STACK_NAME,
        "bucket": BUCKET,
        "prefix": DATASTORE_PREFIX,
        "table": TABLE,
        "job_queue": job_queue,
        "job_definition": job_definition,
        "job_role_arn": job_role,
        "execution_role_arn": execution_role,
        "state_machine_role_arn": state_machine_role,
        "scheduler_role_arn": scheduler_role,
        "batch_log_group": BATCH_LOG_GROUP,
        "state_machine_log_group": sm_log_group_arn,
        "image": image,
        "state_machine_prefix": NAME_PREFIX,
        "event_bus": STACK_NAME,
        "trigger_role_boundary_arn": boundary,
    }
    assert tuple(config) == CONFIG_KEYS
    return config


def write_config(config: Dict[str, str], path: Union[str, os.PathLike]) -> Path:
    """Write ``config`` as the sfncompile config file (JSON) at ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return path
