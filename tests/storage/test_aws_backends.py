"""S3 and DynamoDB specifics under moto: item layout, Query-only listing, multipart, ranged reads."""
from __future__ import annotations

import hashlib
import os

import pytest

from sfncompile.exceptions import NotFoundError
from sfncompile.storage.artifacts import ArtifactStore
from sfncompile.storage.dynamodb_metadata import DynamoDbMetadataStore
from sfncompile.storage.interfaces import SUCCEEDED
from sfncompile.storage.s3_objects import S3ObjectStore

MB = 2**20
FLOW = "TrainFlow"


def _calls(client, event):
    """Record the params of every call of one operation (e.g. 'GetObject')."""
    seen = []

    def hook(params, **_):
        seen.append(dict(params))

    client.meta.events.register(f"provide-client-params.{client.meta.service_model.endpoint_prefix}.{event}", hook)
    return seen



@pytest.fixture
def dynamo(aws):
    return DynamoDbMetadataStore(aws.table, client=aws.ddb)


def _raw(aws, pk, sk):
    return aws.ddb.get_item(TableName=aws.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]


def test_dynamodb_item_layout_matches_internals(aws, dynamo):
    dynamo.create_run(FLOW, "sfn-exec1", username="ann", namespace="user:ann", tags=["t"], parameters={"a": 1})
    dynamo.start_attempt(FLOW, "sfn-exec1", "split", "3.1", 2)
    dynamo.finish_attempt(FLOW, "sfn-exec1", "split", "3.1", 2, status=SUCCEEDED, cardinality=4, choice="big")
    run = _raw(aws, "FLOW#TrainFlow", "RUN#sfn-exec1")
    assert run["status"] == {"S": "RUNNING"} and run["parameters"] == {"S": '{"a": 1}'}
    assert run["tags"] == {"L": [{"S": "t"}]} and run["created_at"]["S"].endswith("Z")
    assert _raw(aws, "FLOWS", "FLOW#TrainFlow")
    # what the state machine reads with dynamodb:getItem
    task = _raw(aws, "RUN#TrainFlow#sfn-exec1", "TASK#split#3.1")
    assert task["cardinality"] == {"N": "4"} and task["choice"] == {"S": "big"}
    assert task["status"] == {"S": "SUCCEEDED"} and task["successful_attempt"] == {"N": "2"}
    attempt = _raw(aws, "RUN#TrainFlow#sfn-exec1", "ATTEMPT#split#3.1#0002")
    assert attempt["status"] == {"S": "SUCCEEDED"} and "error" not in attempt


def test_dynamodb_sees_state_machine_writes(aws, dynamo):
    dynamo.create_run(FLOW, "sfn-x", username="u", namespace="user:u")
    # the state machine's dynamodb:updateItem on the run item
    aws.ddb.update_item(
        TableName=aws.table,
        Key={"pk": {"S": "FLOW#TrainFlow"}, "sk": {"S": "RUN#sfn-x"}},
        UpdateExpression="SET #s = :s, failed_step = :f, finished_at = :t, #e = :e",
        ExpressionAttributeNames={"#s": "status", "#e": "error"},
        ExpressionAttributeValues={":s": {"S": "FAILED"}, ":f": {"S": "train"}, ":t": {"S": "2024-01-01T00:00:00.000Z"},
                                   ":e": {"S": "States.TaskFailed"}},
    )
    run = dynamo.get_run(FLOW, "sfn-x")
    assert (run["status"], run["failed_step"], run["error"]) == ("FAILED", "train", "States.TaskFailed")


def test_dynamodb_lists_with_query_never_scan(aws, dynamo, monkeypatch):
    def no_scan(*args, **kwargs):
        raise AssertionError("Scan used")

    monkeypatch.setattr(aws.ddb, "scan", no_scan)
    queries = _calls(aws.ddb, "Query")
    for i in range(3):
        dynamo.create_run(FLOW, f"r{i}", username="u", namespace="user:u")
        dynamo.start_attempt(FLOW, "r0", "s", str(i), 0)
    assert len(dynamo.list_runs(FLOW)) == 3
    assert len(dynamo.list_tasks(FLOW, "r0")) == 3 and len(dynamo.list_tasks(FLOW, "r0", "s")) == 3
    assert len(dynamo.list_attempts(FLOW, "r0", "s", "1")) == 1
    assert dynamo.list_flows() == [FLOW]
    assert len(queries) == 5
    assert {q["KeyConditionExpression"] for q in queries} == {"pk = :pk AND begins_with(sk, :sk)"}
    prefixes = sorted(q["ExpressionAttributeValues"][":sk"]["S"] for q in queries)
    assert prefixes == ["ATTEMPT#s#1#", "FLOW#", "RUN#", "TASK#", "TASK#s#"]


