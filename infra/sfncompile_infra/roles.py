"""The stage's IAM roles, each allowed exactly what its one job needs.

* job role (the task's own AWS identity): the datastore objects and the metadata table, and
  the input of this stage's executions (the start task reads its run's parameters there);
* execution role (what ECS uses to start the container): image pull and log writes;
* state machine role: submit, follow and stop Batch jobs of this stage, read control
  data and foreach manifests, run Distributed Map children, deliver execution logs;
* scheduler role: start this stage's state machines.

Names such as ``sfncompile-<stage>-*`` scope the permissions to resources that
``sfncompile deploy`` creates later (state machines, per-flow job definitions).
Every trust policy names the account (``aws:SourceAccount``) and, where the service
sets it, the source resource (``aws:SourceArn``): ECS tasks
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html),
Step Functions state machines
(https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html),
EventBridge Scheduler schedule groups
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
"""
from __future__ import annotations

from typing import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from .image import RuntimeImage
from .nag import acknowledge, render_for_nag
from .settings import Settings
from .storage import Storage

# The managed EventBridge rule through which Step Functions follows `.sync` Batch jobs.
BATCH_SYNC_RULE = "StepFunctionsGetEventsForBatchJobsRule"


def _role(scope: Construct, construct_id: str, principal: iam.IPrincipal, description: str,
          statements: Sequence[iam.PolicyStatement]) -> iam.Role:
    """A role whose whole policy is one inline document, so the template shows it in one place."""
    return iam.Role(
        scope,
        construct_id,
        assumed_by=principal,
        description=description,
        inline_policies={"permissions": iam.PolicyDocument(statements=list(statements))},
    )


def _account_scoped(service: str, account: str, source_arn: str) -> iam.ServicePrincipal:
    """A service principal that may assume the role only for this account's ``source_arn`` (confused deputy)."""
    return iam.ServicePrincipal(
        service,
        conditions={"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": source_arn}},
    )


def _ecs_tasks(scope: Construct, settings: Settings) -> iam.ServicePrincipal:
    """ECS tasks of this account and region (Batch runs each job as an ECS task)."""
    ecs = Stack.of(scope).format_arn(service="ecs", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME)
    return _account_scoped("ecs-tasks.amazonaws.com", settings.account, ecs)


def datastore_object_arns(storage: Storage, settings: Settings) -> str:
    """Objects under the datastore prefix: the only keys sfncompile reads or writes."""
    return storage.bucket.arn_for_objects(f"{settings.datastore_prefix}/*")


def job_role(scope: Construct, settings: Settings, storage: Storage) -> iam.Role:
    """The identity user code and the task runtime run as inside a Batch job.

    Exactly the calls ``sfncompile/storage`` makes: S3 get/put (multipart uploads
    included, which ``s3:PutObject`` covers), list, abort; DynamoDB get/put/update item
    and query on the table. Writes are write-once by the bucket policy
    (``Storage.enforce_write_once``). And the start task's one read of its execution's input
    (``states:DescribeExecution``, ``sfncompile/runtime/execution_input.py``): the run's
    parameters are there, not on the job's command line.
    """
    objects = datastore_object_arns(storage, settings)
    executions = execution_arn_pattern(Stack.of(scope), settings)
    role = _role(
        scope,
        "JobRole",
        _ecs_tasks(scope, settings),
        f"{settings.stack_name}: Batch tasks read/write the datastore and metadata table",
        [
            iam.PolicyStatement(
                sid="DatastoreObjects",
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[objects],
            ),
            iam.PolicyStatement(sid="DatastoreListing", actions=["s3:ListBucket"], resources=[storage.bucket.bucket_arn]),
            iam.PolicyStatement(
                sid="MetadataItems",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
                resources=[storage.table.table_arn],
            ),
            iam.PolicyStatement(
                sid="ExecutionInput", actions=["states:DescribeExecution"], resources=[executions]
            ),
        ],
    )
    _acknowledge_resource(
        role, objects, "Artifact, log and code-package keys are per flow/run/step/task, so only the prefix is fixed; "
        "the wildcard stays inside this stage's bucket and datastore prefix."
    )
    _acknowledge_resource(
        role, executions, "A start task reads the input of its own execution, whose name exists only at run time; "
        "the pattern admits only executions of this stage's state machines."
    )
    return role


def execution_role(scope: Construct, settings: Settings, image: RuntimeImage, batch_logs: logs.LogGroup) -> iam.Role:
    """What ECS uses to pull the runtime image and ship container output to CloudWatch Logs."""
    role = _role(
        scope,
        "ExecutionRole",
        _ecs_tasks(scope, settings),
        f"{settings.stack_name}: pull the runtime image and write Batch job logs",
        [
            *image.pull_statements(),
            iam.PolicyStatement(
                sid="JobLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[batch_logs.log_group_arn],
            ),
        ],
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to named repositories.",
    )
    return role


