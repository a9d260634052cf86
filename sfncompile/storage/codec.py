"""How a blob's bytes are stored: raw, or as one zstd frame when compressing pays.

A blob's key is the sha256 of its *raw* bytes (the pickle), whatever the encoding, so
deduplication and the index entries never depend on it. The stored object is either

- **raw**: the bytes themselves (every blob written before compression existed, and
  data a sample shows to be incompressible: random bytes, packed floats, media), or
- **zstd**: one zstd frame (it begins with the frame magic ``28 B5 2F FD``) whose
  content is the raw bytes.

The first four stored bytes tell which: raw data that itself begins with the zstd
magic is always stored compressed, so a raw blob never does (pickles begin with
``80 05``). Whether to compress is decided by compressing a sample of the head
(:data:`SAMPLE_BYTES`): it must shrink by :data:`MIN_SAVING` at least.

The codec is zstd level 3 with a minimum match of 4 bytes (the level's default is 5):
pickled numbers are 5- and 9-byte records whose shared tails are 4 bytes long, so a
million-int list compresses to 1.1 MB instead of 3.1 MB, at the same speed.
``zstandard`` (the maintained binding of the reference C library) is imported only
when a blob is compressed or read compressed.
"""
from __future__ import annotations

import functools
import hashlib
from typing import Any, BinaryIO, Callable, Optional, Union

from ..exceptions import IntegrityError

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LEVEL = 3
MIN_MATCH = 4
SAMPLE_BYTES = 128 * 1024  # the head compressed to decide (streams: decided once this much is written)
MIN_BYTES = 1024  # smaller blobs are stored raw: a frame's overhead and the disk block eat any saving
MIN_SAVING = 0.125  # compress only when the sample shrinks by an eighth at least
_CHUNK = 2**20

Buffer = Union[bytes, bytearray, memoryview]


@functools.lru_cache(maxsize=1)
def _params() -> Any:
    import zstandard

    return zstandard.ZstdCompressionParameters.from_level(LEVEL, min_match=MIN_MATCH, write_content_size=True)


def _compressor() -> Any:
    import zstandard

    return zstandard.ZstdCompressor(compression_params=_params())


def _decompressor() -> Any:
    import zstandard

    return zstandard.ZstdDecompressor()


def is_compressed(head: Buffer) -> bool:
    """True when stored bytes beginning with ``head`` (4 bytes at least) are a zstd frame."""
    return bytes(head[:4]) == ZSTD_MAGIC


def worth_compressing(sample: Buffer) -> bool:
    """Decide from a sample of the head: raw data beginning with the zstd magic is always
    compressed (so stored raw blobs never look compressed)."""
    if is_compressed(sample):
        return True
    if len(sample) < MIN_BYTES:
        return False
    head = memoryview(sample)[:SAMPLE_BYTES]
    return len(_compressor().compress(head)) <= len(head) * (1 - MIN_SAVING)


def encode(data: Buffer) -> Buffer:
    """The stored form of raw ``data`` (the data itself when compressing does not pay)."""
    return _compressor().compress(data) if worth_compressing(data) else data


def decode(stored: Buffer, where: str) -> Buffer:
    """Raw bytes from a stored blob (IntegrityError naming ``where`` if a frame is damaged)."""
    if not is_compressed(stored):
        return stored
    try:
        # A streamed frame does not record its content size: decompressobj needs none.
        return _decompressor().decompressobj().decompress(stored)
    except Exception as exc:  # zstandard.ZstdError: a damaged frame
        raise damaged(where, exc) from exc


def damaged(where: str, exc: BaseException) -> IntegrityError:
    return IntegrityError(
        f"{where} is corrupted: its zstd frame cannot be decompressed ({exc})",
        fix="delete that object and resume the run so the task that wrote it runs again",
    )


class Encoder:
    """Streams raw bytes into ``sink`` in their stored form, hashing the raw bytes.

    The head is held back until :data:`SAMPLE_BYTES` are written (or :meth:`finish`),
    then compressed or passed through from there on."""

    def __init__(self, sink: Callable[[Buffer], Any]) -> None:
        self.hash = hashlib.sha256()
        self.size = 0
        self.compressed: Optional[bool] = None
        self._sink = sink
        self._head: Optional[bytearray] = bytearray()
        self._zstd: Any = None

    def write(self, data: Buffer, *, hashed: bool = False) -> int:
        """Take raw bytes (``hashed``: the caller has fed them to :attr:`hash` already)."""
        view = data if isinstance(data, (bytes, bytearray)) else memoryview(data).cast("B")
        n = len(view)
        if not hashed:
            self.hash.update(view)
        self.size += n
        if self._head is not None:
            need = SAMPLE_BYTES - len(self._head)
            self._head += view[:need]
            if len(self._head) < SAMPLE_BYTES:
                return n
            self._decide()
            view = memoryview(view)[need:]
        if len(view):
            self._emit(view)
        return n

    def _decide(self) -> None:
        head, self._head = self._head, None
        assert head is not None
        self.compressed = worth_compressing(head)
        if self.compressed:
            self._zstd = _compressor().compressobj()
        self._emit(head)

    def _emit(self, view: Buffer) -> None:
        if self._zstd is None:
            self._sink(view)
            return
        out = self._zstd.compress(view)
        if out:
            self._sink(out)

    def finish(self) -> str:
        """Flush the last bytes; returns the raw bytes' sha256 (hex)."""
        if self._head is not None:
            self._decide()
        if self._zstd is not None:
            self._sink(self._zstd.flush())
            self._zstd = None
        return self.hash.hexdigest()


class HashingReader:
    """A file object over a stored blob that yields the raw bytes and hashes them as they are read
    (``pickle.load`` reads large payloads with ``readinto``, straight into their object)."""

    def __init__(self, fh: BinaryIO, where: str) -> None:
        self.hash = hashlib.sha256()
        self._where = where
        head = fh.read(4)
        fh.seek(0)
        self._raw: Any = _decompressor().stream_reader(fh, read_size=_CHUNK) if is_compressed(head) else fh

    def _guard(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except OSError:
            raise
        except Exception as exc:  # a damaged frame
            raise damaged(self._where, exc) from exc

    def read(self, n: int = -1) -> bytes:
        data = self._guard(lambda: self._raw.read(n))
        self.hash.update(data)
        return data

    def readinto(self, buf: Any) -> int:
        n = self._guard(lambda: self._raw.readinto(buf))
        with memoryview(buf) as view:
            self.hash.update(view[:n])
        return n

    def readline(self, size: int = -1) -> bytes:
        # pickle reads text lines only for protocol-0 opcodes; a blob's line is short.
        out = bytearray()
        while size < 0 or len(out) < size:
            byte = self.read(1)
            if not byte:
                break
            out += byte
            if byte == b"\n":
                break
        return bytes(out)

    def drain(self) -> str:
        """Hash whatever the reader has not consumed; returns the raw bytes' sha256 (hex)."""
        while self.read(_CHUNK):
            pass
        return self.hash.hexdigest()
