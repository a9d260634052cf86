"""Blob encoding (storage/codec.py): compressed when it pays, raw otherwise, hashed over the raw bytes.

Every test runs on the local directory and on S3 (moto), through ArtifactStore.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import stat

import pytest

from sfncompile.exceptions import IntegrityError
from sfncompile.storage import codec, keys
from sfncompile.storage.artifacts import ArtifactStore

FLOW = "CodecFlow"
MB = 2**20


def _stored(backend, sha: str) -> bytes:
    return backend.objects.get_bytes(keys.blob_key(FLOW, sha))


def _flip(backend, sha: str, at: float = 0.5) -> None:
    key = keys.blob_key(FLOW, sha)
    data = bytearray(backend.objects.get_bytes(key))
    data[int(len(data) * at)] ^= 0xFF
    backend.objects.put_bytes(key, bytes(data))


# spool_bytes: None keeps the pickle in memory; 4 KiB spills it to a file (the streaming path).
@pytest.mark.parametrize("spool_bytes", [None, 4096])
@pytest.mark.parametrize("kind", ["compressible", "incompressible", "large compressible", "large incompressible"])
def test_blobs_read_back_identically_and_hash_the_raw_bytes(backend, kind, spool_bytes):
    value = {
        "compressible": {"rows": [{"id": i, "name": f"item-{i}"} for i in range(2000)]},
        "incompressible": os.urandom(300_000),
        "large compressible": list(range(1_500_000)),  # > 4 MiB pickled: streamed on local reads
        "large incompressible": os.urandom(6 * MB),
    }[kind]
    store = ArtifactStore(backend.objects, **({"spool_bytes": spool_bytes} if spool_bytes else {}))
    raw = pickle.dumps(value, protocol=5)
    entry = store.save_artifact(FLOW, "v", value)
    assert entry["sha"] == hashlib.sha256(raw).hexdigest() and entry["size"] == len(raw)
    stored = _stored(backend, entry["sha"])
    if "incompressible" in kind:
        assert stored == raw  # stored raw: the sample showed compressing does not pay
    else:
        assert codec.is_compressed(stored) and len(stored) < len(raw) / 3
    fresh = ArtifactStore(backend.objects)  # nothing known-good in this process
    assert fresh.load_value(FLOW, entry["sha"]) == value
    assert fresh.get_blob(FLOW, entry["sha"]) == raw


@pytest.mark.parametrize("value", [
    ["x" * 40, 7] * 5000,  # small enough to be verified before unpickling
    list(range(1_500_000)),  # large: unpickled while the decompressed stream is hashed
])
@pytest.mark.parametrize("where", [0.3, 0.9])
def test_tampered_compressed_blob_is_detected(backend, value, where):
    entry = backend.artifacts.save_artifact(FLOW, "v", value)
    assert codec.is_compressed(_stored(backend, entry["sha"]))
    _flip(backend, entry["sha"], where)
    key = keys.blob_key(FLOW, entry["sha"])
    fresh = ArtifactStore(backend.objects)
    with pytest.raises(IntegrityError) as err:
        fresh.load_value(FLOW, entry["sha"], name="v")
    assert key in str(err.value)
    with pytest.raises(IntegrityError):
        fresh.get_blob(FLOW, entry["sha"])


def test_tampered_large_raw_blob_is_detected(backend):
    value = os.urandom(6 * MB)
    entry = backend.artifacts.save_artifact(FLOW, "v", value)
    _flip(backend, entry["sha"], 0.7)  # inside the bytes payload: it still unpickles
    with pytest.raises(IntegrityError):
        ArtifactStore(backend.objects).load_value(FLOW, entry["sha"])


def test_uncompressed_blobs_written_before_compression_still_read(backend):
    value = {"rows": list(range(50_000))}
    raw = pickle.dumps(value, protocol=5)
    sha = hashlib.sha256(raw).hexdigest()
    backend.objects.put_bytes(keys.blob_key(FLOW, sha), raw)  # as every blob used to be stored
    store = ArtifactStore(backend.objects)
    assert store.load_value(FLOW, sha) == value and store.get_blob(FLOW, sha) == raw
    # deduplication is over the raw bytes: saving the same value keeps the old raw object
    assert ArtifactStore(backend.objects).save_artifact(FLOW, "again", value)["sha"] == sha
    assert _stored(backend, sha) == raw


def test_raw_data_beginning_with_the_zstd_magic_is_never_stored_raw(backend):
    data = codec.ZSTD_MAGIC + os.urandom(64)
    sha = backend.artifacts.put_blob(FLOW, data)
    stored = _stored(backend, sha)
    assert stored != data and codec.is_compressed(stored)
    assert ArtifactStore(backend.objects).get_blob(FLOW, sha) == data


def test_the_head_sample_decides(backend):
    # Incompressible head, compressible rest: the sample says raw, so the blob is stored raw.
    data = os.urandom(codec.SAMPLE_BYTES) + b"\0" * MB
    assert _stored(backend, backend.artifacts.put_blob(FLOW, data)) == data
    flipped = b"\0" * MB + os.urandom(codec.SAMPLE_BYTES)
    assert codec.is_compressed(_stored(backend, backend.artifacts.put_blob(FLOW, flipped)))


def test_a_million_ints_take_less_than_metaflow(backend):
    entry = backend.artifacts.save_artifact(FLOW, "ints", list(range(1_000_000)))
    assert len(_stored(backend, entry["sha"])) <= 1.3e6  # Metaflow (gzip level 3): 1.3 MB; raw: 4.9 MB


def test_every_blob_file_has_the_same_mode(tmp_path):
    from sfncompile.storage.local_objects import LocalObjectStore

    objects = LocalObjectStore(str(tmp_path / "store"))
    store = ArtifactStore(objects, spool_bytes=64 * 1024)
    values = [1, "x" * 5000, os.urandom(5000), list(range(100_000)), os.urandom(MB)]  # small/large, raw/zstd
    modes = {stat.S_IMODE(os.stat(objects.local_path(keys.blob_key(FLOW, store.save_artifact(FLOW, "v", v)["sha"])))
                          .st_mode) for v in values}
    assert len(modes) == 1
