"""AWS clients: imported lazily, retrying throttles with backoff, made from one session per process.

``import sfncompile`` never imports botocore; the first S3 or DynamoDB call does, and the
storage backends' clients are botocore's own (boto3 is imported by the AWS layer's clients
and by S3ObjectStore's file transfers only). Clients are recreated after a fork (connection pools are
not fork-safe).
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
_sessions: Dict[Tuple[int, str], Any] = {}


def session_client(service: str, **kwargs: Any) -> Any:
    """A boto3 client from the process's one session, so service models, endpoint data and
    credentials are loaded once for every client (a forked child gets a new session). The AWS
    layer's clients (deploy, trigger, the client API) come from here; the storage backends'
    from :func:`storage_client`."""
    with _session_lock:  # sessions are not thread-safe
        return _boto3_session().client(service, **kwargs)


def storage_client(service: str, **kwargs: Any) -> Any:
    """A datastore or metadata client made by botocore alone: a task never imports boto3 (nor
    s3transfer, which boto3 loads into every S3 client) unless it transfers a file (s3_objects.py).

    In the runtime image these clients come from a second botocore session reading the image's
    small data directory (storage/botocore_data.py), which holds only the operations a task
    calls (the start task's Step Functions read too), so no other client is made from it.
    Elsewhere they share the session of every other client."""
    with _session_lock:
        return _botocore_session(service in OPERATIONS).create_client(service, **kwargs)


def _botocore_session(small: bool) -> Any:
    """The process's botocore session; ``small``: the one reading the small data directory
    (the shared one when there is none)."""
    pid = os.getpid()
    if any(key[0] != pid for key in _sessions):
        _sessions.clear()
    key = (pid, "small" if small else "botocore")
    session = _sessions.get(key)
    if session is None:
        data = small_data_loader() if small else None
        if small and data is None:
            session = _botocore_session(False)
        else:
            import botocore.session

            session = botocore.session.get_session()
            if data is not None:
                session.register_component("data_loader", data)
        _sessions[key] = session
    return session


def _boto3_session() -> Any:
    """A boto3 session over the shared botocore session (what the storage clients parsed is reused)."""
    key = (os.getpid(), "boto3")
    session = _sessions.get(key)
    if session is None:
        import boto3.session

        session = boto3.session.Session(botocore_session=_botocore_session(False))
        _sessions[key] = session
    return session


def reset_sessions() -> None:
    """Forget the cached sessions (and the credentials they resolved)."""
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
        # endpoint_url is left to botocore, which honours AWS_ENDPOINT_URL[_<SERVICE>] natively.
        return storage_client(service, region_name=region, config=Config(**kwargs))
    except Exception as exc:  # botocore.exceptions.NoRegionError and friends
        if type(exc).__name__ == "NoRegionError":
            raise ConfigError(
                f"no AWS region for the {service} client",
                fix="set AWS_REGION (or AWS_DEFAULT_REGION), or run `sfncompile configure`",
            ) from exc
        raise


class LazyClient:
    """An AWS client made on first use, and again in a forked child."""

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
