"""Open the datastore and metadata store named by URLs (or the environment, or the defaults).

=========================  =====================================================
datastore URL              ``local:<dir>`` or ``s3://<bucket>/<prefix>``
metadata URL               ``sqlite:<path>`` or ``dynamodb:<table>``
defaults                   ``$SFNCOMPILE_DATASTORE`` / ``$SFNCOMPILE_METADATA``, else
                           ``local:<root>`` and ``sqlite:<root>/metadata.sqlite`` with
                           root = ``$SFNCOMPILE_ROOT`` or ``./.sfncompile``
=========================  =====================================================

Stores are cached per process, keyed by the resolved URLs.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ..exceptions import ConfigError
from .artifacts import ArtifactStore
from .interfaces import MetadataStore, ObjectStore

DEFAULT_ROOT = ".sfncompile"
METADATA_FILE = "metadata.sqlite"


@dataclass(frozen=True)
class Stores:
    """The object store, the artifact store over it and the metadata store one configuration opens."""

    objects: ObjectStore
    artifacts: ArtifactStore
    metadata: MetadataStore
    datastore_url: str
    metadata_url: str

    def describe(self) -> str:
        return _describe(self.datastore_url, self.metadata_url)


def local_root() -> str:
    """``$SFNCOMPILE_ROOT``, else the nearest ``.sfncompile`` store upward from the current directory."""
    configured = os.environ.get("SFNCOMPILE_ROOT")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    return find_local_root(os.getcwd())


def find_local_root(start: str) -> str:
    """The nearest ``<dir>/.sfncompile`` holding a metadata store, from ``start`` upward (as git
    finds ``.git``), so commands run in a subdirectory see the project's runs; else
    ``<start>/.sfncompile``. A ``.sfncompile`` without ``metadata.sqlite`` (such as the one
    holding ``~/.sfncompile/config.json``) is not a store and is passed over."""
    start = os.path.abspath(start)
    directory = start
    while True:
        candidate = os.path.join(directory, DEFAULT_ROOT)
        if os.path.isfile(os.path.join(candidate, METADATA_FILE)):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return os.path.join(start, DEFAULT_ROOT)
        directory = parent


def resolve_urls(datastore: Optional[str] = None, metadata: Optional[str] = None) -> Tuple[str, str]:
    """Normalized (datastore, metadata) URLs: defaults applied, local paths made absolute."""
    datastore = datastore or os.environ.get("SFNCOMPILE_DATASTORE") or f"local:{local_root()}"
    metadata = metadata or os.environ.get("SFNCOMPILE_METADATA") or f"sqlite:{os.path.join(local_root(), METADATA_FILE)}"
    return _norm_datastore(datastore), _norm_metadata(metadata)


def _norm_datastore(url: str) -> str:
    url = url.strip()
    if url.startswith("s3://"):
        from .retry import split_s3_url

        bucket, prefix = split_s3_url(url)
        return f"s3://{bucket}/{prefix.rstrip('/')}" if prefix else f"s3://{bucket}"
    if url.startswith("local:"):
        path = url[len("local:"):]
    elif url.startswith("file://"):
        path = url[len("file://"):]
    elif "://" not in url and not url.startswith(("sqlite:", "dynamodb:")):
        path = url  # a bare directory
    else:
        raise ConfigError(f"unknown datastore URL {url!r}", fix="use local:<dir> or s3://<bucket>/<prefix>")
    if not path:
        raise ConfigError(f"datastore URL {url!r} has no directory", fix="use local:<dir>")
    return f"local:{os.path.abspath(os.path.expanduser(path))}"


def _norm_metadata(url: str) -> str:
    url = url.strip()
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
        if path.startswith("//"):
            path = path[2:]  # sqlite:///abs/path
        if not path:
            raise ConfigError(f"metadata URL {url!r} has no path", fix="use sqlite:<path>")
        return f"sqlite:{os.path.abspath(os.path.expanduser(path))}"
    if url.startswith("dynamodb:"):
        table = url[len("dynamodb:"):].lstrip("/")
        if not table:
            raise ConfigError(f"metadata URL {url!r} has no table", fix="use dynamodb:<table>")
        return f"dynamodb:{table}"
    raise ConfigError(f"unknown metadata URL {url!r}", fix="use sqlite:<path> or dynamodb:<table>")


def open_object_store(url: str, *, region: Optional[str] = None) -> ObjectStore:
    url = _norm_datastore(url)
    if url.startswith("s3://"):
        from .s3_objects import S3ObjectStore

        return S3ObjectStore(url, region=region)
    from .local_objects import LocalObjectStore

    return LocalObjectStore(url[len("local:"):])


def open_metadata_store(url: str, *, region: Optional[str] = None) -> MetadataStore:
    url = _norm_metadata(url)
    if url.startswith("dynamodb:"):
        from .dynamodb_metadata import DynamoDbMetadataStore

        return DynamoDbMetadataStore(url[len("dynamodb:"):], region=region)
    from .sqlite_metadata import SqliteMetadataStore

    return SqliteMetadataStore(url[len("sqlite:"):])


_cache: Dict[Tuple[str, str, Optional[str]], Stores] = {}
_cache_lock = threading.Lock()


def open_stores(datastore: Optional[str] = None, metadata: Optional[str] = None, *, region: Optional[str] = None) -> Stores:
    """The stores for these URLs (None: from the environment / defaults), cached per process.

    ``region`` applies to the S3 and DynamoDB clients (default: AWS_REGION / AWS_DEFAULT_REGION /
    the profile); the AWS layer passes its config's region."""
    ds, md = resolve_urls(datastore, metadata)
    key = (ds, md, region)
    stores = _cache.get(key)
    if stores is None:
        with _cache_lock:
            stores = _cache.get(key)
            if stores is None:
                objects = open_object_store(ds, region=region)
                stores = Stores(
                    objects=objects,
                    artifacts=ArtifactStore(objects),
                    metadata=open_metadata_store(md, region=region),
                    datastore_url=ds,
                    metadata_url=md,
                )
                _cache[key] = stores
    return stores


def reset_stores() -> None:
    """Forget cached stores (tests; after changing credentials or endpoints)."""
    with _cache_lock:
        for stores in _cache.values():
            close = getattr(stores.metadata, "close", None)
            if close:
                close()
        _cache.clear()
    import sys

    retry = sys.modules.get(__package__ + ".retry")
    if retry is not None:
        retry.reset_sessions()


def _describe(ds: str, md: str) -> str:
    if ds.startswith("s3://"):
        where = f"artifacts in {ds}"
    else:
        where = f"artifacts in {ds[len('local:'):]}"
    if md.startswith("dynamodb:"):
        where += f", metadata in DynamoDB table {md[len('dynamodb:'):]}"
    else:
        where += f", metadata in {md[len('sqlite:'):]}"
    return where


def describe(datastore: Optional[str] = None, metadata: Optional[str] = None) -> str:
    """Where results live, for people: 'artifacts in <dir or s3 url>, metadata in <file or table>'."""
    return _describe(*resolve_urls(datastore, metadata))
