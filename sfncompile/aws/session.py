"""boto3 clients for the configured region (imported lazily: the core stays light)."""
from __future__ import annotations

import functools
from typing import Any, Mapping, Optional


@functools.lru_cache(maxsize=None)
def _client(service: str, region: Optional[str], endpoint_url: Optional[str]) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "adaptive", "max_attempts": 10}, user_agent_extra="sfncompile")
    kwargs = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return boto3.session.Session().client(service, **kwargs)


def client(service: str, config: Optional[Mapping[str, Any]] = None) -> Any:
    """A cached client; AWS_ENDPOINT_URL (standard boto3 variable) or config endpoint_url apply."""
    from .errors import aws_errors

    config = config or {}
    with aws_errors(f"connect to {service}"):
        return _client(service, config.get("region"), config.get("endpoint_url"))


def reset_clients() -> None:
    _client.cache_clear()
