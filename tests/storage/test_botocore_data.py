"""The small botocore data directory (storage/botocore_data.py) matches the installed botocore's models."""
from __future__ import annotations

import json
import os
from typing import Any

import botocore
import pytest
from botocore.loaders import Loader, create_loader
from botocore.model import ServiceModel

from sfncompile.storage import botocore_data, retry
from sfncompile.storage.s3_objects import S3ObjectStore

from .conftest import REGION


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> str:
    return botocore_data.build(str(tmp_path_factory.mktemp("botocore-data")))


def _shape(shape: Any, seen: frozenset = frozenset()) -> Any:
    """A shape as plain data (type, members, serialization, metadata), documentation aside."""
    if shape is None:
        return None
    if shape.name in seen:
        return shape.name  # recursive shapes: the name stands for the rest
    seen = seen | {shape.name}
    out = {"name": shape.name, "type": shape.type_name, "serialization": shape.serialization,
           "metadata": shape.metadata}
    for part in ("member", "key", "value"):
        if hasattr(shape, part):
            out[part] = _shape(getattr(shape, part), seen)
    if hasattr(shape, "members"):
        out["members"] = {n: _shape(m, seen) for n, m in shape.members.items()}
    return out


def _operation(model: ServiceModel, name: str) -> Any:
    op = model.operation_model(name)
    return {
        "http": op.http, "metadata": op.metadata, "context_parameters": list(op.context_parameters),
        "static_context_parameters": op.static_context_parameters, "auth": op.auth,
        "checksum": op.http_checksum, "input": _shape(op.input_shape), "output": _shape(op.output_shape),
        "errors": sorted(e.name for e in op.error_shapes),
    }


@pytest.mark.parametrize("service", sorted(botocore_data.OPERATIONS))
def test_the_small_models_describe_each_operation_as_botocore_does(built, service):
    full_loader = create_loader()
    small_loader = Loader(extra_search_paths=[built], include_default_search_paths=False,
                                        include_default_extras=False)
    full = ServiceModel(full_loader.load_service_model(service, "service-2"), service)
    small = ServiceModel(small_loader.load_service_model(service, "service-2"), service)
    assert sorted(small.operation_names) == sorted(botocore_data.OPERATIONS[service])
    assert small.metadata == full.metadata
    assert [p[:2] for p in small.client_context_parameters] == [p[:2] for p in full.client_context_parameters]
    for name in botocore_data.OPERATIONS[service]:
        assert _operation(small, name) == _operation(full, name), name
    for type_name in botocore_data.SERVICE_TYPES:
        assert small_loader.load_service_model(service, type_name) == full_loader.load_service_model(service, type_name)
    endpoints = small_loader.load_data("endpoints")
    for small_p, full_p in zip(endpoints["partitions"], full_loader.load_data("endpoints")["partitions"]):
        assert small_p["services"].get(service) == full_p["services"].get(service)
        assert {k: v for k, v in small_p.items() if k != "services"} == {k: v for k, v in full_p.items() if k != "services"}


def test_the_directory_is_used_only_when_this_botocore_built_it(built, tmp_path, monkeypatch):
    monkeypatch.delenv(botocore_data.ENV, raising=False)
    assert botocore_data.loader() is None
    monkeypatch.setenv(botocore_data.ENV, built)
    assert botocore_data.loader().search_paths[0] == built
    stale = tmp_path / "stale"
    stale.mkdir()
    manifest = json.loads(open(os.path.join(built, botocore_data.MANIFEST)).read())
    (stale / botocore_data.MANIFEST).write_text(json.dumps(dict(manifest, botocore="0.0.1")))
    monkeypatch.setenv(botocore_data.ENV, str(stale))
    assert botocore_data.loader() is None
    monkeypatch.setenv(botocore_data.ENV, str(tmp_path / "missing"))
    assert botocore_data.loader() is None


def test_storage_clients_come_from_the_small_data_and_other_clients_do_not(built, aws, monkeypatch, tmp_path):
    monkeypatch.setenv(botocore_data.ENV, built)
    retry.reset_sessions()
    try:
        s3 = retry.make_client("s3", REGION)
        assert sorted(s3.meta.service_model.operation_names) == sorted(botocore_data.OPERATIONS["s3"])
        ddb = retry.make_client("dynamodb", REGION)
        assert sorted(ddb.meta.service_model.operation_names) == sorted(botocore_data.OPERATIONS["dynamodb"])
        # one session for the storage clients: the second client reuses the loader's parsed data
        assert retry._botocore_session(True).get_available_services() == ["dynamodb", "s3", "stepfunctions"]
        # the AWS layer's clients (and any other service) get botocore's full models
        full = retry.session_client("s3", region_name=REGION)
        assert "PutBucketPolicy" in full.meta.service_model.operation_names
        # and the small clients work: a write-once object, read back and listed
        store = S3ObjectStore(f"s3://{aws.bucket}/small", client=s3)
        assert store.create("a/b", b"data") and not store.create("a/b", b"other")
        assert store.get_bytes("a/b") == b"data" and list(store.list("a/")) == ["a/b"] and store.exists("a/b")
        # large objects: multipart (s3transfer's upload and download, and the conditional one)
        big = os.urandom(11 * 2**20)
        chunked = S3ObjectStore(f"s3://{aws.bucket}/small", client=s3, multipart_threshold=5 * 2**20,
                                multipart_chunksize=5 * 2**20)
        chunked.put_bytes("big/put", big)
        assert chunked.create("big/create", big) and not chunked.create("big/create", big)
        target = tmp_path / "download"
        chunked.get_file("big/put", str(target))
        assert target.read_bytes() == big and chunked.get_bytes("big/create") == big
    finally:
        retry.reset_sessions()


def test_the_start_task_reads_its_executions_input_with_a_client_of_the_small_data(built, aws, monkeypatch):
    """The run's parameters are in the execution's input (runtime/execution_input.py), read by the start
    task's one states:DescribeExecution call, through the image's small botocore data."""
    from sfncompile.runtime.execution_input import execution_parameters

    sfn = retry.session_client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name="sfncompile-test-ReadFlow", roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    parameters = {"label": "é" * 50_000, "grid": {"depth": [1, 2]}, "__trigger__": {"type": "event"}}
    arn = sfn.start_execution(stateMachineArn=machine, name="e-1",
                              input=json.dumps({"parameters": parameters}))["executionArn"]
    monkeypatch.setenv(botocore_data.ENV, built)
    retry.reset_sessions()
    try:
        assert execution_parameters(arn) == parameters
        small = retry._botocore_session(True)
        assert "stepfunctions" in small.get_available_services()
        client = retry.make_client("stepfunctions", REGION)
        assert client.meta.service_model.operation_names == ["DescribeExecution"]
    finally:
        retry.reset_sessions()


def test_the_manifest_names_the_botocore_version(built):
    manifest = json.loads(open(os.path.join(built, botocore_data.MANIFEST)).read())
    assert manifest["botocore"] == botocore.__version__
    assert {k: list(v) for k, v in botocore_data.OPERATIONS.items()} == manifest["operations"]
