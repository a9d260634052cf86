"""open_stores: URLs, defaults from the environment, caching, describe(), and a light import."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sfncompile.exceptions import ConfigError
from sfncompile.storage import factory
from sfncompile.storage.dynamodb_metadata import DynamoDbMetadataStore
from sfncompile.storage.local_objects import LocalObjectStore
from sfncompile.storage.s3_objects import S3ObjectStore
from sfncompile.storage.sqlite_metadata import SqliteMetadataStore


@pytest.fixture(autouse=True)
def _fresh_cache():
    factory.reset_stores()
    yield
    factory.reset_stores()


def test_defaults_follow_sfncompile_root(tmp_path):
    root = os.environ["SFNCOMPILE_ROOT"]  # set per test by tests/conftest.py
    stores = factory.open_stores()
    assert isinstance(stores.objects, LocalObjectStore) and stores.objects.root == root
    assert isinstance(stores.metadata, SqliteMetadataStore)
    assert stores.metadata.path == os.path.join(root, "metadata.sqlite")
    assert stores.datastore_url == f"local:{root}" and stores.artifacts.objects is stores.objects
    assert factory.open_stores() is stores  # cached
    assert factory.open_stores(stores.datastore_url, stores.metadata_url) is stores  # same URLs, same stores
    assert stores.describe() == f"artifacts in {root}, metadata in {os.path.join(root, 'metadata.sqlite')}"


def test_default_root_is_dot_sfncompile(monkeypatch, tmp_path):
    monkeypatch.delenv("SFNCOMPILE_ROOT")
    monkeypatch.chdir(tmp_path)
    assert factory.resolve_urls() == (f"local:{tmp_path}/.sfncompile", f"sqlite:{tmp_path}/.sfncompile/metadata.sqlite")


def test_environment_urls(monkeypatch):
    monkeypatch.setenv("SFNCOMPILE_DATASTORE", "s3://my-bucket/some/prefix/")
    monkeypatch.setenv("SFNCOMPILE_METADATA", "dynamodb:my-table")
    stores = factory.open_stores(region="eu-west-1")  # nothing is contacted until first use
    assert isinstance(stores.objects, S3ObjectStore) and stores.objects.bucket == "my-bucket"
    assert stores.objects.prefix == "some/prefix/" and stores.datastore_url == "s3://my-bucket/some/prefix"
    assert isinstance(stores.metadata, DynamoDbMetadataStore) and stores.metadata.table == "my-table"
    assert factory.describe() == "artifacts in s3://my-bucket/some/prefix, metadata in DynamoDB table my-table"


def test_explicit_urls_and_errors(tmp_path):
    stores = factory.open_stores(f"local:{tmp_path}/a", f"sqlite:{tmp_path}/m.db")
    assert stores.objects.root == f"{tmp_path}/a" and stores.metadata.path == f"{tmp_path}/m.db"
    assert factory.resolve_urls(str(tmp_path / "b"), f"sqlite://{tmp_path}/x.db") == (
        f"local:{tmp_path}/b", f"sqlite:{tmp_path}/x.db")
    assert factory.resolve_urls("s3://bkt", "dynamodb:t")[0] == "s3://bkt"
    for ds, md in [("gs://bucket", None), ("s3://", None), (None, "postgres://x"), (None, "dynamodb:"), ("local:", None)]:
        with pytest.raises(ConfigError):
            factory.open_stores(ds, md)


def test_round_trip_through_open_stores():
    stores = factory.open_stores()
    index = stores.artifacts.save_artifacts("F", {"x": [1, 2]})
    stores.artifacts.commit_attempt("F", "r1", "start", "0", 0, index)
    stores.metadata.create_run("F", "r1", username="u", namespace="user:u")
    assert stores.artifacts.load_values("F", stores.artifacts.load_attempt("F", "r1", "start", "0")["artifacts"]) == {"x": [1, 2]}
    assert [r["run_id"] for r in stores.metadata.list_runs("F")] == ["r1"]


def test_import_is_light():
    code = (
        "import sys, json, sfncompile, sfncompile.storage, sfncompile.storage.factory;"
        "s = sfncompile.storage.open_stores();"
        "s.artifacts.save_artifacts('F', {'x': 1}); s.metadata.list_flows();"
        "print(json.dumps(sorted(m for m in ('boto3', 'botocore', 'cloudpickle', 'moto') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