def state_machine_role(scope: Construct, settings: Settings, storage: Storage, job_queue_arn: str) -> iam.Role:
    """The role every state machine of this stage runs as."""
    stack = Stack.of(scope)
    prefix = settings.name_prefix
    job_definitions = stack.format_arn(service="batch", resource="job-definition", resource_name=f"{prefix}*")
    jobs = stack.format_arn(service="batch", resource="job", resource_name="*")
    sync_rule = stack.format_arn(service="events", resource="rule", resource_name=BATCH_SYNC_RULE)
    state_machines = state_machine_arn_pattern(stack, settings)
    executions = execution_arn_pattern(stack, settings)
    manifests = datastore_object_arns(storage, settings)
    stack_tag = {"aws:ResourceTag/sfncompile:stack": settings.stack_name}
    role = _role(
        scope,
        "StateMachineRole",
        _account_scoped("states.amazonaws.com", settings.account, state_machines),
        f"{settings.stack_name}: run sfncompile state machines ({prefix}*)",
        [
            iam.PolicyStatement(
                sid="SubmitStepJobs", actions=["batch:SubmitJob"], resources=[job_queue_arn, job_definitions]
            ),
            # The compiler tags every job sfncompile:stack=<stack> and sfncompile:flow=<flow>
            # (compiler/tasks.py); tagging on submission needs batch:TagResource, allowed for
            # exactly those keys and only with this stack's value.
            iam.PolicyStatement(
                sid="TagStepJobs",
                actions=["batch:TagResource"],
                resources=[jobs],
                conditions={
                    "StringEquals": {"aws:RequestTag/sfncompile:stack": settings.stack_name},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["sfncompile:stack", "sfncompile:flow"]},
                },
            ),
            iam.PolicyStatement(
                sid="StopStepJobs", actions=["batch:TerminateJob"], resources=[jobs],
                conditions={"StringEquals": stack_tag},
            ),
            iam.PolicyStatement(sid="FollowStepJobs", actions=["batch:DescribeJobs"], resources=["*"]),
            iam.PolicyStatement(
                sid="BatchSyncEvents",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[sync_rule],
            ),
            iam.PolicyStatement(sid="ReadForeachManifests", actions=["s3:GetObject"], resources=[manifests]),
            iam.PolicyStatement(
                sid="DistributedMapChildren", actions=["states:StartExecution"], resources=[state_machines]
            ),
            iam.PolicyStatement(
                sid="DistributedMapChildrenControl",
                actions=["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
                resources=[executions],
            ),
            # Switch choices and foreach cardinalities (compiler/control.py); run status is
            # the tasks' to write, and nothing in a machine writes the table.
            iam.PolicyStatement(
                sid="ReadControlData", actions=["dynamodb:GetItem"], resources=[storage.table.table_arn]
            ),
            # Execution logging is configured through CloudWatch Logs' delivery API,
            # which has no resource-level permissions.
            iam.PolicyStatement(
                sid="ExecutionLogDelivery",
                actions=[
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                resources=["*"],
            ),
        ],
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "batch:DescribeJobs and the CloudWatch Logs delivery actions used for execution logging "
        "support no resource-level permissions.",
    )
    _acknowledge_resource(
        role, job_definitions, "Job definition ARNs carry a revision, and `sfncompile deploy` registers per-flow "
        "definitions; the name pattern admits only this stage's definitions (stage names contain no '-')."
    )
    _acknowledge_resource(
        role, jobs, "Batch job ids exist only at run time; TerminateJob and TagResource are limited by the "
        "sfncompile:stack tag to this stage's jobs, and SubmitJob to this stage's queue and definitions."
    )
    _acknowledge_resource(
        role, manifests, "Distributed Map reads foreach manifests whose keys are per run and step, "
        "all under this stage's datastore prefix."
    )
    _acknowledge_resource(
        role, state_machines, "Distributed Map starts child executions of the flow's own state machine; "
        "machines are created per flow by `sfncompile deploy`, all named with this stage's prefix."
    )
    _acknowledge_resource(
        role, executions, "Distributed Map child executions have run-time names under the parent "
        "state machine; the pattern admits only this stage's machines."
    )
    return role


def scheduler_role(scope: Construct, settings: Settings) -> iam.Role:
    """The role EventBridge Scheduler uses for `@schedule` flows of this stage (group ``default``)."""
    state_machines = state_machine_arn_pattern(Stack.of(scope), settings)
    schedule_group = Stack.of(scope).format_arn(
        service="scheduler", resource="schedule-group", resource_name="default"
    )
    role = _role(
        scope,
        "SchedulerRole",
        _account_scoped("scheduler.amazonaws.com", settings.account, schedule_group),
        f"{settings.stack_name}: start scheduled sfncompile state machines",
        [iam.PolicyStatement(sid="StartScheduledFlows", actions=["states:StartExecution"], resources=[state_machines])],
    )
    _acknowledge_resource(
        role, state_machines, "Schedules start flows' state machines, created per flow by `sfncompile deploy` "
        "and all named with this stage's prefix."
    )
    return role


def state_machine_arn_pattern(stack: Stack, settings: Settings) -> str:
    return _stage_states_arn(stack, settings, "stateMachine")


def execution_arn_pattern(stack: Stack, settings: Settings) -> str:
    """Executions of this stage's state machines (``execution:<machine>:<name>``)."""
    return _stage_states_arn(stack, settings, "execution")


def _stage_states_arn(stack: Stack, settings: Settings, resource: str) -> str:
    """Step Functions ``resource`` ARNs whose name starts with this stage's prefix."""
    return stack.format_arn(
        service="states", resource=resource, resource_name=f"{settings.name_prefix}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def _acknowledge_resource(role: iam.Role, resource: str, reason: str) -> None:
    """Accept the IAM5 wildcard finding for exactly this resource pattern on this role."""
    acknowledge(role, f"AwsSolutions-IAM5[Resource::{nag_resource_name(Stack.of(role), resource)}]", reason)


def nag_resource_name(stack: Stack, value: str) -> str:
    """Render an ARN the way cdk-nag names it in a finding id (intrinsics as ``<...>``)."""
    return render_for_nag(stack.resolve(value))
