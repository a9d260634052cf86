"""The synthesized per-stage stack: every resource and setting the product relies on.

Templates come from the session-wide synthesis in conftest.py (stages dev, prod,
gpu, built, ondemand); the names of outputs, environment variables and the task
command are the contract in docs/internals.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, List

import pytest
from aws_cdk.assertions import Match

from .synth_helpers import (
    EXISTING_SUBNETS,
    EXISTING_VPC,
    EXTERNAL_IMAGE,
    INFRA_DIR,
    Synthesis,
    committed_context,
    iam_statements,
    render,
    role_statements,
)
from sfncompile_infra import SettingsError, settings_from_context

from sfncompile.compiler.jobparams import JOB_COMMAND, JOB_PARAMETER_DEFAULTS

REQUIRED_OUTPUTS = {
    "DatastoreBucketName",
    "DatastorePrefix",
    "MetadataTableName",
    "JobQueueArn",
    "JobDefinitionArn",
    "JobRoleArn",
    "ExecutionRoleArn",
    "StateMachineRoleArn",
    "SchedulerRoleArn",
    "BatchLogGroupName",
    "StateMachineLogGroupArn",
    "RuntimeImageUri",
    "StateMachinePrefix",
    "EventBusName",
    "TriggerRoleBoundaryArn",
    "Region",
}



def _is_data_plane(action: str) -> bool:
    """Actions that read or write data or start work: never allowed on every resource."""
    if action in ("batch:SubmitJob", "states:StartExecution"):
        return True
    if action.startswith("s3:"):
        return "Object" in action or action.endswith(":*")
    if action.startswith("dynamodb:"):
        return "Item" in action or action in ("dynamodb:Query", "dynamodb:Scan", "dynamodb:*")
    return False


def _job_definition(synth: Synthesis, stage: str) -> Dict[str, Any]:
    return synth.one(stage, "AWS::Batch::JobDefinition")["Properties"]


def _environment(synth: Synthesis, stage: str) -> Dict[str, str]:
    container = _job_definition(synth, stage)["ContainerProperties"]
    return {item["Name"]: render(item["Value"]) for item in container["Environment"]}


# --- S3 datastore --------------------------------------------------------------------


def test_datastore_bucket_is_private_encrypted_and_retained(synth: Synthesis) -> None:
    bucket_id = synth.id_of("dev", synth.stacks["dev"].storage.bucket)
    bucket = synth.json("dev")["Resources"][bucket_id]
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert "LoggingConfiguration" not in properties  # access logs are opt-in


def test_datastore_bucket_aborts_incomplete_multipart_uploads_after_seven_days(synth: Synthesis) -> None:
    synth.templates["dev"].has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [Match.object_like({"Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})]
                )
            }
        },
    )


def test_datastore_bucket_policy_denies_requests_without_tls(synth: Synthesis) -> None:
    bucket_id = synth.id_of("dev", synth.stacks["dev"].storage.bucket)
    policies = [
        policy["Properties"]
        for policy in synth.resources("dev", "AWS::S3::BucketPolicy").values()
        if policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    statements = policies[0]["PolicyDocument"]["Statement"]
    tls_only = [
        s for s in statements
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert tls_only, statements
    assert tls_only[0]["Action"] == "s3:*"
    assert tls_only[0]["Principal"] == {"AWS": "*"}
    assert {render(r) for r in tls_only[0]["Resource"]} == {f"<{bucket_id}.Arn>", f"<{bucket_id}.Arn>/*"}


def test_access_logs_context_adds_a_log_bucket(synth: Synthesis) -> None:
    assert len(synth.resources("dev", "AWS::S3::Bucket")) == 1
    buckets = synth.resources("gpu", "AWS::S3::Bucket")
    assert len(buckets) == 2
    storage = synth.stacks["gpu"].storage
    datastore = buckets[synth.id_of("gpu", storage.bucket)]["Properties"]
    log_bucket_id = synth.id_of("gpu", storage.access_log_bucket)
    assert datastore["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket_id}
    assert synth.json("gpu")["Outputs"]["AccessLogBucketName"]["Value"] == {"Ref": log_bucket_id}
    assert "AccessLogBucketName" not in synth.json("dev")["Outputs"]
    log_bucket = buckets[log_bucket_id]
    assert log_bucket["DeletionPolicy"] == "Retain"
    assert log_bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True


# --- DynamoDB metadata table ---------------------------------------------------------


def test_metadata_table_matches_the_single_table_design(synth: Synthesis) -> None:
    table = synth.one("dev", "AWS::DynamoDB::Table")
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == "Retain"


# --- Batch -----------------------------------------------------------------------------


def test_default_compute_environment_is_managed_fargate(synth: Synthesis) -> None:
    environment = synth.one("dev", "AWS::Batch::ComputeEnvironment")["Properties"]
    assert environment["Type"] == "MANAGED"
    assert environment["State"] == "ENABLED"
    resources = environment["ComputeResources"]
    assert resources["Type"] == "FARGATE"
    assert resources["MaxvCpus"] == 256
    assert "InstanceRole" not in resources
    # No service role: Batch uses its service-linked role.
    assert "ServiceRole" not in environment
    vpc_subnets = {f"<{logical_id}>" for logical_id in synth.resources("dev", "AWS::EC2::Subnet")}
    assert {render(subnet) for subnet in resources["Subnets"]} == vpc_subnets


def test_spot_context_on_fargate_uses_fargate_spot(synth: Synthesis) -> None:
    resources = synth.one("built", "AWS::Batch::ComputeEnvironment")["Properties"]["ComputeResources"]
    assert resources["Type"] == "FARGATE_SPOT"
    assert _job_definition(synth, "built")["PlatformCapabilities"] == ["FARGATE"]


def test_ec2_spot_compute_environment_allows_gpu_instance_types(synth: Synthesis) -> None:
    environment = synth.one("gpu", "AWS::Batch::ComputeEnvironment")["Properties"]
    resources = environment["ComputeResources"]
    assert resources["Type"] == "SPOT"
    assert resources["AllocationStrategy"] == "SPOT_PRICE_CAPACITY_OPTIMIZED"
    assert resources["InstanceTypes"] == ["g5.xlarge", "g5.2xlarge"]
    assert resources["MinvCpus"] == 0  # scales to nothing when idle
    assert resources["MaxvCpus"] == 64
    assert {c["ImageType"] for c in resources["Ec2Configuration"]} == {"ECS_AL2023", "ECS_AL2023_NVIDIA"}
    profile_id = synth.logical_id("gpu", "AWS::IAM::InstanceProfile")
    assert resources["InstanceRole"] == {"Fn::GetAtt": [profile_id, "Arn"]}
    assert _job_definition(synth, "gpu")["PlatformCapabilities"] == ["EC2"]


def test_ec2_on_demand_compute_environment(synth: Synthesis) -> None:
    resources = synth.one("ondemand", "AWS::Batch::ComputeEnvironment")["Properties"]["ComputeResources"]
    assert resources["Type"] == "EC2"
    assert resources["AllocationStrategy"] == "BEST_FIT_PROGRESSIVE"
    assert resources["InstanceTypes"] == ["optimal"]
    container = _job_definition(synth, "ondemand")["ContainerProperties"]
    assert "NetworkConfiguration" not in container  # Fargate-only setting


def test_one_job_queue_feeds_the_compute_environment(synth: Synthesis) -> None:
    queue = synth.one("dev", "AWS::Batch::JobQueue")["Properties"]
    environment_id = synth.logical_id("dev", "AWS::Batch::ComputeEnvironment")
    assert queue["ComputeEnvironmentOrder"] == [{"ComputeEnvironment": {"Ref": environment_id}, "Order": 1}]
    assert queue["State"] == "ENABLED"
    assert queue["JobQueueName"] == "sfncompile-dev"


def test_job_definition_runs_the_task_command_as_non_root(synth: Synthesis) -> None:
    definition = _job_definition(synth, "dev")
    container = definition["ContainerProperties"]
    assert definition["Type"] == "container"
    assert definition["JobDefinitionName"] == "sfncompile-dev-task"
    assert definition["PlatformCapabilities"] == ["FARGATE"]
    # the command whose Ref:: parameters the compiled Tasks fill (the infra keeps its own copy)
    assert container["Command"] == list(JOB_COMMAND)
    assert container["Command"][2:] == ["Ref::s", "--run-id", "Ref::r", "--task-id", "Ref::t", "--attempt", "Ref::a"]
    # the compiled Tasks leave out the task id and attempt when they equal these defaults
    assert definition["Parameters"] == JOB_PARAMETER_DEFAULTS == {"t": "0", "a": "0"}
    assert container["User"] == "1000"
    assert container["LinuxParameters"] == {"InitProcessEnabled": True}
    assert container["NetworkConfiguration"] == {"AssignPublicIp": "ENABLED"}
    stack = synth.stacks["dev"]
    assert container["JobRoleArn"] == {"Fn::GetAtt": [synth.id_of("dev", stack.job_role), "Arn"]}
    assert container["ExecutionRoleArn"] == {"Fn::GetAtt": [synth.id_of("dev", stack.execution_role), "Arn"]}
    assert {r["Type"]: r["Value"] for r in container["ResourceRequirements"]} == {"VCPU": "1", "MEMORY": "2048"}


def test_job_definition_points_tasks_at_the_stage_stores(synth: Synthesis) -> None:
    storage = synth.stacks["dev"].storage
    environment = _environment(synth, "dev")
    assert environment["SFNCOMPILE_DATASTORE"] == f"s3://<{synth.id_of('dev', storage.bucket)}>/sfncompile"
    assert environment["SFNCOMPILE_METADATA"] == f"dynamodb:<{synth.id_of('dev', storage.table)}>"
    assert environment["SFNCOMPILE_PRODUCTION"] == "1"


def test_job_definition_logs_to_the_batch_log_group(synth: Synthesis) -> None:
    container = _job_definition(synth, "dev")["ContainerProperties"]
    log_group_id = synth.id_of("dev", synth.stacks["dev"].logs.batch)
    assert container["LogConfiguration"] == {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": {"Ref": log_group_id},
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "sfncompile",
        },
    }


def test_job_definition_retries_platform_failures_only(synth: Synthesis) -> None:
    strategy = _job_definition(synth, "dev")["RetryStrategy"]
    assert strategy["Attempts"] == 3
    rules = strategy["EvaluateOnExit"]
    assert rules[0] == {"OnStatusReason": "Host EC2*", "Action": "RETRY"}
    assert {"OnReason": "CannotPullContainerError*", "Action": "RETRY"} in rules
    # Batch retries when no rule matches, so the list must end in catch-all exits,
    # and a job whose code ran (it has an exit code) must never be retried by Batch.
    assert rules[-1] == {"OnReason": "*", "Action": "EXIT"}
    assert {"OnExitCode": "*", "Action": "EXIT"} in rules
    for rule in rules:
        if rule["Action"] == "RETRY":
            assert "OnExitCode" not in rule, rule
            pattern = rule.get("OnStatusReason") or rule.get("OnReason")
            assert pattern and pattern != "*", rule
    assert len(rules) <= 5  # Batch's limit


# --- image -----------------------------------------------------------------------------


def test_ecr_repository_scans_and_keeps_the_last_images(synth: Synthesis) -> None:
    for stage, keep in (("dev", 10), ("gpu", 5)):
        repository = synth.one(stage, "AWS::ECR::Repository")["Properties"]
        assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert repository["RepositoryName"] == f"sfncompile-{stage}/runtime"
        rules = json.loads(repository["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
        assert [(r["selection"]["countType"], r["selection"]["countNumber"], r["action"]["type"]) for r in rules] == [
            ("imageCountMoreThan", keep, "expire")
        ]


def test_default_image_is_the_stage_repository_latest_tag(synth: Synthesis) -> None:
    container = _job_definition(synth, "dev")["ContainerProperties"]
    repository_id = synth.logical_id("dev", "AWS::ECR::Repository")
    image = render(container["Image"])
    assert image.endswith(f"/<{repository_id}>:latest"), image
    assert render(synth.json("dev")["Outputs"]["RuntimeImageUri"]["Value"]) == image
    # Nothing to build by default: no Docker needed to synthesize or deploy.
    manifest = json.loads((synth.outdir / "sfncompile-dev.assets.json").read_text())
    assert manifest.get("dockerImages", {}) == {}


def test_image_uri_context_names_any_image_and_grants_pull_on_its_repository(synth: Synthesis) -> None:
    container = _job_definition(synth, "gpu")["ContainerProperties"]
    assert container["Image"] == EXTERNAL_IMAGE
    execution_role = synth.id_of("gpu", synth.stacks["gpu"].execution_role)
    pulls = [s for s in role_statements(synth.json("gpu"), execution_role) if "ecr:BatchGetImage" in s.actions]
    assert "arn:aws:ecr:us-east-1:111122223333:repository/team/trainer" in pulls[0].resources


def test_build_image_context_builds_the_repository_dockerfile_as_an_asset(synth: Synthesis) -> None:
    manifest = json.loads((synth.outdir / "sfncompile-built.assets.json").read_text())
    images = list(manifest["dockerImages"].values())
    assert len(images) == 1
    source = images[0]["source"]
    assert source["dockerFile"] == "sfncompile/image/Dockerfile"
    assert source.get("platform") == "linux/amd64"
    staged = synth.outdir / source["directory"]
    # .dockerignore keeps the build context to what the Dockerfile copies.
    assert (staged / "sfncompile" / "image" / "Dockerfile").is_file()
    assert (staged / "sfncompile" / "image" / "requirements.txt").is_file()
    assert not (staged / ".venv").exists()
    assert not (staged / "sfncompile" / "flow").exists()
    image = render(_job_definition(synth, "built")["ContainerProperties"]["Image"])
    assert "container-assets" in image, image
    execution_role = synth.id_of("built", synth.stacks["built"].execution_role)
    pulls = [s for s in role_statements(synth.json("built"), execution_role) if "ecr:BatchGetImage" in s.actions]
    assert any("container-assets" in resource for resource in pulls[0].resources), pulls


# --- logs ------------------------------------------------------------------------------


def test_log_groups_have_retention(synth: Synthesis) -> None:
    for stage, days in (("dev", 30), ("gpu", 90)):
        groups = synth.resources(stage, "AWS::Logs::LogGroup")
        assert groups, stage
        for logical_id, group in groups.items():
            assert group["Properties"]["RetentionInDays"] == days, (stage, logical_id)
    names = {group["Properties"].get("LogGroupName") for group in synth.resources("dev", "AWS::Logs::LogGroup").values()}
    assert {"/sfncompile/dev/batch-jobs", "/aws/vendedlogs/states/sfncompile-dev"} <= names


# --- IAM -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["dev", "prod", "gpu", "built", "ondemand"])
def test_no_data_plane_action_is_allowed_on_every_resource(synth: Synthesis, stage: str) -> None:
    statements = iam_statements(synth.json(stage))
    assert statements
    for statement in statements:
        assert "*" not in statement.actions and not any(a.endswith(":*") for a in statement.actions), statement
        if "*" in statement.resources:
            offending = [action for action in statement.actions if _is_data_plane(action)]
            assert not offending, statement


def test_job_role_reaches_only_the_stage_bucket_and_table(synth: Synthesis) -> None:
    stack = synth.stacks["dev"]
    bucket = synth.id_of("dev", stack.storage.bucket)
    table = synth.id_of("dev", stack.storage.table)
    statements = role_statements(synth.json("dev"), synth.id_of("dev", stack.job_role))
    resources = {resource for statement in statements for resource in statement.resources}
    assert resources == {
        f"<{bucket}.Arn>/sfncompile/*",
        f"<{bucket}.Arn>",
        f"<{table}.Arn>",
        "arn:aws:states:us-east-1:123456789012:execution:sfncompile-dev-*",  # the start task's execution input
    }
    by_sid = {statement.sid: statement for statement in statements}
    assert by_sid["DatastoreListing"].actions == ["s3:ListBucket"]
    assert set(by_sid["DatastoreObjects"].actions) == {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}
    assert "dynamodb:Query" in by_sid["MetadataItems"].actions
    assert "dynamodb:Scan" not in by_sid["MetadataItems"].actions


def test_execution_role_pulls_the_image_and_writes_job_logs(synth: Synthesis) -> None:
    stack = synth.stacks["dev"]
    statements = role_statements(synth.json("dev"), synth.id_of("dev", stack.execution_role))
    by_sid = {statement.sid: statement for statement in statements}
    repository = synth.logical_id("dev", "AWS::ECR::Repository")
    assert by_sid["PullRuntimeImage"].resources == [f"<{repository}.Arn>"]
    assert by_sid["EcrLogin"].actions == ["ecr:GetAuthorizationToken"]
    assert by_sid["JobLogs"].resources == [f"<{synth.id_of('dev', stack.logs.batch)}.Arn>"]
    assert set(by_sid["JobLogs"].actions) == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_state_machine_role_is_scoped_to_the_stage(synth: Synthesis) -> None:
    stack = synth.stacks["dev"]
    statements = role_statements(synth.json("dev"), synth.id_of("dev", stack.state_machine_role))
    allowed: Dict[str, List[str]] = {}
    for statement in statements:
        assert statement.effect == "Allow"
        for action in statement.actions:
            allowed.setdefault(action, []).extend(statement.resources)
    queue = synth.logical_id("dev", "AWS::Batch::JobQueue")
    bucket = synth.id_of("dev", stack.storage.bucket)
    table = synth.id_of("dev", stack.storage.table)
    assert sorted(allowed["batch:SubmitJob"]) == sorted(
        [f"<{queue}.JobQueueArn>", "arn:aws:batch:us-east-1:123456789012:job-definition/sfncompile-dev-*"]
    )
    assert allowed["batch:DescribeJobs"] == ["*"]
    assert allowed["batch:TerminateJob"] == ["arn:aws:batch:us-east-1:123456789012:job/*"]  # tag-scoped
    rule = "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForBatchJobsRule"
    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        assert allowed[action] == [rule]
    assert allowed["s3:GetObject"] == [f"<{bucket}.Arn>/sfncompile/*"]
    assert allowed["states:StartExecution"] == ["arn:aws:states:us-east-1:123456789012:stateMachine:sfncompile-dev-*"]
    for action in ("states:DescribeExecution", "states:StopExecution"):
        assert allowed[action] == ["arn:aws:states:us-east-1:123456789012:execution:sfncompile-dev-*"]
    assert allowed["dynamodb:GetItem"] == [f"<{table}.Arn>"]
    for action in ("logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups"):
        assert allowed[action] == ["*"]
    expected = {
        "batch:SubmitJob", "batch:DescribeJobs", "batch:TerminateJob", "batch:TagResource",
        "events:PutTargets", "events:PutRule", "events:DescribeRule",
        "s3:GetObject",
        "states:StartExecution", "states:DescribeExecution", "states:StopExecution", "states:RedriveExecution",
        "dynamodb:GetItem",
    }
    unexpected = {action for action in allowed if action not in expected and not action.startswith("logs:")}
    assert unexpected == set()


def test_scheduler_role_may_only_start_the_stage_state_machines(synth: Synthesis) -> None:
    stack = synth.stacks["prod"]
    role_id = synth.id_of("prod", stack.scheduler_role)
    statements = role_statements(synth.json("prod"), role_id)
    assert [(s.actions, s.resources) for s in statements] == [
        (["states:StartExecution"], ["arn:aws:states:us-east-1:123456789012:stateMachine:sfncompile-prod-*"])
    ]
    trust = synth.json("prod")["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust[0]["Principal"] == {"Service": "scheduler.amazonaws.com"}


# --- outputs and stages ----------------------------------------------------------------


@pytest.mark.parametrize("stage", ["dev", "gpu"])
def test_outputs_carry_the_configure_contract(synth: Synthesis, stage: str) -> None:
    outputs = synth.json(stage)["Outputs"]
    assert REQUIRED_OUTPUTS <= set(outputs), REQUIRED_OUTPUTS - set(outputs)
    assert outputs["DatastorePrefix"]["Value"] == "sfncompile"
    assert outputs["StateMachinePrefix"]["Value"] == f"sfncompile-{stage}-"
    assert outputs["Region"]["Value"] == "us-east-1"
    stack = synth.stacks[stage]
    assert outputs["DatastoreBucketName"]["Value"] == {"Ref": synth.id_of(stage, stack.storage.bucket)}
    assert outputs["MetadataTableName"]["Value"] == {"Ref": synth.id_of(stage, stack.storage.table)}
    assert outputs["JobDefinitionArn"]["Value"] == {"Ref": synth.logical_id(stage, "AWS::Batch::JobDefinition")}
    assert render(outputs["StateMachineLogGroupArn"]["Value"]) == f"<{synth.id_of(stage, stack.logs.state_machines)}.Arn>"


def test_triggers_get_the_stage_event_bus_and_a_boundary_for_their_roles(synth: Synthesis) -> None:
    stack = synth.stacks["prod"]
    outputs = synth.json("prod")["Outputs"]
    bus = synth.one("prod", "AWS::Events::EventBus")["Properties"]
    assert bus["Name"] == "sfncompile-prod"
    assert outputs["EventBusName"]["Value"] == {"Ref": synth.id_of("prod", stack.triggers.bus)}
    boundary_id = synth.id_of("prod", stack.triggers.boundary)
    assert outputs["TriggerRoleBoundaryArn"]["Value"] == {"Ref": boundary_id}
    boundary = synth.json("prod")["Resources"][boundary_id]["Properties"]
    assert boundary["PolicyDocument"]["Statement"] == [{
        "Sid": "StartThisStagesFlows", "Effect": "Allow", "Action": "states:StartExecution",
        "Resource": "arn:aws:states:us-east-1:123456789012:stateMachine:sfncompile-prod-*"}]
    assert not boundary.get("Roles"), "the boundary is attached by deploy to the roles it creates, never here"


def test_two_stages_share_no_names(synth: Synthesis) -> None:
    def names(stage: str) -> Dict[str, Any]:
        template = synth.json(stage)
        found = {
            "stack": synth.stacks[stage].stack_name,
            "queue": synth.one(stage, "AWS::Batch::JobQueue")["Properties"]["JobQueueName"],
            "definition": _job_definition(synth, stage)["JobDefinitionName"],
            "repository": synth.one(stage, "AWS::ECR::Repository")["Properties"]["RepositoryName"],
            "prefix": template["Outputs"]["StateMachinePrefix"]["Value"],
            "bus": synth.one(stage, "AWS::Events::EventBus")["Properties"]["Name"],
        }
        for group in synth.resources(stage, "AWS::Logs::LogGroup").values():
            name = group["Properties"].get("LogGroupName")
            if name:
                found[f"log:{name.split('/')[-1]}"] = name
        return found

    dev, prod = names("dev"), names("prod")
    assert dev["stack"] == "sfncompile-dev" and prod["stack"] == "sfncompile-prod"
    assert set(dev.values()).isdisjoint(prod.values()), (dev, prod)
    # IAM patterns of one stage never match the other's names.
    assert not prod["definition"].startswith(dev["prefix"])
    assert not dev["definition"].startswith(prod["prefix"])


# --- networking ------------------------------------------------------------------------


def test_default_vpc_is_public_only_without_nat_and_with_flow_logs(synth: Synthesis) -> None:
    assert len(synth.resources("dev", "AWS::EC2::VPC")) == 1
    assert synth.resources("dev", "AWS::EC2::NatGateway") == {}
    assert synth.resources("dev", "AWS::EC2::EIP") == {}
    subnets = synth.resources("dev", "AWS::EC2::Subnet")
    assert len(subnets) == 2
    assert all(subnet["Properties"]["MapPublicIpOnLaunch"] is True for subnet in subnets.values())
    # Zones come from Fn::GetAZs at deploy time, never from a synth-time lookup.
    assert all("Fn::GetAZs" in json.dumps(subnet["Properties"]["AvailabilityZone"]) for subnet in subnets.values())
    assert len(synth.resources("dev", "AWS::EC2::FlowLog")) == 1
    group = synth.one("dev", "AWS::EC2::SecurityGroup")["Properties"]
    assert "SecurityGroupIngress" not in group


def test_existing_vpc_context_creates_no_network(synth: Synthesis) -> None:
    for type_name in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway"):
        assert synth.resources("gpu", type_name) == {}, type_name
    resources = synth.one("gpu", "AWS::Batch::ComputeEnvironment")["Properties"]["ComputeResources"]
    assert resources["Subnets"] == list(EXISTING_SUBNETS)
    assert synth.one("gpu", "AWS::EC2::SecurityGroup")["Properties"]["VpcId"] == EXISTING_VPC


def test_no_lambda_or_custom_resource_is_needed(synth: Synthesis) -> None:
    for stage in synth.stacks:
        types = {resource["Type"] for resource in synth.json(stage)["Resources"].values()}
        assert "AWS::Lambda::Function" not in types, stage
        assert not any(t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource" for t in types), stage


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"stage": "dev-2"}, "no '-'"),
        ({"stage": "Prod"}, "lowercase"),
        ({"vpc_id": EXISTING_VPC}, "subnet_ids"),
        ({"subnet_ids": EXISTING_SUBNETS[0]}, "vpc_id"),
        ({"instance_types": "g5.xlarge"}, "compute=ec2"),
        ({"compute": "lambda"}, "fargate, ec2"),
        ({"log_retention_days": "31"}, "log_retention_days=31"),
        ({"build_image": "true", "image_uri": EXTERNAL_IMAGE}, "exclusive"),
        ({"spot": "maybe"}, "true or false"),
        ({"account": "42"}, "account"),
        ({"assign_public_ip": "false"}, "no NAT gateway"),
        ({"azs": "us-east-1a", "vpc_id": EXISTING_VPC, "subnet_ids": EXISTING_SUBNETS[0]}, "azs only applies"),
    ],
)
def test_bad_context_fails_with_a_message_naming_the_key(overrides: Dict[str, str], message: str) -> None:
    context = {**committed_context(), **overrides}
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        settings_from_context(context.get, environ={})


def test_account_and_region_prefer_context_then_cli_credentials_then_placeholders() -> None:
    context = committed_context()
    assert settings_from_context(context.get, environ={}).account == "123456789012"
    from_cli = settings_from_context(context.get, environ={"CDK_DEFAULT_ACCOUNT": "210987654321", "CDK_DEFAULT_REGION": "eu-west-1"})
    assert (from_cli.account, from_cli.region) == ("210987654321", "eu-west-1")
    explicit = settings_from_context({**context, "account": "111111111111", "region": "ap-northeast-1"}.get,
                                     environ={"CDK_DEFAULT_ACCOUNT": "210987654321"})
    assert (explicit.account, explicit.region) == ("111111111111", "ap-northeast-1")


def test_app_entry_point_synthesizes_offline(tmp_path) -> None:
    """`cdk synth -c stage=qa` in a subprocess: what the CLI runs, with no AWS credentials."""
    context = {**committed_context(), "stage": "qa"}
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_"))
    }
    env.update(
        CDK_OUTDIR=str(tmp_path),
        CDK_CONTEXT_JSON=json.dumps(context),
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = subprocess.run(
        [sys.executable, str(INFRA_DIR / "app.py")],
        cwd=INFRA_DIR, env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "sfncompile-qa.template.json").read_text())
    assert template["Outputs"]["StateMachinePrefix"]["Value"] == "sfncompile-qa-"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert not manifest.get("missing"), manifest.get("missing")  # no context lookup was needed


def test_infra_requirements_are_the_versions_these_tests_synthesize_with() -> None:
    """`pip install -r infra/requirements.txt` gets the CDK and cdk-nag that were checked here."""
    from importlib.metadata import version

    pins = {}
    for line in (INFRA_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, pinned = line.split("==", 1)
            pins[name.strip()] = pinned.strip()
    assert pins == {"aws-cdk-lib": version("aws-cdk-lib"), "cdk-nag": version("cdk-nag")}
