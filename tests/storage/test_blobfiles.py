"""storage/blobfiles.py: large reads split across threads return exactly the file's bytes."""
from __future__ import annotations

import hashlib
import os

import pytest

from sfncompile.storage import blobfiles

MB = 2**20


@pytest.fixture
def split_reads(monkeypatch):
    """Every read of 1 MiB or more split in 3 parts (whatever the machine's core count)."""
    monkeypatch.setattr(blobfiles, "PARALLEL_READ_BYTES", MB)
    monkeypatch.setattr(blobfiles, "_parts", lambda: 3)


def test_a_split_read_returns_the_files_bytes_from_its_position(tmp_path, split_reads):
    data = os.urandom(5 * MB + 123)
    path = tmp_path / "blob"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        fh.seek(64)
        reader = blobfiles.reader(fh)
        head = reader.read(100)
        buf = bytearray(4 * MB + 7)
        assert reader.readinto(buf) == len(buf)
        assert head == data[64:164] and bytes(buf) == data[164:164 + len(buf)]
        assert reader.read() == data[164 + len(buf):]


def test_a_split_read_past_the_end_returns_what_exists(tmp_path, split_reads):
    data = os.urandom(2 * MB)
    path = tmp_path / "blob"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        buf = bytearray(3 * MB)  # the last part reads nothing, the middle one half
        n = blobfiles._ParallelFile(fh.fileno(), 0).readinto(buf)
    assert n == len(data) and bytes(buf[:n]) == data


def test_a_file_is_hashed_from_an_offset_through_windows(tmp_path, monkeypatch):
    monkeypatch.setattr(blobfiles, "HASH_WINDOW", 64 * 1024)  # a multiple of the map granularity
    data = os.urandom(300_001)
    path = tmp_path / "blob"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        for offset in (0, 64, 70_000):
            digest = blobfiles.digest_in_background(fh.fileno(), hashlib.sha256(), offset)()
            assert digest.hexdigest() == hashlib.sha256(data[offset:]).hexdigest()


@pytest.mark.parametrize("legacy", [False, True])
def test_a_large_blob_loads_through_split_reads_and_is_still_checked(tmp_path, split_reads, legacy):
    import pickle

    from sfncompile.exceptions import IntegrityError
    from sfncompile.storage import keys
    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.local_objects import LocalObjectStore

    objects = LocalObjectStore(str(tmp_path / "store"))
    value = os.urandom(6 * MB)
    if legacy:  # a blob as written before the header: the raw pickle, checked by its sha256
        raw = pickle.dumps(value, protocol=5)
        sha = hashlib.sha256(raw).hexdigest()
        objects.put_bytes(keys.blob_key("F", sha), raw)
    else:
        sha = ArtifactStore(objects).save_artifact("F", "v", value)["sha"]
    assert ArtifactStore(objects).load_value("F", sha) == value
    path = objects.local_path(keys.blob_key("F", sha))
    with open(path, "r+b") as fh:
        fh.seek(5 * MB)
        byte = fh.read(1)
        fh.seek(5 * MB)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(IntegrityError):
        ArtifactStore(objects).load_value("F", sha)


def test_a_large_local_load_reads_the_blob_header_once(tmp_path, monkeypatch):
    from sfncompile.storage import codec
    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.local_objects import LocalObjectStore

    store = ArtifactStore(LocalObjectStore(str(tmp_path / "store")))
    value = os.urandom(6 * MB)
    sha = store.save_artifact("F", "v", value)["sha"]
    parsed = []
    real = codec.read_header
    monkeypatch.setattr(codec, "read_header", lambda head, where: parsed.append(where) or real(head, where))
    assert ArtifactStore(store.objects).load_value("F", sha) == value
    assert len(parsed) == 1, parsed
