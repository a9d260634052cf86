"""How a blob's bytes are stored: a checked header, then the raw bytes or one zstd frame of them.

A blob's key is the sha256 of its *raw* bytes (the pickle), whatever the encoding, so
deduplication and the index entries never depend on it. Every blob is written as

    header (64 bytes) | payload

- **header**: ``SFNB``, format version 1, the encoding (0 raw, 1 zstd), flags (bit 0:
  out-of-band buffers follow), a zero byte, the payload's length (u64, little-endian),
  the sha256 of the raw bytes, and a 128-bit XXH3 check over the header's first 48
  bytes and the payload's own XXH3-128;
- **payload**: the pickle stream, raw (data a sample shows to be incompressible: random
  bytes, packed floats, media) or as one zstd frame; with the flag, the out-of-band
  buffers of pickle protocol 5 follow it, raw and 64-byte aligned in the file, then
  their table (see docs/internals.md "Blob encoding"), so a reader can hand them to
  the unpickler as views of the file (NumPy arrays load without a copy).

Why a check besides the sha256 key: verifying 200 MB with sha256 costs about 0.15 s of
CPU on every read, XXH3 about 0.02 s. The sha256 is computed once, while the blob is
written (it is the key); a reader checks that the header names the key it asked for
(a blob copied over another is caught), that the payload has the length the header
says (truncation), and that the XXH3 check matches (any flipped byte, in the payload or
the header). XXH3 is not a cryptographic hash: it catches corruption, not a forger who
rewrites a blob and its check on purpose (who could as well rewrite the commit marker
that names the blob).

Blobs written before this format (no header) are still read and are verified with a
full sha256 of their raw bytes, as they always were: **legacy raw** (the bytes
themselves, a pickle: it begins ``80 05``) or **legacy zstd** (one bare frame, which
begins with the frame magic ``28 B5 2F FD``). The first four stored bytes tell the
three forms apart.

Whether to compress is decided by compressing a sample of the head
(:data:`SAMPLE_BYTES`): it must shrink by :data:`MIN_SAVING` at least. The codec is
zstd level 3 with a minimum match of 4 bytes (the level's default is 5): pickled
numbers are 5- and 9-byte records whose shared tails are 4 bytes long, so a million-int
list compresses to 1.1 MB instead of 3.1 MB, at the same speed. ``zstandard`` (the
maintained binding of the reference C library) is imported only when a blob is
compressed or read compressed; ``xxhash`` (the binding of the reference XXH3) when a
blob is written or checked.
"""
from __future__ import annotations

import functools
import hashlib
import struct
from typing import Any, BinaryIO, Callable, NamedTuple, Optional, Union

from ..exceptions import IntegrityError

MAGIC = b"SFNB"
VERSION = 1
RAW, ZSTD = 0, 1
HEADER = struct.Struct("<4sBBBxQ32s16s")  # magic, version, encoding, flags, length, sha256, check
HEADER_BYTES = HEADER.size  # 64
BUFFERS = 1  # flag: out-of-band buffers follow the pickle stream
ALIGN = 64  # each out-of-band buffer starts at a multiple of this in the file
OUT_OF_BAND_BYTES = 2**20  # smaller buffers (and compressible ones) stay in the pickle stream
_ENTRY = struct.Struct("<QQQ")  # an out-of-band buffer: offset in the payload, length, readonly
_TRAILER = struct.Struct("<QQ")  # the stream's stored length, the number of buffers
_PREFIX = struct.Struct("<QB")  # what the sha256 takes before a buffer's bytes: its length, readonly
_CHECKED = 48  # header bytes covered by the check (all but the check itself)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LEVEL = 3
MIN_MATCH = 4
SAMPLE_BYTES = 128 * 1024  # the head compressed to decide (streams: decided once this much is written)
MIN_BYTES = 1024  # smaller blobs are stored raw: a frame's overhead and the disk block eat any saving
MIN_SAVING = 0.125  # compress only when the sample shrinks by an eighth at least
_CHUNK = 2**20

Buffer = Union[bytes, bytearray, memoryview]
_FIX = "delete that object and resume the run so the task that wrote it runs again"


class Header(NamedTuple):
    """A blob's parsed header (see the module docstring)."""

    compressed: bool
    buffers: bool
    length: int
    sha: str
    check: bytes
    fields: bytes  # the first 48 bytes, as stored (covered by ``check``)


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


def preload() -> None:
    """Import the codec's native modules now: a template process calls this once, so the task
    processes it forks do not each load them (an import costs about a millisecond of CPU per task)."""
    import xxhash  # noqa: F401
    import zstandard  # noqa: F401


def payload_hasher() -> Any:
    """A streaming XXH3-128, the hash of a payload that the header's check covers."""
    import xxhash

    return xxhash.xxh3_128()


def _check(fields: Buffer, payload_digest: bytes) -> bytes:
    import xxhash

    return xxhash.xxh3_128(bytes(fields) + payload_digest).digest()


