"""The datastore bucket and the metadata table: the only state a stage keeps.

Both are retained when the stack is deleted, because they hold every run's
artifacts and history; ``infra/README.md`` says how to delete them on purpose.
"""
from __future__ import annotations

from typing import Optional

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .nag import acknowledge
from .settings import Settings


class Storage(Construct):
    """S3 datastore (artifacts, code packages, logs) and DynamoDB metadata table."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.access_log_bucket: Optional[s3.Bucket] = None
        if settings.access_logs:
            self.access_log_bucket = self._access_log_bucket()

        self.bucket = s3.Bucket(
            self,
            "Datastore",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                # Interrupted uploads of large artifacts would otherwise be billed forever.
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="datastore/" if self.access_log_bucket else None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if self.access_log_bucket is None:
            acknowledge(
                self.bucket,
                "AwsSolutions-S1",
                "Server access logging is opt-in (-c access_logs=true) so that an idle stage costs nothing; "
                "the bucket is private and TLS-only, and CloudTrail data events can audit object access when needed.",
            )

        self.table = dynamodb.Table(
            self,
            "Metadata",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute="expires_at",
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3 server access logging can deliver only to SSE-S3 encrypted buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This bucket is the access-log destination: logging it into itself would log its own log "
            "deliveries without end, and a further bucket would only move the question.",
        )
        return bucket
