"""AWS Batch: the compute environment, the stage's job queue and the base job definition.

Fargate is the default because it has no hosts to manage and costs nothing while
no job runs. ``-c compute=ec2`` switches to a managed EC2 environment (optionally
Spot, optionally GPU instance types), still scaling to zero vCPUs when idle.
"""
from __future__ import annotations

from typing import List, Mapping

from aws_cdk import aws_batch as batch
from aws_cdk import aws_iam as iam
from constructs import Construct

from .nag import acknowledge
from .settings import Settings

# What a step's Batch job runs (docs/internals.md); Step Functions fills the four
# Ref:: parameters (step, run, task id, attempt: one letter each, as every compiled
# Task pays for their names) through SubmitJob's Parameters. The same as
# sfncompile/compiler/jobparams.py JOB_COMMAND (this app does not import sfncompile;
# tests/infra checks the two agree).
TASK_COMMAND: List[str] = [
    "sfncompile", "task", "Ref::s",
    "--run-id", "Ref::r",
    "--task-id", "Ref::t",
    "--attempt", "Ref::a",
]

# Defaults of the command's Ref:: parameters: a Task leaves out the task id `t` and the
# attempt `a` when they equal these (docs/internals.md, "The task command"). Deploy
# registers each flow's job definition with them too.
TASK_PARAMETER_DEFAULTS = {"t": "0", "a": "0"}

# Non-root user of the runtime image (see Dockerfile).
CONTAINER_USER = "1000"

# Batch retries only what the platform broke; a failure of user code exits at once so
# the state machine's own Retry (from @retry) decides, with its interval and backoff.
# The first matching entry wins, and Batch retries when no entry matches, so the list
# ends with catch-alls.
RETRY_ATTEMPTS = 3
EVALUATE_ON_EXIT = [
    {"on_status_reason": "Host EC2*", "action": "RETRY"},  # Spot reclaim, host terminated
    {"on_reason": "CannotPullContainerError*", "action": "RETRY"},  # registry throttling, network blips
    {"on_reason": "ResourceInitializationError*", "action": "RETRY"},  # Fargate ENI/log setup failures
    {"on_exit_code": "*", "action": "EXIT"},  # user code ran and failed
    {"on_reason": "*", "action": "EXIT"},
]

BASE_VCPUS = "1"
BASE_MEMORY_MIB = "2048"

# Batch picks the AMI matching each instance type: the NVIDIA variant for GPU families.
EC2_IMAGE_TYPES = ("ECS_AL2023", "ECS_AL2023_NVIDIA")


