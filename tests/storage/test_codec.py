"""Blob encoding (storage/codec.py): a checked header, then raw bytes or a zstd frame (when it pays);
keyed by the sha256 of the raw bytes; blobs written before the header existed still read.

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


def _header(stored: bytes) -> codec.Header:
    head = codec.read_header(stored, "test")
    assert head is not None, "every blob is written with a header"
    return head


def _payload(stored: bytes) -> bytes:
    return stored[codec.HEADER_BYTES:]


def _flip(backend, sha: str, at: float = 0.5) -> None:
    key = keys.blob_key(FLOW, sha)
    data = bytearray(backend.objects.get_bytes(key))
    data[int(len(data) * at) if isinstance(at, float) else at] ^= 0xFF
    backend.objects.put_bytes(key, bytes(data))


def _legacy(data: bytes, compressed: bool) -> bytes:
    """A blob as it was stored before the header: the raw bytes, or one bare zstd frame of them
    (a streamed frame, without its content size, as the old writer made)."""
    if not compressed:
        return data
    import zstandard

    out = zstandard.ZstdCompressor(level=3).compressobj()
    return out.compress(data) + out.flush()


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
    head = _header(stored)
    assert head.sha == entry["sha"] and head.length == len(stored) - codec.HEADER_BYTES
    if "incompressible" in kind:
        assert not head.compressed and _payload(stored) == raw  # the sample showed compressing does not pay
    else:
        assert head.compressed and codec.is_compressed(_payload(stored)) and len(stored) < len(raw) / 3
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
    assert _header(_stored(backend, entry["sha"])).compressed
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
    with pytest.raises(IntegrityError, match="checksum does not match"):
        ArtifactStore(backend.objects).load_value(FLOW, entry["sha"])


# Every byte of the header counts: the magic (0: then it reads as a legacy blob, whose sha256
# does not match), the format, encoding and flags (4-7), the length (8), the sha256 it names
# (16, 47), the check itself (48, 63).
@pytest.mark.parametrize("size", [50_000, 6 * MB])  # read whole / streamed from the file
@pytest.mark.parametrize("at", [0, 4, 5, 6, 7, 8, 16, 47, 48, 63])
def test_a_damaged_header_is_detected(backend, size, at):
    entry = backend.artifacts.save_artifact(FLOW, "v", os.urandom(size))
    _flip(backend, entry["sha"], at)
    fresh = ArtifactStore(backend.objects)
    with pytest.raises(IntegrityError) as err:
        fresh.load_value(FLOW, entry["sha"], name="v")
    assert keys.blob_key(FLOW, entry["sha"]) in str(err.value)
    with pytest.raises(IntegrityError):
        fresh.get_blob(FLOW, entry["sha"])


@pytest.mark.parametrize("size", [50_000, 6 * MB])
def test_a_truncated_or_swapped_blob_is_detected(backend, size):
    store = backend.artifacts
    first, second = (store.save_artifact(FLOW, "v", os.urandom(size)) for _ in range(2))
    key = keys.blob_key(FLOW, first["sha"])
    intact = _stored(backend, first["sha"])
    backend.objects.put_bytes(key, intact[:-1])
    with pytest.raises(IntegrityError, match="its header says"):
        ArtifactStore(backend.objects).load_value(FLOW, first["sha"])
    # another intact blob copied over it: its header names the other key
    backend.objects.put_bytes(key, _stored(backend, second["sha"]))
    with pytest.raises(IntegrityError, match="header names the blob"):
        ArtifactStore(backend.objects).load_value(FLOW, first["sha"])


def test_a_damaged_blob_is_rewritten_when_deduplicating_locally(tmp_path):
    from sfncompile.storage.local_objects import LocalObjectStore

    objects = LocalObjectStore(str(tmp_path / "store"))
    value = os.urandom(6 * MB)
    entry = ArtifactStore(objects).save_artifact(FLOW, "v", value)
    path = objects.local_path(keys.blob_key(FLOW, entry["sha"]))
    with open(path, "r+b") as fh:  # flipped in place, as a failing disk would
        fh.seek(3 * MB)
        byte = fh.read(1)
        fh.seek(3 * MB)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert ArtifactStore(objects).save_artifact(FLOW, "v", value) == entry
    assert ArtifactStore(objects).load_value(FLOW, entry["sha"]) == value


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("value", [{"rows": list(range(50_000))}, list(range(1_500_000))], ids=["small", "large"])
def test_blobs_written_before_the_header_still_read(backend, value, compressed):
    raw = pickle.dumps(value, protocol=5)
    sha = hashlib.sha256(raw).hexdigest()
    legacy = _legacy(raw, compressed)
    backend.objects.put_bytes(keys.blob_key(FLOW, sha), legacy)  # as blobs used to be stored
    store = ArtifactStore(backend.objects)
    assert store.load_value(FLOW, sha) == value and store.get_blob(FLOW, sha) == raw
    # deduplication is over the raw bytes: saving the same value keeps the old object
    assert ArtifactStore(backend.objects).save_artifact(FLOW, "again", value)["sha"] == sha
    assert _stored(backend, sha) == legacy


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("size", [50_000, 6 * MB])
def test_a_tampered_legacy_blob_is_detected_by_its_sha256(backend, size, compressed):
    raw = pickle.dumps(os.urandom(size), protocol=5)
    sha = hashlib.sha256(raw).hexdigest()
    legacy = bytearray(_legacy(raw, compressed))
    legacy[len(legacy) // 2] ^= 0xFF
    backend.objects.put_bytes(keys.blob_key(FLOW, sha), bytes(legacy))
    with pytest.raises(IntegrityError, match="corrupted"):
        ArtifactStore(backend.objects).load_value(FLOW, sha)
    with pytest.raises(IntegrityError):
        ArtifactStore(backend.objects).get_blob(FLOW, sha)


@pytest.mark.parametrize("lead", [codec.ZSTD_MAGIC, codec.MAGIC])
def test_raw_data_beginning_with_a_magic_reads_back(backend, lead):
    data = lead + os.urandom(64)
    sha = backend.artifacts.put_blob(FLOW, data)
    assert _payload(_stored(backend, sha)) == data  # the header, not the first bytes, tells the encoding
    assert ArtifactStore(backend.objects).get_blob(FLOW, sha) == data


def test_the_head_sample_decides(backend):
    # Incompressible head, compressible rest: the sample says raw, so the blob is stored raw.
    data = os.urandom(codec.SAMPLE_BYTES) + b"\0" * MB
    assert _payload(_stored(backend, backend.artifacts.put_blob(FLOW, data))) == data
    flipped = b"\0" * MB + os.urandom(codec.SAMPLE_BYTES)
    assert _header(_stored(backend, backend.artifacts.put_blob(FLOW, flipped))).compressed


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


# -- out-of-band buffers (pickle protocol 5) -------------------------------------------------------
class Block:
    """A value that pickles its memory as a ``pickle.PickleBuffer`` (as NumPy arrays do) and keeps
    the buffer it is given back: what a zero-copy reader hands it is observable."""

    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        return (Block, (pickle.PickleBuffer(self.data),))

    def __eq__(self, other):
        return isinstance(other, Block) and bytes(self.data) == bytes(other.data)


def _array(size: int, *, compressible: bool = False):
    """A NumPy array when NumPy is importable, else a Block over a bytearray (both out of band)."""
    data = bytearray(size) if compressible else bytearray(os.urandom(size))
    try:
        import numpy
    except ImportError:
        return Block(data)
    return numpy.frombuffer(data, dtype=numpy.uint8).copy()


def _same(a, b) -> bool:
    return type(a) is type(b) and bytes(memoryview(a.data if isinstance(a, Block) else a)) == bytes(
        memoryview(b.data if isinstance(b, Block) else b))


def test_out_of_band_buffers_round_trip(backend):
    value = {
        "array": _array(3 * MB),
        "zeros": _array(3 * MB, compressible=True),  # compressible: stays in the (zstd) stream
        "bytes": os.urandom(2 * MB),  # bytes and bytearray pickle in band (no PickleBuffer)
        "bytearray": bytearray(os.urandom(2 * MB)),
        "view": pickle.PickleBuffer(memoryview(os.urandom(2 * MB))),  # a read-only memoryview
        "small": Block(bytearray(b"abc")),
    }
    store = ArtifactStore(backend.objects, spool_bytes=64 * 1024)
    entry = store.save_artifact(FLOW, "v", value)
    stored = _stored(backend, entry["sha"])
    head = _header(stored)
    assert head.buffers and head.compressed
    assert len(stored) < (3 + 2 + 2 + 2) * MB + 64 * 1024  # the zeros were compressed, the rest is raw
    for fresh in (ArtifactStore(backend.objects), ArtifactStore(backend.objects, spool_bytes=64 * 1024)):
        loaded = fresh.load_value(FLOW, entry["sha"])
        assert _same(loaded["array"], value["array"]) and _same(loaded["zeros"], value["zeros"])
        assert loaded["bytes"] == value["bytes"] and loaded["bytearray"] == value["bytearray"]
        assert type(loaded["bytearray"]) is bytearray
        assert bytes(loaded["view"]) == bytes(value["view"].raw()) and loaded["view"].readonly
        assert loaded["small"] == value["small"]
        raw = fresh.get_blob(FLOW, entry["sha"])
        assert hashlib.sha256(raw).hexdigest() == entry["sha"] and len(raw) == entry["size"]
    # the same value again: the same key, nothing rewritten
    assert ArtifactStore(backend.objects).save_artifact(FLOW, "again", value) == entry


def test_buffer_lengths_are_part_of_the_key(backend):
    a, b = os.urandom(2 * MB), os.urandom(2 * MB)
    split = b[: MB]
    first = backend.artifacts.save_artifact(FLOW, "v", [Block(a + split), Block(b[MB:])])
    second = backend.artifacts.save_artifact(FLOW, "v", [Block(a), Block(b)])
    assert _header(_stored(backend, first["sha"])).buffers and first["sha"] != second["sha"]
    assert ArtifactStore(backend.objects).load_value(FLOW, second["sha"]) == [Block(a), Block(b)]


def test_out_of_band_buffers_are_zero_copy_and_writable_locally(tmp_path):
    import mmap

    from sfncompile.storage.local_objects import LocalObjectStore

    objects = LocalObjectStore(str(tmp_path / "store"))
    value = Block(bytearray(os.urandom(8 * MB)))
    entry = ArtifactStore(objects).save_artifact(FLOW, "v", value)
    loaded = ArtifactStore(objects).load_value(FLOW, entry["sha"])
    assert isinstance(loaded.data, memoryview) and isinstance(loaded.data.obj, mmap.mmap)  # a view of the file
    assert not loaded.data.readonly and loaded == value
    loaded.data[:4] = b"\0\0\0\0"  # copy-on-write: the stored blob is unchanged
    assert ArtifactStore(objects).load_value(FLOW, entry["sha"]) == value
    array = _array(8 * MB)
    again = ArtifactStore(objects).load_value(FLOW, ArtifactStore(objects).save_artifact(FLOW, "a", array)["sha"])
    assert _same(again, array)


@pytest.mark.parametrize("where", ["buffer", "table"])
@pytest.mark.parametrize("size", [2 * MB, 6 * MB])  # read whole / mapped
def test_a_tampered_out_of_band_blob_is_detected(backend, where, size):
    entry = backend.artifacts.save_artifact(FLOW, "v", Block(bytearray(os.urandom(size))))
    stored = _stored(backend, entry["sha"])
    assert _header(stored).buffers
    _flip(backend, entry["sha"], 0.5 if where == "buffer" else len(stored) - 20)
    with pytest.raises(IntegrityError, match="checksum does not match"):
        ArtifactStore(backend.objects).load_value(FLOW, entry["sha"])


def test_large_blobs_go_through_s3_multipart_in_both_directions(aws):
    from sfncompile.storage.s3_objects import S3ObjectStore

    objects = S3ObjectStore(f"s3://{aws.bucket}/mp", client=aws.s3, multipart_threshold=5 * MB,
                            multipart_chunksize=5 * MB)
    value = {"array": _array(7 * MB), "bytes": os.urandom(6 * MB)}
    entry = ArtifactStore(objects).save_artifact(FLOW, "v", value)  # spooled, uploaded in 5 MiB parts
    assert _header(objects.get_bytes(keys.blob_key(FLOW, entry["sha"]))).buffers
    loaded = ArtifactStore(objects).load_value(FLOW, entry["sha"])  # ranged GETs into one buffer
    assert _same(loaded["array"], value["array"]) and loaded["bytes"] == value["bytes"]
    array = loaded["array"]
    writable = not (array.readonly if isinstance(array, memoryview) else
                    memoryview(array.data if isinstance(array, Block) else array).readonly)
    assert writable  # out-of-band views of the downloaded buffer, as a local map's would be
