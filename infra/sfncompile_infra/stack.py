"""The per-stage infra stack: everything `sfncompile configure/deploy` expects to exist.

Its outputs are the contract with the client (docs/internals.md, "AWS configuration"):
``sfncompile configure --stack sfncompile-<stage>`` reads them by these exact names.
"""
from __future__ import annotations

from typing import List

from aws_cdk import CfnOutput, Environment, Fn, Stack, Tags
from constructs import Construct

from . import roles
from .batch import BatchCompute
from .image import RuntimeImage
from .log_groups import LogGroups
from .network import Network
from .settings import Settings
from .storage import Storage
from .triggers import Triggers


class SfnCompileStack(Stack):
    """S3, DynamoDB, ECR, Batch, IAM and log groups for one stage (``sfncompile-<stage>``)."""

    def __init__(self, scope: Construct, *, settings: Settings) -> None:
        super().__init__(
            scope,
            settings.stack_name,
            stack_name=settings.stack_name,
            env=Environment(account=settings.account, region=settings.region),
            description=f"sfncompile infrastructure for stage {settings.stage}: datastore, metadata, Batch, IAM",
        )
        self.settings = settings
        Tags.of(self).add("sfncompile:stage", settings.stage)

        self.storage = Storage(self, "Storage", settings=settings)
        self.logs = LogGroups(self, "Logs", settings=settings)
        self.image = RuntimeImage(self, "Image", settings=settings)
        self.network = Network(self, "Network", settings=settings)

        self.job_role = roles.job_role(self, settings, self.storage)
        self.storage.enforce_write_once(self.job_role)
        self.execution_role = roles.execution_role(self, settings, self.image, self.logs.batch)
        self.batch = BatchCompute(
            self,
            "Batch",
            settings=settings,
            subnet_ids=self.network.subnet_ids,
            security_group_id=self.network.security_group_id,
            image_uri=self.image.image_uri,
            job_role=self.job_role,
            execution_role=self.execution_role,
            log_group_name=self.logs.batch.log_group_name,
            environment={
                "SFNCOMPILE_DATASTORE": f"s3://{self.storage.bucket.bucket_name}/{settings.datastore_prefix}",
                "SFNCOMPILE_METADATA": f"dynamodb:{self.storage.table.table_name}",
                "SFNCOMPILE_PRODUCTION": "1",
                "AWS_DEFAULT_REGION": settings.region,
            },
        )
        self.state_machine_role = roles.state_machine_role(self, settings, self.storage, self.batch.job_queue_arn)
        self.scheduler_role = roles.scheduler_role(self, settings)
        self.triggers = Triggers(self, "Triggers", settings=settings)
        self._outputs()

    @property
    def availability_zones(self) -> List[str]:
        """Zones for the VPC we create: ``-c azs=...``, else the region's first two at deploy time.

        CDK would otherwise look the zones up in the account at synth time; zone
        names also differ between accounts (some have no ``<region>a``), so the
        template asks CloudFormation (``Fn::GetAZs``) instead of naming them.
        """
        if self.settings.availability_zones:
            return list(self.settings.availability_zones)
        return [Fn.select(index, Fn.get_azs()) for index in range(2)]

    def _outputs(self) -> None:
        settings = self.settings
        outputs = {
            "DatastoreBucketName": (self.storage.bucket.bucket_name, "S3 bucket of the artifact datastore"),
            "DatastorePrefix": (settings.datastore_prefix, "key prefix of the datastore inside the bucket"),
            "MetadataTableName": (self.storage.table.table_name, "DynamoDB metadata table"),
            "JobQueueArn": (self.batch.job_queue_arn, "Batch job queue for step jobs"),
            "JobDefinitionArn": (self.batch.job_definition_arn, "base Batch job definition (revision included)"),
            "JobRoleArn": (self.job_role.role_arn, "IAM role that step jobs run as"),
            "ExecutionRoleArn": (self.execution_role.role_arn, "IAM role ECS uses to start step containers"),
            "StateMachineRoleArn": (self.state_machine_role.role_arn, "IAM role deployed state machines run as"),
            "SchedulerRoleArn": (self.scheduler_role.role_arn, "IAM role EventBridge Scheduler uses for @schedule"),
            "BatchLogGroupName": (self.logs.batch.log_group_name, "CloudWatch log group of step jobs"),
            "StateMachineLogGroupArn": (self.logs.state_machines.log_group_arn, "log group for execution logging"),
            "RuntimeImageUri": (self.image.image_uri, "container image step jobs run"),
            "StateMachinePrefix": (settings.name_prefix, "name prefix of deployed state machines"),
            "EventBusName": (self.triggers.bus.event_bus_name, "event bus of @trigger events"),
            "TriggerRoleBoundaryArn": (self.triggers.boundary.managed_policy_arn,
                                       "permissions boundary of the roles EventBridge uses to start flows"),
            "Region": (self.region, "region of this stage"),
        }
        if self.storage.access_log_bucket is not None:
            outputs["AccessLogBucketName"] = (
                self.storage.access_log_bucket.bucket_name, "S3 server access logs of the datastore (retained)"
            )
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
