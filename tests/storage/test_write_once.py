"""Write-once storage: deduplication verifies, attempt files are never replaced, S3 writes are conditional."""
from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError

from sfncompile.exceptions import IntegrityError, StorageError
from sfncompile.storage import keys
from sfncompile.storage.artifacts import ArtifactStore
from sfncompile.storage.s3_objects import S3ObjectStore

FLOW = "TrainFlow"


def _corrupt(backend, key: str) -> None:
    """Replace a stored object's bytes behind the store's back (one byte flipped)."""
    data = bytearray(backend.objects.get_bytes(key))
    data[-1] ^= 0xFF
    if backend.name == "local":
        with open(backend.objects.local_path(key), "wb") as fh:
            fh.write(data)
    else:
        backend.aws.s3.put_object(Bucket=backend.aws.bucket, Key=backend.objects._key(key), Body=bytes(data))


def test_a_corrupted_blob_is_not_trusted_when_deduplicating(backend):
    entry = backend.artifacts.save_artifact(FLOW, "x", {"values": list(range(100))})
    key = keys.blob_key(FLOW, entry["sha"])
    _corrupt(backend, key)
    fresh = ArtifactStore(backend.objects)  # a new process: nothing verified yet
    if backend.name == "local":
        assert fresh.save_artifact(FLOW, "x", {"values": list(range(100))}) == entry
        assert fresh.load_value(FLOW, entry["sha"]) == {"values": list(range(100))}  # rewritten
    else:
        with pytest.raises(IntegrityError, match="corrupted.*written once"):
            fresh.save_artifact(FLOW, "x", {"values": list(range(100))})


def test_an_intact_blob_is_written_once(backend, count_writes):
    backend.artifacts.put_blob(FLOW, b"payload")
    written = count_writes(backend.objects)
    again = ArtifactStore(backend.objects)
    sha = again.put_blob(FLOW, b"payload")  # exists: verified, not written
    assert written == [] and sha == hashlib.sha256(b"payload").hexdigest()


def test_attempt_files_are_written_once(backend):
    artifacts = backend.artifacts
    artifacts.commit_attempt(FLOW, "r1", "start", "0", 0, {})
    with pytest.raises(StorageError, match="written once"):
        artifacts.commit_attempt(FLOW, "r1", "start", "0", 0, {"x": {"sha": "0" * 64}})
    assert artifacts.load_attempt(FLOW, "r1", "start", "0", 0)["artifacts"] == {}
    artifacts.put_log(FLOW, "r1", "start", "0", 0, "stdout", b"first")
    with pytest.raises(StorageError, match="written once"):
        artifacts.put_log(FLOW, "r1", "start", "0", 0, "stdout", b"second")
    assert artifacts.get_log(FLOW, "r1", "start", "0", 0, "stdout") == b"first"
    artifacts.put_foreach_manifest(FLOW, "r1", "split", "0", 3)
    artifacts.put_foreach_manifest(FLOW, "r1", "split", "0", 3)  # the same manifest again: fine
    with pytest.raises(StorageError, match="different split manifest"):
        artifacts.put_foreach_manifest(FLOW, "r1", "split", "0", 4)


def test_s3_writes_carry_if_none_match(aws, monkeypatch):
    """Every datastore write on S3 is conditional: PutObject and CompleteMultipartUpload with If-None-Match: *."""
    objects = S3ObjectStore(f"s3://{aws.bucket}/p", client=aws.s3, multipart_threshold=5 * 2**20,
                            multipart_chunksize=5 * 2**20)
    calls = []
    for name in ("put_object", "complete_multipart_upload"):
        original = getattr(aws.s3, name)

        def wrapper(*args, _original=original, _name=name, **kwargs):
            calls.append((_name, kwargs.get("IfNoneMatch")))
            return _original(*args, **kwargs)

        monkeypatch.setattr(aws.s3, name, wrapper)
    artifacts = ArtifactStore(objects)
    artifacts.put_blob(FLOW, b"small")
    artifacts.commit_attempt(FLOW, "r1", "start", "0", 0, {})
    artifacts.put_log(FLOW, "r1", "start", "0", 0, "stderr", b"err")
    big = b"b" * (11 * 2**20)
    assert objects.create("big", big) and not objects.create("big", big)
    assert calls and all(if_none_match == "*" for _, if_none_match in calls)
    assert ("complete_multipart_upload", "*") in calls


def test_moto_honours_if_none_match(aws):
    """The emulator answers a conditional write on an existing key with 412, as S3 does
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); no adapter needed."""
    aws.s3.put_object(Bucket=aws.bucket, Key="k", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as info:
        aws.s3.put_object(Bucket=aws.bucket, Key="k", Body=b"2", IfNoneMatch="*")
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"
    upload = aws.s3.create_multipart_upload(Bucket=aws.bucket, Key="k")["UploadId"]
    etag = aws.s3.upload_part(Bucket=aws.bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"3")["ETag"]
    with pytest.raises(ClientError) as info:
        aws.s3.complete_multipart_upload(Bucket=aws.bucket, Key="k", UploadId=upload, IfNoneMatch="*",
                                         MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"
    assert aws.s3.get_object(Bucket=aws.bucket, Key="k")["Body"].read() == b"1"


def test_a_runs_graph_is_written_once(backend):
    # The start task stores the run's graph; on S3 the bucket policy lets the job role
    # write under runs/ only with If-None-Match, so this write must be conditional too.
    artifacts = backend.artifacts
    document = {"name": "TrainFlow", "steps": [{"name": "start"}, {"name": "end"}]}
    artifacts.put_graph(FLOW, "r1", document)
    artifacts.put_graph(FLOW, "r1", dict(reversed(list(document.items()))))  # a retried start task: same graph
    with pytest.raises(StorageError, match="written once"):
        artifacts.put_graph(FLOW, "r1", {"name": "TrainFlow", "steps": []})
    assert artifacts.get_graph(FLOW, "r1") == document
