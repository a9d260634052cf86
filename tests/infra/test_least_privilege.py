"""Every IAM statement, trust policy and datastore bucket rule, against an explicit allow-list.

A new action, resource or role anywhere in a synthesized stage fails here: widening
permissions is a deliberate edit of this file. Resource patterns use ``<stage>`` for
the stage name and ``<Bucket>``/``<Table>``/``<Queue>``/``<Repository>``/``<JobLogs>``/
``<FlowLogs>`` for the stage's own resources.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Set, Tuple

import pytest

from .synth_helpers import Synthesis, as_list, render

ACCOUNT, REGION = "123456789012", "us-east-1"
ARN = f"arn:aws:{{service}}:{REGION}:{ACCOUNT}:"

# role kind -> Sid -> (actions, resources, condition)
ALLOWED: Dict[str, Dict[str, Tuple[Set[str], Set[str], Any]]] = {
    "JobRole": {
        "DatastoreObjects": ({"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}, {"<Bucket>/sfncompile/*"}, None),
        "DatastoreListing": ({"s3:ListBucket"}, {"<Bucket>"}, None),
        "MetadataItems": ({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
                          {"<Table>"}, None),
        # The start task reads the run's parameters from its execution's input (runtime/execution_input.py).
        "ExecutionInput": ({"states:DescribeExecution"},
                           {ARN.format(service="states") + "execution:sfncompile-<stage>-*"}, None),
    },
    "ExecutionRole": {
        "PullRuntimeImage": ({"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"},
                             {"<Repository>"}, None),
        "EcrLogin": ({"ecr:GetAuthorizationToken"}, {"*"}, None),
        "JobLogs": ({"logs:CreateLogStream", "logs:PutLogEvents"}, {"<JobLogs>"}, None),
    },
    "StateMachineRole": {
        "SubmitStepJobs": ({"batch:SubmitJob"},
                           {"<Queue>", ARN.format(service="batch") + "job-definition/sfncompile-<stage>-*"}, None),
        "TagStepJobs": ({"batch:TagResource"}, {ARN.format(service="batch") + "job/*"},
                        {"StringEquals": {"aws:RequestTag/sfncompile:stack": "sfncompile-<stage>"},
                         "ForAllValues:StringEquals": {"aws:TagKeys": ["sfncompile:stack", "sfncompile:flow"]}}),
        "StopStepJobs": ({"batch:TerminateJob"}, {ARN.format(service="batch") + "job/*"},
                         {"StringEquals": {"aws:ResourceTag/sfncompile:stack": "sfncompile-<stage>"}}),
        "FollowStepJobs": ({"batch:DescribeJobs"}, {"*"}, None),
        "BatchSyncEvents": ({"events:PutTargets", "events:PutRule", "events:DescribeRule"},
                            {ARN.format(service="events") + "rule/StepFunctionsGetEventsForBatchJobsRule"}, None),
        "ReadForeachManifests": ({"s3:GetObject"}, {"<Bucket>/sfncompile/*"}, None),
        "DistributedMapChildren": ({"states:StartExecution"},
                                   {ARN.format(service="states") + "stateMachine:sfncompile-<stage>-*"}, None),
        "DistributedMapChildrenControl": ({"states:DescribeExecution", "states:StopExecution",
                                           "states:RedriveExecution"},
                                          {ARN.format(service="states") + "execution:sfncompile-<stage>-*"}, None),
        "ReadControlData": ({"dynamodb:GetItem"}, {"<Table>"}, None),
        "ExecutionLogDelivery": ({"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                                  "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                                  "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, {"*"}, None),
    },
    "SchedulerRole": {
        "StartScheduledFlows": ({"states:StartExecution"},
                                {ARN.format(service="states") + "stateMachine:sfncompile-<stage>-*"}, None),
    },
    # CDK writes this policy (no Sid) for the flow-log delivery role we pass it.
    "FlowLogsRole": {
        "": ({"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, {"<FlowLogs>"}, None),
    },
    "BatchInstanceRole": {},  # only the AWS-managed ECS instance policy (acknowledged in batch.py)
    # The permissions boundary of the trigger roles deploy creates (one per @trigger deployment, each
    # allowed its own machine only): the most any of them may ever do.
    "TriggersTriggerRoleBoundary": {
        "StartThisStagesFlows": ({"states:StartExecution"},
                                 {ARN.format(service="states") + "stateMachine:sfncompile-<stage>-*"}, None),
    },
}

TRUSTED_SOURCE = {
    "JobRole": ("ecs-tasks.amazonaws.com", ARN.format(service="ecs") + "*"),
    "ExecutionRole": ("ecs-tasks.amazonaws.com", ARN.format(service="ecs") + "*"),
    "StateMachineRole": ("states.amazonaws.com", ARN.format(service="states") + "stateMachine:sfncompile-<stage>-*"),
    "SchedulerRole": ("scheduler.amazonaws.com", ARN.format(service="scheduler") + "schedule-group/default"),
    "FlowLogsRole": ("vpc-flow-logs.amazonaws.com", ARN.format(service="ec2") + "vpc-flow-log/*"),
}
STAGES = ["dev", "prod", "gpu", "built", "ondemand", "locked"]


def _kind(logical_id: str) -> str:
    for kind in ALLOWED:
        if logical_id.startswith(kind) or logical_id.startswith(f"Network{kind}") or logical_id.startswith(
            f"Batch{kind[len('Batch'):]}" if kind.startswith("Batch") else "\0"
        ):
            return kind
    raise AssertionError(f"an IAM role or policy nobody allowed: {logical_id}")


def _aliases(synth: Synthesis, stage: str) -> Dict[str, str]:
    stack = synth.stacks[stage]
    ids = {
        "<Bucket>": synth.id_of(stage, stack.storage.bucket),
        "<Table>": synth.id_of(stage, stack.storage.table),
        "<JobLogs>": synth.id_of(stage, stack.logs.batch),
        "<Queue>": synth.logical_id(stage, "AWS::Batch::JobQueue"),
        "<Repository>": synth.logical_id(stage, "AWS::ECR::Repository"),
    }
    out = {f"<{v}.Arn>": k for k, v in ids.items()}
    out[f"<{ids['<Queue>']}.JobQueueArn>"] = "<Queue>"
    flow_logs = [lid for lid in synth.resources(stage, "AWS::Logs::LogGroup") if lid.startswith("NetworkFlowLogs")]
    for lid in flow_logs:
        out[f"<{lid}.Arn>"] = "<FlowLogs>"
    return out


def _normal(text: str, aliases: Dict[str, str], stage: str) -> str:
    for raw, alias in aliases.items():
        text = text.replace(raw, alias)
    return text.replace(f"sfncompile-{stage}", "sfncompile-<stage>")


def _statements(synth: Synthesis, stage: str) -> List[Tuple[str, str, str, Set[str], Set[str], Any]]:
    template, aliases = synth.json(stage), _aliases(synth, stage)
    role_of = {}
    for lid, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy":
            for ref in resource["Properties"].get("Roles", []):
                role_of[lid] = ref["Ref"]
    found = []
    for lid, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Policy":
            documents = [properties["PolicyDocument"]]
            owner = role_of.get(lid, lid)
        elif resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
            owner = lid
        elif resource["Type"] == "AWS::IAM::ManagedPolicy":
            assert lid.startswith("TriggersTriggerRoleBoundary"), f"a managed policy nobody allowed: {lid}"
            assert not properties.get("Roles") and not properties.get("Users") and not properties.get("Groups"), lid
            documents, owner = [properties["PolicyDocument"]], lid
        else:
            continue
        for document in documents:
            for statement in as_list(document["Statement"]):
                condition = statement.get("Condition")
                found.append((
                    _kind(owner), statement.get("Sid", ""), statement["Effect"],
                    set(as_list(statement["Action"])),
                    {_normal(render(r), aliases, stage) for r in as_list(statement.get("Resource", []))},
                    json.loads(_normal(json.dumps(condition), aliases, stage)) if condition else None,
                ))
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_every_iam_statement_is_on_the_allow_list(synth: Synthesis, stage: str) -> None:
    statements = _statements(synth, stage)
    assert statements
    for kind, sid, effect, actions, resources, condition in statements:
        where = f"{stage}: {kind} statement {sid or '(no Sid)'}"
        assert sid in ALLOWED[kind], f"{where} is not on the allow-list"
        allowed_actions, allowed_resources, allowed_condition = ALLOWED[kind][sid]
        assert effect == "Allow", where
        assert actions == allowed_actions, f"{where}: actions {sorted(actions - allowed_actions)} not allowed"
        if kind == "ExecutionRole" and sid == "PullRuntimeImage":
            assert allowed_resources <= resources, where  # plus an external image's or asset's repository
        else:
            assert resources == allowed_resources, where
        assert condition == allowed_condition, where
    # and every allowed statement of the roles every stage has is there
    present = {(kind, sid) for kind, sid, *_ in statements}
    for kind in ("JobRole", "ExecutionRole", "StateMachineRole", "SchedulerRole", "TriggersTriggerRoleBoundary"):
        assert {(kind, sid) for sid in ALLOWED[kind]} <= present, kind


def test_the_job_role_lost_what_the_code_never_calls(synth: Synthesis) -> None:
    actions = {a for kind, _sid, _e, acts, *_ in _statements(synth, "dev") if kind == "JobRole" for a in acts}
    for never in ("dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
                  "dynamodb:DeleteItem", "dynamodb:Scan", "s3:DeleteObject"):
        assert never not in actions


@pytest.mark.parametrize("stage", STAGES)
def test_trust_policies_name_the_account_and_the_source(synth: Synthesis, stage: str) -> None:
    roles = synth.resources(stage, "AWS::IAM::Role")
    assert roles
    for lid, role in roles.items():
        kind = _kind(lid)
        [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if kind == "BatchInstanceRole":
            # EC2 sets neither key when an instance assumes its role: a condition would lock it out.
            assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}
            continue
        service, source = TRUSTED_SOURCE[kind]
        assert statement["Principal"] == {"Service": service}, lid
        condition = json.loads(_normal(json.dumps(statement["Condition"]), {}, stage))
        assert condition == {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": source}}, lid


def test_bucket_is_versioned_and_write_once_for_the_job_role(synth: Synthesis) -> None:
    stack = synth.stacks["dev"]
    bucket_id = synth.id_of("dev", stack.storage.bucket)
    bucket = synth.json("dev")["Resources"][bucket_id]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [policy] = [p["Properties"]["PolicyDocument"] for p in synth.resources("dev", "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    by_sid = {s.get("Sid"): s for s in policy["Statement"]}
    job_role = {"AWS": f"<{synth.id_of('dev', stack.job_role)}.Arn>"}
    write_once = by_sid["JobWritesAreWriteOnce"]
    assert write_once["Effect"] == "Deny" and write_once["Action"] == "s3:PutObject"
    assert {"AWS": render(write_once["Principal"]["AWS"])} == job_role
    assert write_once["Condition"] == {"Null": {"s3:if-none-match": "true"},
                                       "Bool": {"s3:ObjectCreationOperation": "true"}}
    assert {render(r) for r in write_once["Resource"]} == {
        f"<{bucket_id}.Arn>/sfncompile/*/blobs/*", f"<{bucket_id}.Arn>/sfncompile/*/runs/*",
        f"<{bucket_id}.Arn>/sfncompile/*/triggers/*"}
    never = by_sid["JobNeverWritesDeployments"]
    assert never["Effect"] == "Deny" and set(never["Action"]) == {"s3:PutObject", "s3:DeleteObject"}
    assert "Condition" not in never and {"AWS": render(never["Principal"]["AWS"])} == job_role
    assert {render(r) for r in never["Resource"]} == {
        f"<{bucket_id}.Arn>/sfncompile/*/deployments/*", f"<{bucket_id}.Arn>/sfncompile/*/code/*"}


def test_table_is_deletion_protected_with_no_ttl_nothing_writes(synth: Synthesis) -> None:
    properties = synth.one("dev", "AWS::DynamoDB::Table")["Properties"]
    assert properties["DeletionProtectionEnabled"] is True
    assert "TimeToLiveSpecification" not in properties


def test_ecr_tags_are_immutable(synth: Synthesis) -> None:
    assert synth.one("dev", "AWS::ECR::Repository")["Properties"]["ImageTagMutability"] == "IMMUTABLE"
