"""The datastore bucket and the metadata table: the only state a stage keeps.

Both are retained when the stack is deleted, because they hold every run's
artifacts and history; ``infra/README.md`` says how to delete them on purpose. The
table has deletion protection; the bucket keeps versions, and its policy makes the
job role's writes write-once (:meth:`Storage.enforce_write_once`).
"""
from __future__ import annotations

from typing import Optional

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .nag import acknowledge
from .settings import Settings

NONCURRENT_VERSION_DAYS = 30


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
            # A version survives an overwrite or delete by anyone the policy does not stop.
            versioned=True,
            lifecycle_rules=[
                # Interrupted uploads of large artifacts would otherwise be billed forever.
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                # Datastore keys are written once, so old versions exist only after a deliberate
                # overwrite (a redeploy's manifest); keep them long enough to undo one.
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                ),
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
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._prefix = settings.datastore_prefix

    def enforce_write_once(self, writer: iam.IRole) -> None:
        """Bucket policy: ``writer`` (the job role) creates datastore objects only, never replaces one.

        Blob, run and rejected-trigger keys (artifacts, commit markers, logs, foreach manifests) must be put
        with ``If-None-Match: *`` - S3 then refuses to replace an existing key - enforced
        with the ``s3:if-none-match`` condition key; ``s3:ObjectCreationOperation`` exempts
        the multipart steps that carry no conditional header (CreateMultipartUpload,
        UploadPart), as the S3 guide prescribes
        (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).
        Code packages and deploy manifests are deploy's: the job role may not write them at all.
        """
        principal = iam.ArnPrincipal(writer.role_arn)
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="JobWritesAreWriteOnce",
                effect=iam.Effect.DENY,
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{self._prefix}/*/{area}/*")
                           for area in ("blobs", "runs", "triggers")],
                conditions={"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="JobNeverWritesDeployments",
                effect=iam.Effect.DENY,
                principals=[principal],
                actions=["s3:PutObject", "s3:DeleteObject"],
                resources=[self.bucket.arn_for_objects(f"{self._prefix}/*/{area}/*") for area in ("deployments", "code")],
            )
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
