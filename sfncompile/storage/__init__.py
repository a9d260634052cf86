"""Storage: artifacts (local directory / S3) and metadata (SQLite / DynamoDB) behind two interfaces.

Import what you need from the submodules, or use ``open_stores()``::

    from sfncompile.storage import open_stores
    stores = open_stores()            # $SFNCOMPILE_DATASTORE / $SFNCOMPILE_METADATA, else ./.sfncompile
    stores.artifacts.save_artifacts(flow, {"x": 1})
    stores.metadata.list_runs(flow)

Names load lazily so that importing this package stays cheap (no boto3, no cloudpickle).
"""
from typing import Any

from .interfaces import FAILED, RUNNING, SUCCEEDED, MetadataStore, ObjectStore

_LAZY = {
    "ArtifactStore": "artifacts",
    "LocalObjectStore": "local_objects",
    "S3ObjectStore": "s3_objects",
    "SqliteMetadataStore": "sqlite_metadata",
    "DynamoDbMetadataStore": "dynamodb_metadata",
    "Stores": "factory",
    "open_stores": "factory",
    "describe": "factory",
    "reset_stores": "factory",
    "now_iso": "records",
}

__all__ = ["ObjectStore", "MetadataStore", "RUNNING", "SUCCEEDED", "FAILED", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sfncompile.storage' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)
