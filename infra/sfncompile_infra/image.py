"""The runtime image every Batch job runs: an ECR repository and the URI jobs use.

By default the job definition points at ``<repository>:latest`` and nothing here
needs Docker: push the image built from the repository's ``Dockerfile`` there.
With ``-c build_image=true`` CDK builds that Dockerfile and publishes it as an
asset instead; with ``-c image_uri=...`` any other image is used.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from constructs import Construct

from .settings import Settings

# The repository root: the build context of sfncompile/image/Dockerfile (the wheel comes from dist/).
REPO_ROOT = Path(__file__).resolve().parents[2]

_ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<name>[^:@]+)"
)


def ecr_repository_arn(image_uri: str, partition: str) -> Optional[str]:
    """The ARN of the private ECR repository an image URI points into, or None for other registries."""
    match = _ECR_URI.match(image_uri)
    if match is None:
        return None
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['name']}"


class RuntimeImage(Construct):
    """ECR repository for the runtime image plus the image URI the job definition uses."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=f"sfncompile-{settings.stage}/runtime",
            image_scan_on_push=True,
            # A pushed tag always names the same image: a job definition can never change
            # underneath a deployed flow.
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description=f"keep the last {settings.ecr_keep_images} images",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=settings.ecr_keep_images,
                )
            ],
            # Images are rebuilt from the Dockerfile, so the repository goes with the stack.
            removal_policy=RemovalPolicy.DESTROY,
            empty_on_delete=True,
        )
        self._pull_repository_arns: List[str] = [self.repository.repository_arn]
        self._asset: Optional[ecr_assets.DockerImageAsset] = None

        if settings.build_image:
            self._asset = ecr_assets.DockerImageAsset(
                self,
                "Build",
                directory=str(REPO_ROOT),
                file="sfncompile/image/Dockerfile",
                platform=ecr_assets.Platform.LINUX_AMD64,
            )
            self.image_uri: str = self._asset.image_uri
        elif settings.image_uri:
            self.image_uri = settings.image_uri
            external = ecr_repository_arn(settings.image_uri, Stack.of(self).partition)
            if external is not None:
                self._pull_repository_arns.append(external)
        else:
            self.image_uri = self.repository.repository_uri_for_tag("latest")

    def pull_statements(self) -> List[iam.PolicyStatement]:
        """What the Batch execution role needs to pull this image: no repository beyond these."""
        arns = list(self._pull_repository_arns)
        if self._asset is not None:
            arns.append(self._asset.repository.repository_arn)
        return [
            iam.PolicyStatement(
                sid="PullRuntimeImage",
                actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                resources=arns,
            ),
            # GetAuthorizationToken has no resource-level permissions.
            iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        ]
