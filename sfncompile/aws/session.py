"""boto3 clients for the configured region (imported lazily: the core stays light), made from the
process's one boto3 session (storage/retry.py), over the botocore session the datastore and
metadata clients come from."""
from __future__ import annotations

import functools
from typing import Any, Mapping, Optional


@functools.lru_cache(maxsize=None)
def _client(service: str, region: Optional[str], endpoint_url: Optional[str]) -> Any:
    from botocore.config import Config

    from ..storage.retry import session_client

    config = Config(retries={"mode": "adaptive", "max_attempts": 10}, user_agent_extra="sfncompile")
    kwargs = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    # One session with the storage clients: each service model and the endpoint data are parsed once.
    return session_client(service, **kwargs)


def client(service: str, config: Optional[Mapping[str, Any]] = None) -> Any:
    """A cached client; AWS_ENDPOINT_URL (standard boto3 variable) or config endpoint_url apply."""
    from .errors import aws_errors

    config = config or {}
    with aws_errors(f"connect to {service}"):
        return _client(service, config.get("region"), config.get("endpoint_url"))


def reset_clients() -> None:
    """Forget the clients and the session (after credentials, region or endpoint change)."""
    from ..storage.retry import reset_sessions

    _client.cache_clear()
    reset_sessions()
