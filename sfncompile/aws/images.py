"""The runtime image by digest: deployed job definitions never follow a mutable tag.

``deploy`` resolves ``repo:tag`` in ECR (DescribeImages) to ``repo@sha256:...``, so
pushing a new image never changes a deployed flow. An image that is not there is
one clear error saying how to build and push it.
"""
from __future__ import annotations

import re
from typing import Any, Optional, Tuple

from ..exceptions import ConfigError
from botocore.exceptions import ClientError

from .errors import describe

HOW_TO_BUILD = "build and push it with `sfncompile image push` (needs Docker), then deploy again"

_ECR = re.compile(r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repo>[^:@]+)"
                  r"(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


def parse_ecr(uri: str) -> Optional[Tuple[str, str, str, Optional[str]]]:
    """(registry id, repository, tag, digest) of a private ECR image URI, or None for other registries."""
    match = _ECR.match(uri)
    if match is None:
        return None
    return match["registry"], match["repo"], match["tag"] or "latest", match["digest"]


def pin_image(ecr: Any, uri: str) -> str:
    """``uri`` as ``repository@sha256:...`` (unchanged when already pinned or not in ECR)."""
    parsed = parse_ecr(uri)
    if parsed is None:
        return uri
    registry, repo, tag, digest = parsed
    if digest:
        return uri
    base = uri[: -len(":" + tag)] if uri.endswith(":" + tag) else uri
    action = f"describe image {repo}:{tag}"
    try:
        found = ecr.describe_images(registryId=registry, repositoryName=repo, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise ConfigError(f"no runtime image {repo}:{tag} in ECR", fix=HOW_TO_BUILD) from None
        raise describe(exc, action) from exc
    details = found.get("imageDetails") or []
    if not details:
        raise ConfigError(f"no runtime image {repo}:{tag} in ECR", fix=HOW_TO_BUILD)
    return f"{base}@{details[0]['imageDigest']}"