class BatchCompute(Construct):
    """Compute environment + job queue + base job definition for one stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        subnet_ids: List[str],
        security_group_id: str,
        image_uri: str,
        job_role: iam.IRole,
        execution_role: iam.IRole,
        log_group_name: str,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        if settings.compute == "ec2":
            compute_resources = self._ec2_resources(subnet_ids, security_group_id)
        else:
            compute_resources = batch.CfnComputeEnvironment.ComputeResourcesProperty(
                type="FARGATE_SPOT" if settings.spot else "FARGATE",
                maxv_cpus=settings.max_vcpus,
                subnets=subnet_ids,
                security_group_ids=[security_group_id],
            )
        # No service role: Batch then uses its service-linked role (AWSServiceRoleForBatch).
        self.compute_environment = batch.CfnComputeEnvironment(
            self,
            "ComputeEnvironment",
            type="MANAGED",
            state="ENABLED",
            compute_resources=compute_resources,
            replace_compute_environment=False,
        )
        self.job_queue = batch.CfnJobQueue(
            self,
            "JobQueue",
            job_queue_name=f"sfncompile-{settings.stage}",
            priority=1,
            state="ENABLED",
            compute_environment_order=[
                batch.CfnJobQueue.ComputeEnvironmentOrderProperty(
                    order=1, compute_environment=self.compute_environment.ref
                )
            ],
        )
        self.job_definition = batch.CfnJobDefinition(
            self,
            "JobDefinition",
            type="container",
            job_definition_name=f"{settings.name_prefix}task",
            platform_capabilities=["EC2" if settings.compute == "ec2" else "FARGATE"],
            propagate_tags=True,
            parameters=TASK_PARAMETER_DEFAULTS,
            container_properties=self._container(
                image_uri, job_role, execution_role, log_group_name, environment
            ),
            retry_strategy=batch.CfnJobDefinition.RetryStrategyProperty(
                attempts=RETRY_ATTEMPTS,
                evaluate_on_exit=[batch.CfnJobDefinition.EvaluateOnExitProperty(**entry) for entry in EVALUATE_ON_EXIT],
            ),
        )

    @property
    def job_queue_arn(self) -> str:
        return self.job_queue.attr_job_queue_arn

    @property
    def job_definition_arn(self) -> str:
        # Ref of AWS::Batch::JobDefinition is its ARN, revision included.
        return self.job_definition.ref

    def _container(
        self,
        image_uri: str,
        job_role: iam.IRole,
        execution_role: iam.IRole,
        log_group_name: str,
        environment: Mapping[str, str],
    ) -> batch.CfnJobDefinition.ContainerPropertiesProperty:
        fargate = self.settings.compute == "fargate"
        return batch.CfnJobDefinition.ContainerPropertiesProperty(
            image=image_uri,
            command=TASK_COMMAND,
            user=CONTAINER_USER,
            # An init process forwards Batch's SIGTERM to the task and reaps its children.
            linux_parameters=batch.CfnJobDefinition.LinuxParametersProperty(init_process_enabled=True),
            job_role_arn=job_role.role_arn,
            execution_role_arn=execution_role.role_arn,
            environment=[
                batch.CfnJobDefinition.EnvironmentProperty(name=name, value=value)
                for name, value in sorted(environment.items())
            ],
            resource_requirements=[
                batch.CfnJobDefinition.ResourceRequirementProperty(type="VCPU", value=BASE_VCPUS),
                batch.CfnJobDefinition.ResourceRequirementProperty(type="MEMORY", value=BASE_MEMORY_MIB),
            ],
            log_configuration=batch.CfnJobDefinition.LogConfigurationProperty(
                log_driver="awslogs",
                options={
                    "awslogs-group": log_group_name,
                    "awslogs-region": self.settings.region,
                    "awslogs-stream-prefix": "sfncompile",
                },
            ),
            network_configuration=(
                batch.CfnJobDefinition.NetworkConfigurationProperty(
                    assign_public_ip="ENABLED" if self.settings.assign_public_ip else "DISABLED"
                )
                if fargate
                else None
            ),
            fargate_platform_configuration=(
                batch.CfnJobDefinition.FargatePlatformConfigurationProperty(platform_version="LATEST")
                if fargate
                else None
            ),
            runtime_platform=(
                batch.CfnJobDefinition.RuntimePlatformProperty(
                    cpu_architecture="X86_64", operating_system_family="LINUX"
                )
                if fargate
                else None
            ),
        )

    def _ec2_resources(
        self, subnet_ids: List[str], security_group_id: str
    ) -> batch.CfnComputeEnvironment.ComputeResourcesProperty:
        settings = self.settings
        instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"{settings.stack_name}: ECS agent on Batch container instances",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonEC2ContainerServiceforEC2Role")
            ],
        )
        acknowledge(
            instance_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]",
            "The ECS agent's own permissions (register the instance, poll for tasks) as AWS maintains them "
            "for new agent versions; jobs never use this role, they run as the job role.",
        )
        instance_profile = iam.CfnInstanceProfile(self, "InstanceProfile", roles=[instance_role.role_name])
        return batch.CfnComputeEnvironment.ComputeResourcesProperty(
            type="SPOT" if settings.spot else "EC2",
            allocation_strategy="SPOT_PRICE_CAPACITY_OPTIMIZED" if settings.spot else "BEST_FIT_PROGRESSIVE",
            minv_cpus=0,
            maxv_cpus=settings.max_vcpus,
            instance_types=list(settings.instance_types),
            subnets=subnet_ids,
            security_group_ids=[security_group_id],
            instance_role=instance_profile.attr_arn,
            ec2_configuration=[
                batch.CfnComputeEnvironment.Ec2ConfigurationObjectProperty(image_type=image_type)
                for image_type in EC2_IMAGE_TYPES
            ],
            tags={"sfncompile:stage": settings.stage},
        )
