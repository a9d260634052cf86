"""Backends for the storage contract tests: local dir + SQLite, and S3 + DynamoDB under moto."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from sfncompile.storage.artifacts import ArtifactStore

BUCKET = "sfn-test-bucket"
TABLE = "sfn-test-table"
REGION = "us-east-1"


@pytest.fixture(scope="package")
def _moto():
    """One moto (in-process) for this package, with fake credentials; yields (s3, dynamodb) clients."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
            mp.delenv(var, raising=False)
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            mp.setenv(var, "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_REGION", REGION)
        from moto import mock_aws

        with mock_aws():
            from sfncompile.storage.retry import make_client

            yield SimpleNamespace(s3=make_client("s3", REGION), ddb=make_client("dynamodb", REGION))


_counter = itertools.count()


@pytest.fixture
def aws(_moto, monkeypatch):
    """A fresh bucket and metadata table (pk/sk strings) in moto; .bucket, .table, .s3, .ddb."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    n = next(_counter)
    bucket, table = f"{BUCKET}-{n}", f"{TABLE}-{n}"
    _moto.s3.create_bucket(Bucket=bucket)
    _moto.ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return SimpleNamespace(s3=_moto.s3, ddb=_moto.ddb, bucket=bucket, table=table)


def _local(tmp_path):
    from sfncompile.storage.local_objects import LocalObjectStore
    from sfncompile.storage.sqlite_metadata import SqliteMetadataStore

    objects = LocalObjectStore(str(tmp_path / "store"))
    metadata = SqliteMetadataStore(str(tmp_path / "store" / "metadata.sqlite"))
    return objects, metadata


def _aws(aws):
    from sfncompile.storage.dynamodb_metadata import DynamoDbMetadataStore
    from sfncompile.storage.s3_objects import S3ObjectStore

    return (
        S3ObjectStore(f"s3://{aws.bucket}/some/prefix", client=aws.s3),
        DynamoDbMetadataStore(aws.table, client=aws.ddb),
    )


@pytest.fixture(params=["local", "aws"])
def backend(request, tmp_path):
    """objects + artifacts + metadata of one backend pair; .name is 'local' or 'aws'."""
    if request.param == "local":
        objects, metadata = _local(tmp_path)
        aws = None
    else:
        aws = request.getfixturevalue("aws")
        objects, metadata = _aws(aws)
    yield SimpleNamespace(
        name=request.param, objects=objects, metadata=metadata, artifacts=ArtifactStore(objects), aws=aws,
        tmp=tmp_path,
    )
    close = getattr(metadata, "close", None)
    if close:
        close()


@pytest.fixture
def count_writes(monkeypatch):
    """Wrap an object store's writes (put_bytes/put_file/create/create_file); returns a function giving the
    list of keys written (a write-once create that found the key taken wrote nothing and is not listed)."""

    def install(objects):
        written = []
        for name in ("put_bytes", "put_file", "create", "create_file"):
            original = getattr(objects, name)

            def wrapper(key, arg, _original=original):
                done = _original(key, arg)
                if done is not False:
                    written.append(key)
                return done

            monkeypatch.setattr(objects, name, wrapper)
        return written

    return install
