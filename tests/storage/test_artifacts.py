"""The artifact layer and the object stores: one contract, run on the local directory and on S3 (moto)."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import threading

import pytest

from sfncompile.exceptions import ArtifactError, IntegrityError, NotFoundError
from sfncompile.storage import keys
from sfncompile.storage.artifacts import ArtifactStore

FLOW = "TrainFlow"


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def _flip(objects, key):
    """Corrupt a stored object by flipping one byte in the middle (through the store's own API)."""
    data = bytearray(objects.get_bytes(key))
    data[len(data) // 2] ^= 0xFF
    objects.put_bytes(key, bytes(data))


# -- object store contract ------------------------------------------------------------------------
def test_object_store_put_get_exists_list_delete(backend, tmp_path):
    objects = backend.objects
    objects.put_bytes("F/a/1.txt", b"one")
    objects.put_bytes("F/a/b/2.txt", b"two")
    objects.put_bytes("F/ab/3.txt", b"three")
    objects.put_bytes("G/x", b"")
    assert objects.get_bytes("F/a/1.txt") == b"one"
    assert objects.get_bytes("G/x") == b""
    assert objects.exists("F/a/b/2.txt") and not objects.exists("F/a/b/nope")
    assert sorted(objects.list("F/a/")) == ["F/a/1.txt", "F/a/b/2.txt"]
    assert sorted(objects.list("F/a")) == ["F/a/1.txt", "F/a/b/2.txt", "F/ab/3.txt"]  # a plain key prefix
    assert sorted(objects.list("F/")) == ["F/a/1.txt", "F/a/b/2.txt", "F/ab/3.txt"]
    assert list(objects.list("nothing/")) == []
    objects.put_bytes("F/a/1.txt", b"uno")  # overwrite
    assert objects.get_bytes("F/a/1.txt") == b"uno"
    with pytest.raises(NotFoundError):
        objects.get_bytes("F/missing")
    src = tmp_path / "src.bin"
    src.write_bytes(b"file body")
    objects.put_file("F/file.bin", str(src))
    dst = tmp_path / "dst.bin"
    objects.get_file("F/file.bin", str(dst))
    assert dst.read_bytes() == b"file body"
    with pytest.raises(NotFoundError):
        objects.get_file("F/missing", str(tmp_path / "x"))
    objects.delete("F/file.bin")
    objects.delete("F/file.bin")  # absent: no error
    assert not objects.exists("F/file.bin")


def test_local_store_writes_atomically_and_hides_staging_files(tmp_path):
    from sfncompile.storage.local_objects import LocalObjectStore

    objects = LocalObjectStore(str(tmp_path / "root"))
    objects.put_bytes("F/x", b"1")
    (tmp_path / "root" / "F" / ".x.123.0.sfntmp").write_bytes(b"half")
    objects.temp_dir()
    assert list(objects.list("")) == ["F/x"]
    assert objects.local_path("F/x") == str(tmp_path / "root" / "F" / "x")
    for bad in ("../x", "F/../../x", "/abs", "F//x", ""):
        with pytest.raises(Exception):
            objects.put_bytes(bad, b"no")


# -- blobs ----------------------------------------------------------------------------------------
def test_blob_round_trip_and_layout(backend):
    artifacts = backend.artifacts
    data = b"some bytes" * 1000
    sha = artifacts.put_blob(FLOW, data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert backend.objects.exists(f"{FLOW}/blobs/{sha[:2]}/{sha}")
    assert artifacts.get_blob(FLOW, sha) == data
    with pytest.raises(NotFoundError):
        artifacts.get_blob(FLOW, "0" * 64)


def test_blob_dedup_writes_once(backend, count_writes):
    written = count_writes(backend.objects)
    artifacts = backend.artifacts
    sha1 = artifacts.put_blob(FLOW, b"same")
    sha2 = artifacts.put_blob(FLOW, b"same")
    assert sha1 == sha2 and len(written) == 1
    e1 = artifacts.save_artifact(FLOW, "a", {"k": [1, 2, 3]})
    e2 = artifacts.save_artifact(FLOW, "b", {"k": [1, 2, 3]})
    assert e1 == e2 and len(written) == 2
    # the streaming (spilled) path dedups too
    spilling = ArtifactStore(backend.objects, spool_bytes=1024)
    big = list(range(5000))
    s1 = spilling.save_artifact(FLOW, "big", big)
    s2 = spilling.save_artifact(FLOW, "big2", big)
    assert s1 == s2 and s1["size"] > 1024 and len(written) == 3


def test_values_round_trip(backend):
    artifacts = backend.artifacts
    values = {
        "n": 42, "f": 0.5, "s": "text", "none": None, "b": b"\x00\x01", "lst": [1, "a", None],
        "d": {"x": (1, 2)}, "fn": lambda q: q * 3, "obj": Point(1, 2), "big": b"z" * 200_000,
        "bigstr": "y" * 100_000,
    }
    index = artifacts.save_artifacts(FLOW, values)
    assert set(index) == set(values)
    assert index["n"]["type"] == "int" and index["obj"]["type"].endswith("Point")
    assert index["big"]["size"] > 200_000
    for name, entry in index.items():
        loaded = artifacts.load_value(FLOW, entry["sha"], name=name)
        if name == "fn":
            assert loaded(2) == 6
        else:
            assert loaded == values[name]


def test_large_value_streams_through_a_file(backend):
    spilling = ArtifactStore(backend.objects, spool_bytes=64 * 1024)
    value = bytes(range(256)) * 40_000  # ~10 MB
    entry = spilling.save_artifact(FLOW, "blob", value)
    data = pickle.dumps(value, protocol=5)
    assert entry["sha"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    assert spilling.load_value(FLOW, entry["sha"]) == value
    assert backend.artifacts.serialize("blob", value) == data  # same bytes, either path
    if backend.name == "local":  # staging files are cleaned up
        assert not [p for p in (backend.tmp / "store" / ".tmp").iterdir()]


def test_corrupted_blob_is_detected(backend):
    artifacts = backend.artifacts
    small = artifacts.save_artifact(FLOW, "small", {"a": 1, "b": "x" * 50})
    big = ArtifactStore(backend.objects, spool_bytes=1024).save_artifact(FLOW, "big", list(range(100_000)))
    for entry in (small, big):
        key = keys.blob_key(FLOW, entry["sha"])
        _flip(backend.objects, key)
        with pytest.raises(IntegrityError) as err:
            artifacts.load_value(FLOW, entry["sha"], name="x")
        assert key in str(err.value)
        with pytest.raises(IntegrityError):
            artifacts.get_blob(FLOW, entry["sha"])


@pytest.mark.parametrize(
    "make, typename",
    [(threading.Lock, "_thread.lock"), (lambda: (i for i in range(3)), "generator")],
)
def test_unpicklable_artifact_names_attribute_and_type(backend, make, typename):
    with pytest.raises(ArtifactError) as err:
        backend.artifacts.save_artifacts(FLOW, {"fine": 1, "model_state": make()})
    text = str(err.value)
    assert "'model_state'" in text and typename in text and "fix:" in text
    with pytest.raises(ArtifactError):
        backend.artifacts.serialize("model_state", make())


def test_unloadable_blob_is_an_artifact_error(backend):
    sha = backend.artifacts.put_blob(FLOW, b"not a pickle")
    with pytest.raises(ArtifactError) as err:
        backend.artifacts.load_value(FLOW, sha, name="thing")
    assert "'thing'" in str(err.value)


# -- attempts -------------------------------------------------------------------------------------
def test_attempts_without_marker_are_invisible(backend):
    artifacts = backend.artifacts
    task = (FLOW, "r1", "train", "3")
    assert artifacts.load_attempt(*task) is None
    index = artifacts.save_artifacts(FLOW, {"x": 1})
    artifacts.put_log(*task, 0, "stdout", b"hello")
    assert artifacts.load_attempt(*task) is None and artifacts.load_attempt(*task, 0) is None
    artifacts.commit_attempt(*task, 0, index, {"status": "SUCCEEDED"})
    record = artifacts.load_attempt(*task)
    assert record == {"artifacts": index, "status": "SUCCEEDED", "attempt": 0}
    # attempt 1 wrote blobs and logs but died before its marker: still attempt 0
    artifacts.save_artifacts(FLOW, {"x": 2})
    artifacts.put_log(*task, 1, "stderr", b"killed")
    assert artifacts.load_attempt(*task)["attempt"] == 0
    assert artifacts.load_attempt(*task, 1) is None


def test_latest_committed_attempt_wins(backend):
    artifacts = backend.artifacts
    task = (FLOW, "r1", "train", "0")
    for attempt in (0, 2, 10):
        artifacts.commit_attempt(*task, attempt, artifacts.save_artifacts(FLOW, {"x": attempt}))
    artifacts.put_log(*task, 11, "stdout", b"running")
    artifacts.put_foreach_manifest(*task, 3)
    assert artifacts.committed_attempts(*task) == [0, 2, 10]
    latest = artifacts.load_attempt(*task)
    assert latest["attempt"] == 10
    assert artifacts.load_value(FLOW, latest["artifacts"]["x"]["sha"]) == 10
    assert artifacts.load_attempt(*task, 2)["attempt"] == 2
    # a sibling task whose id shares a prefix is not mixed in
    artifacts.commit_attempt(FLOW, "r1", "train", "0.1", 99, {})
    assert artifacts.load_attempt(*task)["attempt"] == 10
    assert backend.objects.exists(f"{FLOW}/runs/r1/train/0.10.json")
    assert artifacts.load_values(FLOW, latest["artifacts"]) == {"x": 10}


def test_attempt_index_lives_beside_the_step_and_old_layout_reads(backend):
    artifacts = backend.artifacts
    index = artifacts.save_artifacts(FLOW, {"x": 1})
    artifacts.commit_attempt(FLOW, "r1", "train", "3.1", 0, index)
    # one file in the step's directory: no directory for the task or the attempt
    assert [k for k in backend.objects.list(f"{FLOW}/runs/r1/")] == [f"{FLOW}/runs/r1/train/3.1.0.json"]
    # an attempt written by the previous layout (<task>/<attempt>/artifacts.json) reads the same
    old = json.dumps({"artifacts": index, "old": True}).encode()
    backend.objects.create(keys.legacy_marker_key(FLOW, "r1", "train", "3.1", 1), old)
    backend.objects.create(keys.legacy_marker_key(FLOW, "r1", "train", "3", 4), old)
    assert artifacts.committed_attempts(FLOW, "r1", "train", "3.1") == [0, 1]
    assert artifacts.committed_attempts(FLOW, "r1", "train", "3") == [4]  # 3.1's files are not task 3's
    assert artifacts.load_attempt(FLOW, "r1", "train", "3.1") == {"artifacts": index, "old": True, "attempt": 1}
    assert artifacts.load_attempt(FLOW, "r1", "train", "3.1", 0) == {"artifacts": index, "attempt": 0}
    assert artifacts.load_attempt(FLOW, "r1", "train", "3.1", 2) is None


def test_logs(backend):
    artifacts = backend.artifacts
    task = (FLOW, "r1", "start", "0", 0)
    assert artifacts.get_log(*task, "stdout") is None
    artifacts.put_log(*task, "stdout", b"line 1\nline 2\n")
    artifacts.put_log(*task, "stderr.log", b"")
    assert artifacts.get_log(*task, "stdout") == b"line 1\nline 2\n"
    assert artifacts.get_log(*task, "stderr") == b""
    assert backend.objects.exists(f"{FLOW}/runs/r1/start/0/0/stdout.log")


def test_foreach_manifest(backend):
    artifacts = backend.artifacts
    key = artifacts.put_foreach_manifest(FLOW, "r1", "split", "0", 5)
    assert key == f"{FLOW}/runs/r1/split/0/foreach.json"
    assert backend.objects.get_bytes(key) == b"[0,1,2,3,4]"
    assert artifacts.get_foreach_manifest(FLOW, "r1", "split", "0") == [0, 1, 2, 3, 4]
    artifacts.put_foreach_manifest(FLOW, "r1", "split", "1", 0)
    assert json.loads(backend.objects.get_bytes(f"{FLOW}/runs/r1/split/1/foreach.json")) == []
    assert artifacts.get_foreach_manifest(FLOW, "r1", "split", "9") is None
    big = artifacts.put_foreach_manifest(FLOW, "r1", "split", "2", 10_000)
    assert json.loads(backend.objects.get_bytes(big)) == list(range(10_000))


def test_code_package_round_trip(backend, count_writes):
    artifacts = backend.artifacts
    data = b"\x1f\x8b fake tarball" * 100
    written = count_writes(backend.objects)
    sha = artifacts.put_code(FLOW, data)
    assert artifacts.put_code(FLOW, data) == sha and len(written) == 1
    assert artifacts.code_key(FLOW, sha) == f"{FLOW}/code/{sha}.tar.gz"
    assert artifacts.get_code(FLOW, sha) == data
    with pytest.raises(NotFoundError):
        artifacts.get_code(FLOW, "f" * 64)
    _flip(backend.objects, artifacts.code_key(FLOW, sha))
    with pytest.raises(IntegrityError):
        artifacts.get_code(FLOW, sha)


class Frame:
    """Pickles its buffer out of a PickleBuffer (what numpy/pandas do with protocol 5)."""

    def __init__(self, data):
        self.data = bytearray(data)

    def __reduce_ex__(self, protocol):
        return (_rebuild_frame, (pickle.PickleBuffer(self.data),))

    def __eq__(self, other):
        return isinstance(other, Frame) and self.data == other.data


def _rebuild_frame(buffer):
    return Frame(bytes(buffer))


def test_protocol5_buffers_stream_without_a_copy(backend):
    spilling = ArtifactStore(backend.objects, spool_bytes=4096)
    value = {"frame": Frame(os.urandom(300_000)), "small": Frame(b"abc")}
    entry = spilling.save_artifact(FLOW, "frames", value)
    assert spilling.load_value(FLOW, entry["sha"]) == value
    assert entry["sha"] == hashlib.sha256(backend.artifacts.serialize("frames", value)).hexdigest()