def header(sha: str, compressed: bool, length: int, payload_digest: bytes, buffers: bool = False) -> bytes:
    """The 64 header bytes of a blob whose payload (``length`` bytes) hashes to ``payload_digest``."""
    fields = HEADER.pack(MAGIC, VERSION, ZSTD if compressed else RAW, BUFFERS if buffers else 0, length,
                         bytes.fromhex(sha), b"")[:_CHECKED]
    return fields + _check(fields, payload_digest)


def read_header(head: Buffer, where: str) -> Optional[Header]:
    """The header of stored bytes beginning with ``head``; None for a legacy blob (no header).
    IntegrityError if it is damaged beyond telling what it is."""
    if bytes(head[:4]) != MAGIC:
        return None
    if len(head) < HEADER_BYTES:
        raise damaged_blob(where, f"it is {len(head)} bytes long, shorter than its {HEADER_BYTES}-byte header")
    _, version, encoding, flags, length, sha, check = HEADER.unpack_from(head)
    if version != VERSION or encoding not in (RAW, ZSTD) or flags & ~BUFFERS:
        raise IntegrityError(
            f"{where} has blob format version {version}, encoding {encoding}, flags {flags}: "
            f"this sfncompile reads version {VERSION}",
            fix="read it with the sfncompile version that wrote it, or " + _FIX,
        )
    return Header(encoding == ZSTD, bool(flags & BUFFERS), length, sha.hex(), check, bytes(head[:_CHECKED]))


def verify(head: Header, payload_digest: bytes, stored_length: int, expected_sha: str, where: str) -> None:
    """IntegrityError unless the header names ``expected_sha``, the payload (``stored_length``
    bytes after the header) has the length the header says, and the check matches."""
    if head.sha != expected_sha:
        raise damaged_blob(where, f"its header names the blob {head.sha}, expected {expected_sha}")
    if stored_length != head.length:
        raise damaged_blob(where, f"its payload is {stored_length} bytes, its header says {head.length}")
    if _check(head.fields, payload_digest) != head.check:
        raise damaged_blob(where, "its checksum does not match its content")


def check_sha(actual: str, expected: str, where: str) -> None:
    """IntegrityError naming ``where`` unless a blob's raw bytes hash (sha256, hex) to ``expected``."""
    if actual != expected:
        raise damaged_blob(where, f"its sha256 is {actual}, expected {expected}")


def damaged_blob(where: str, what: str) -> IntegrityError:
    return IntegrityError(f"{where} is corrupted: {what}", fix=_FIX)


def is_compressed(head: Buffer) -> bool:
    """True when stored bytes beginning with ``head`` (4 bytes at least) are a bare zstd frame (legacy)."""
    return bytes(head[:4]) == ZSTD_MAGIC


def worth_compressing(sample: Buffer) -> bool:
    """Decide from a sample of the head."""
    if len(sample) < MIN_BYTES:
        return False
    head = memoryview(sample)[:SAMPLE_BYTES]
    return len(_compressor().compress(head)) <= len(head) * (1 - MIN_SAVING)


def encode(data: Buffer) -> "tuple[bytearray, str]":
    """The stored form of raw ``data`` (header and payload) and the sha256 (hex) of ``data``."""
    out = bytearray(HEADER_BYTES)
    encoder = Encoder(out.extend)
    encoder.write(data)
    sha = encoder.finish()
    out[:HEADER_BYTES] = encoder.header(sha)
    return out, sha


def open_stored(stored: Buffer, sha: str, where: str) -> Buffer:
    """The raw bytes of a whole stored blob (any form), checked against ``sha``:
    IntegrityError naming ``where`` if they do not match."""
    stream, buffers = unpack(stored, sha, where)
    if not buffers:
        return stream
    out = bytearray(stream)
    for view in buffers:
        out += _PREFIX.pack(view.nbytes, view.readonly)
        out += view
    return out


def unpack(stored: Buffer, sha: str, where: str) -> "tuple[Buffer, list[memoryview]]":
    """A whole stored blob (any form), checked against ``sha``: its pickle stream and its
    out-of-band buffers (``pickle.loads(stream, buffers=buffers)``), each a view of
    ``stored``: zero-copy, writable unless the buffer was read-only when pickled (a
    read-only ``stored`` with buffers is copied once, so that they can be)."""
    head = read_header(stored, where)
    if head is None:  # legacy: verified by the sha256 of the raw bytes
        raw = _decode_legacy(stored, where)
        check_sha(hashlib.sha256(raw).hexdigest(), sha, where)
        return raw, []
    if head.buffers and memoryview(stored).readonly:
        stored = bytearray(stored)
    payload = memoryview(stored)[HEADER_BYTES:]
    verify(head, _digest(payload), len(payload), sha, where)
    end, buffers = len(payload), []
    if head.buffers:
        end, entries = _table(payload, where)
        buffers = [payload[at:at + n].toreadonly() if readonly else payload[at:at + n] for at, n, readonly in entries]
    stream = payload[:end]
    return (_decompress(stream, where) if head.compressed else stream), buffers


