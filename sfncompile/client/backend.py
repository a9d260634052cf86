"""Where the client reads from: a *backend* = one artifact store + one metadata store.

The seam for AWS is explicit and small:

- ``default_backend()`` opens the stores ``storage.factory.open_stores()`` selects
  (``SFNCOMPILE_DATASTORE`` / ``SFNCOMPILE_METADATA``, else the local root
  ``SFNCOMPILE_ROOT`` / ``./.sfncompile``);
- Step Functions runs (run ids starting with ``sfn-``) are read from the *remote*
  backend: the first registered provider that returns one. A provider is a
  zero-argument callable returning a ``Backend`` or None (not configured).
  The built-in provider imports ``sfncompile.aws.client_backend`` if it exists
  and calls its ``open_backend()`` (which should return ``Backend(stores, "aws")``
  built from the AWS config file, or None when there is no config). Others can be
  added with ``register_backend_provider``.

Listing a flow's runs merges every backend (deduplicated by store URL).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..logs import get_logger

SFN_RUN_PREFIX = "sfn-"

log = get_logger(__name__)

_PROVIDERS: List[Callable[[], Optional["Backend"]]] = []
_CACHE: Dict[Tuple[Any, ...], Any] = {}


class Backend:
    """One artifact store + one metadata store (what every client object reads through)."""

    def __init__(self, stores: Any, name: str = "local") -> None:
        self.stores = stores
        self.name = name
        self.artifacts = stores.artifacts
        self.metadata = stores.metadata
        self._aio: Dict[str, Any] = {}

    @property
    def key(self) -> str:
        ds = getattr(self.stores, "datastore_url", None) or getattr(getattr(self.stores, "objects", None), "url", None)
        md = getattr(self.stores, "metadata_url", None) or getattr(self.metadata, "url", None)
        return f"{ds or id(self.artifacts)}|{md or id(self.metadata)}"

    def aio(self, flow: str):
        """The artifact reader for a flow (cached: indexes of committed attempts never change)."""
        aio = self._aio.get(flow)
        if aio is None:
            from ..runtime.artifacts import ArtifactIO

            aio = self._aio[flow] = ArtifactIO(self.artifacts, flow, self.metadata)
        return aio

    def __repr__(self) -> str:
        return f"Backend({self.name}: {self.key})"


def register_backend_provider(provider: Callable[[], Optional[Backend]]) -> None:
    """Add a backend for Step Functions runs (e.g. S3 + DynamoDB from the AWS config)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    _CACHE.pop(("remote",) + _env_key(), None)


def _env_key() -> Tuple[Any, ...]:
    env = os.environ
    return (
        env.get("SFNCOMPILE_ROOT"),
        env.get("SFNCOMPILE_DATASTORE"),
        env.get("SFNCOMPILE_METADATA"),
        env.get("SFNCOMPILE_CONFIG"),
        os.getcwd(),
    )


def default_backend() -> Backend:
    key = ("default",) + _env_key()
    backend = _CACHE.get(key)
    if backend is None:
        from ..storage.factory import open_stores

        backend = _CACHE[key] = Backend(open_stores(), "local")
    return backend


def _aws_provider() -> Optional[Backend]:
    import importlib

    try:
        client_backend = importlib.import_module("sfncompile.aws.client_backend")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("sfncompile"):
            return None
        raise
    opened = client_backend.open_backend()
    if opened is None:
        return None
    return opened if isinstance(opened, Backend) else Backend(opened, "aws")


def remote_backend() -> Optional[Backend]:
    """The backend holding Step Functions runs, or None when AWS is not configured."""
    key = ("remote",) + _env_key()
    if key in _CACHE:
        return _CACHE[key]
    backend = None
    for provider in list(_PROVIDERS) + [_aws_provider]:
        try:
            backend = provider()
        except Exception as exc:  # a broken/missing AWS config must not break reading local runs
            log.warning("Step Functions runs are not readable (%s); showing local runs only", exc)
            backend = None
        if backend is not None:
            break
    _CACHE[key] = backend
    return backend


def backend_for_run(run_id: str) -> Backend:
    """Step Functions runs come from the remote backend when there is one; other runs from the default."""
    if run_id.startswith(SFN_RUN_PREFIX):
        remote = remote_backend()
        if remote is not None:
            return remote
    return default_backend()


def all_backends(include_remote: bool = True) -> List[Backend]:
    backends = [default_backend()]
    if include_remote and _remote_configured():
        remote = remote_backend()
        if remote is not None and remote.key != backends[0].key:
            backends.append(remote)
    return backends


def _remote_configured() -> bool:
    if _PROVIDERS:
        return True
    path = os.environ.get("SFNCOMPILE_CONFIG") or os.path.expanduser("~/.sfncompile/config.json")
    return os.path.exists(path)


def reset() -> None:
    """Forget opened backends (tests; after changing the environment)."""
    _CACHE.clear()