def test_dynamodb_paginates(aws, dynamo):
    dynamo.page_size = 4
    queries = _calls(aws.ddb, "Query")
    for i in range(10):
        dynamo.start_attempt(FLOW, "r1", "s", str(i), 0)
    assert [t["task_id"] for t in dynamo.list_tasks(FLOW, "r1")] == [str(i) for i in range(10)]
    assert len(queries) == 3 and all(q["Limit"] == 4 for q in queries)


def test_missing_table_is_a_readable_error(aws):
    from sfncompile.exceptions import StorageError

    meta = DynamoDbMetadataStore("no-such-table", client=aws.ddb)
    with pytest.raises(StorageError) as err:
        meta.get_run(FLOW, "r1")
    assert "no-such-table" in str(err.value)


def test_s3_large_objects_use_multipart_and_parallel_ranged_reads(aws, tmp_path):
    store = S3ObjectStore(f"s3://{aws.bucket}/pre", client=aws.s3, multipart_threshold=5 * MB,
                          multipart_chunksize=5 * MB, max_concurrency=4)
    data = os.urandom(11 * MB + 123)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    parts = _calls(aws.s3, "UploadPart")
    store.put_file("F/big-file", str(path))
    assert len(parts) == 3
    store.put_bytes("F/big-bytes", data)
    assert len(parts) == 6
    head = aws.s3.head_object(Bucket=aws.bucket, Key="pre/F/big-file")
    assert head["ETag"].strip('"').endswith("-3") and head["ContentLength"] == len(data)

    gets = _calls(aws.s3, "GetObject")
    buf = store.get_buffer("F/big-bytes")
    assert hashlib.sha256(buf).digest() == hashlib.sha256(data).digest()
    assert len(gets) == 3 and all(g.get("Range", "").startswith("bytes=") for g in gets)
    assert sorted(g["Range"] for g in gets)[0] == "bytes=0-5242879"
    gets.clear()
    out = tmp_path / "out.bin"
    store.get_file("F/big-file", str(out))
    assert out.read_bytes() == data
    assert len(gets) >= 2 and all("Range" in g for g in gets)  # s3transfer: ranged GETs in parallel


def test_s3_big_artifact_round_trip(aws):
    store = S3ObjectStore(f"s3://{aws.bucket}", client=aws.s3, multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    artifacts = ArtifactStore(store, spool_bytes=MB)
    value = {"weights": os.urandom(6 * MB)}
    entry = artifacts.save_artifact(FLOW, "model", value)
    head = aws.s3.head_object(Bucket=aws.bucket, Key=f"{FLOW}/blobs/{entry['sha'][:2]}/{entry['sha']}")
    assert "-" in head["ETag"]  # staged in a file, uploaded as multipart
    assert artifacts.load_value(FLOW, entry["sha"]) == value


def test_s3_errors(aws):
    store = S3ObjectStore(f"s3://{aws.bucket}/p", client=aws.s3)
    with pytest.raises(NotFoundError) as err:
        store.get_bytes("F/nope")
    assert f"s3://{aws.bucket}/p/F/nope" in str(err.value)
    assert store.exists("F/nope") is False
    from sfncompile.exceptions import StorageError

    missing = S3ObjectStore("s3://no-such-bucket-xyz/p", client=aws.s3)
    with pytest.raises(StorageError):
        missing.put_bytes("F/x", b"1")


def test_clients_honour_aws_endpoint_url(monkeypatch):
    from sfncompile.storage.retry import make_client

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    s3 = S3ObjectStore("s3://bucket/prefix").client
    assert s3.meta.endpoint_url == "http://127.0.0.1:4599"
    assert s3.meta.config.s3["addressing_style"] == "path"
    assert s3.meta.config.retries["mode"] == "adaptive" and s3.meta.config.retries["total_max_attempts"] == 10
    ddb = DynamoDbMetadataStore("table").client
    assert ddb.meta.endpoint_url == "http://127.0.0.1:4599" and ddb.meta.region_name == "eu-west-1"
    assert make_client("dynamodb", "us-west-2").meta.region_name == "us-west-2"


def test_dynamodb_items_written_by_the_state_machine_alone(aws, dynamo):
    """A run item that only the state machine's updateItem touched still reads as a full record."""
    aws.ddb.update_item(
        TableName=aws.table, Key={"pk": {"S": "FLOW#TrainFlow"}, "sk": {"S": "RUN#sfn-sched"}},
        UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "FAILED"}},
    )
    run = dynamo.get_run(FLOW, "sfn-sched")
    assert (run["flow"], run["run_id"], run["status"], run["tags"]) == (FLOW, "sfn-sched", "FAILED", [])
    assert [r["run_id"] for r in dynamo.list_runs(FLOW)] == ["sfn-sched"]
    dynamo.finish_attempt(FLOW, "sfn-sched", "train", "1.2", 0, status="FAILED", error="x" * 200_000)
    (attempt,) = dynamo.list_attempts(FLOW, "sfn-sched", "train", "1.2")
    assert (attempt["step"], attempt["task_id"], attempt["attempt"]) == ("train", "1.2", 0)
    assert 60_000 < len(attempt["error"]) < 70_000