def _table(payload: memoryview, where: str) -> "tuple[int, list[tuple[int, int, int]]]":
    """(the stream's stored length, [(offset, length, readonly)]) from a payload's trailer."""
    stream, count = _TRAILER.unpack_from(payload, len(payload) - _TRAILER.size)
    table = len(payload) - _TRAILER.size - count * _ENTRY.size
    entries = [_ENTRY.unpack_from(payload, table + i * _ENTRY.size) for i in range(count)] if table >= 0 else []
    if table < stream or any(at < stream or at + n > table for at, n, _ in entries):
        raise damaged_blob(where, "its table of out-of-band buffers does not fit its payload")
    return stream, entries


def _digest(payload: Buffer) -> bytes:
    hasher = payload_hasher()
    hasher.update(payload)
    return hasher.digest()


def _decode_legacy(stored: Buffer, where: str) -> Buffer:
    return _decompress(stored, where) if is_compressed(stored) else stored


def _decompress(frame: Buffer, where: str) -> bytes:
    try:
        # A streamed frame does not record its content size: decompressobj needs none.
        return _decompressor().decompressobj().decompress(frame)
    except Exception as exc:  # zstandard.ZstdError: a damaged frame
        raise damaged(where, exc) from exc


def damaged(where: str, exc: BaseException) -> IntegrityError:
    return damaged_blob(where, f"its zstd frame cannot be decompressed ({exc})")


class Encoder:
    """Streams raw bytes into ``sink`` as a blob's payload, hashing the raw bytes (sha256, the
    key) and the payload (XXH3-128, the header's check).

    The head is held back until :data:`SAMPLE_BYTES` are written (or :meth:`finish`),
    then compressed or passed through from there on. The caller stores the payload after
    :data:`HEADER_BYTES` of room and puts :meth:`header` there once finished."""

    def __init__(self, sink: Callable[[Buffer], Any]) -> None:
        self.hash = hashlib.sha256()
        self.size = 0
        self.stored = 0
        self.compressed: Optional[bool] = None
        self._sink = sink
        self._check = payload_hasher()
        self._head: Optional[bytearray] = bytearray()
        self._zstd: Any = None
        self._stream: Optional[int] = None  # the stream's stored length, once buffers follow it
        self._entries: "list[tuple[int, int, int]]" = []

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
        if self._zstd is not None:
            view = self._zstd.compress(view)
            if not view:
                return
        self._out(view)

    def _out(self, view: Buffer) -> None:
        self._check.update(view)
        self.stored += len(view)
        self._sink(view)

    def _end_stream(self) -> None:
        if self._head is not None:
            self._decide()
        if self._zstd is not None:
            self._out(self._zstd.flush())
            self._zstd = None

    def begin_buffer(self, view: memoryview) -> None:
        """Start an out-of-band buffer (after the whole pickle stream): aligns it in the file and
        hashes its length and read-only flag; its bytes follow with :meth:`write_raw`."""
        if self._stream is None:
            self._end_stream()
            self._stream = self.stored
        pad = -(HEADER_BYTES + self.stored) % ALIGN
        if pad:
            self._out(bytes(pad))  # stored, not raw: the sha256 never depends on the layout
        self._entries.append((self.stored, view.nbytes, int(view.readonly)))
        self.hash.update(_PREFIX.pack(view.nbytes, view.readonly))
        self.size += _PREFIX.size

    def write_raw(self, view: Buffer, *, hashed: bool = False) -> None:
        """An out-of-band buffer's bytes, stored as they are."""
        if not hashed:
            self.hash.update(view)
        self.size += len(view)
        self._out(view)

    def finish(self) -> str:
        """Flush the last bytes (and the table of out-of-band buffers); returns the raw bytes' sha256 (hex)."""
        if self._stream is None:
            self._end_stream()
        else:
            self._out(b"".join(_ENTRY.pack(*e) for e in self._entries)
                      + _TRAILER.pack(self._stream, len(self._entries)))
        return self.hash.hexdigest()

    def header(self, sha: str) -> bytes:
        """The header of the finished payload."""
        return header(sha, bool(self.compressed), self.stored, self._check.digest(), self._stream is not None)


class HashingReader:
    """A file object over a stored payload that yields the raw bytes (decompressing a zstd
    frame) and, with ``hasher``, hashes them as they are read (``pickle.load`` reads large
    payloads with ``readinto``, straight into their object)."""

    def __init__(self, fh: BinaryIO, where: str, *, compressed: bool, hasher: Any = None) -> None:
        self.hash = hasher
        self._where = where
        self._raw: Any = _decompressor().stream_reader(fh, read_size=_CHUNK) if compressed else fh

    def _guard(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except OSError:
            raise
        except Exception as exc:  # a damaged frame
            raise damaged(self._where, exc) from exc

    def read(self, n: int = -1) -> bytes:
        data = self._guard(lambda: self._raw.read(n))
        if self.hash is not None:
            self.hash.update(data)
        return data

    def readinto(self, buf: Any) -> int:
        n = self._guard(lambda: self._raw.readinto(buf))
        if self.hash is not None:
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
