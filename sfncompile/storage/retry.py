"""boto3 clients for the storage backends: imported lazily, retrying throttles with backoff.

``import sfncompile`` never imports boto3; the first S3 or DynamoDB call does.
Clients are recreated after a fork (boto3 connection pools are not fork-safe).
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, Optional, Tuple

from ..exceptions import ConfigError, NotFoundError, StorageError
from .botocore_data import OPERATIONS, loader as small_data_loader

MAX_ATTEMPTS = 10  # in all (first try included)
RETRY_MODE = "adaptive"  # client-side rate limiting on throttles, on top of "standard" retries


def endpoint_override(service: str) -> Optional[str]:
    """The endpoint from AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL (boto3 reads these too)."""
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL") or None


_session_lock = threading.Lock()
_sessions: Dict[Tuple[int, bool], Any] = {}


def session_client(service: str, *, storage: bool = False, **kwargs: Any) -> Any:
    """A client from the process's boto3 session, so service models, endpoint data and
    credentials are loaded once for every client (a forked child gets a new session).

    ``storage``: a datastore or metadata client. In the runtime image those come from a
    second session reading the image's small botocore data directory
    (storage/botocore_data.py); it holds only the operations the storage backends call,
    so no other client is made from it. Elsewhere all clients share the one session."""
    with _session_lock:  # sessions are not thread-safe
        return _session(storage and service in OPERATIONS).client(service, **kwargs)


def _session(storage: bool) -> Any:
    import boto3

    pid = os.getpid()
    if any(key[0] != pid for key in _sessions):
        _sessions.clear()
    session = _sessions.get((pid, storage))
    if session is None:
        if storage:
            small = small_data_loader()
            if small is not None:
                import botocore.session

                core = botocore.session.get_session()
                core.register_component("data_loader", small)
                session = boto3.session.Session(botocore_session=core)
            else:  # no small data directory: the storage clients share the one session
                session = _session(False)
        else:
            session = boto3.session.Session()
        _sessions[(pid, storage)] = session
    return session


def reset_sessions() -> None:
    """Forget the cached boto3 sessions (and the credentials they resolved)."""
    with _session_lock:
        _sessions.clear()


def make_client(service: str, region: Optional[str] = None, *, max_pool_connections: int = 32) -> Any:
    from botocore.config import Config

    kwargs: Dict[str, Any] = {
        "retries": {"mode": RETRY_MODE, "total_max_attempts": MAX_ATTEMPTS},
        "max_pool_connections": max_pool_connections,
        "user_agent_extra": "sfncompile",
    }
    if service == "s3" and endpoint_override("s3"):
        kwargs["s3"] = {"addressing_style": "path"}  # emulators rarely resolve bucket subdomains
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    try:
        # endpoint_url is left to boto3, which honours AWS_ENDPOINT_URL[_<SERVICE>] natively.
        return session_client(service, storage=True, region_name=region, config=Config(**kwargs))
    except Exception as exc:  # botocore.exceptions.NoRegionError and friends
        if type(exc).__name__ == "NoRegionError":
            raise ConfigError(
                f"no AWS region for the {service} client",
                fix="set AWS_REGION (or AWS_DEFAULT_REGION), or run `sfncompile configure`",
            ) from exc
        raise


class LazyClient:
    """A boto3 client made on first use, and again in a forked child."""

    def __init__(self, factory: Callable[[], Any], client: Any = None) -> None:
        self._factory = factory
        self._client = client
        self._pid = os.getpid() if client is not None else None
        self._given = client is not None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is not None and (self._given or self._pid == os.getpid()):
            return self._client
        with self._lock:
            if self._client is None or (not self._given and self._pid != os.getpid()):
                self._client = self._factory()
                self._pid = os.getpid()
        return self._client


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "ResourceNotFoundException"})


def translate(exc: BaseException, what: str, *, missing_ok: bool = False) -> Exception:
    """One readable sfncompile error for a botocore exception (``what`` names the object)."""
    code = error_code(exc)
    name = type(exc).__name__
    if code in NOT_FOUND_CODES:
        if code == "ResourceNotFoundException":
            return StorageError(f"{what}: the DynamoDB table does not exist", fix="check the table name, or deploy the infra stack")
        return NotFoundError(f"{what} does not exist")
    if code == "NoSuchBucket":
        return StorageError(f"{what}: the bucket does not exist", fix="check the datastore URL, or deploy the infra stack")
    if code in ("AccessDenied", "AccessDeniedException", "403", "Forbidden"):
        return StorageError(f"{what}: access denied", fix="check the AWS credentials and the role's permissions")
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return ConfigError(f"{what}: no AWS credentials", fix="configure credentials (AWS_PROFILE, env vars or an instance role)")
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return StorageError(f"{what}: cannot reach AWS ({exc})", fix="check the network and AWS_ENDPOINT_URL")
    detail = f"{code}: " if code else ""
    return StorageError(f"{what}: {detail}{exc}")


def is_boto_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("botocore", "boto3", "s3transfer"))


def split_s3_url(url: str) -> Tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix/"); no prefix -> ("bucket", "")."""
    if not url.startswith("s3://"):
        raise ConfigError(f"not an S3 URL: {url!r}", fix="use s3://bucket/prefix")
    rest = url[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ConfigError(f"no bucket in S3 URL {url!r}", fix="use s3://bucket/prefix")
    prefix = prefix.strip("/")
    return bucket, (prefix + "/" if prefix else "")
