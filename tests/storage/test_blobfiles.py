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
