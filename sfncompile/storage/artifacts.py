"""The artifact layer, written once for every ObjectStore (local directory, S3).

Layout (docs/internals.md "Storage layout")::

    <Flow>/blobs/<sha[:2]>/<sha>                              cloudpickle bytes (raw or zstd: codec.py), content-addressed
    <Flow>/code/<sha>.tar.gz                                  code packages
    <Flow>/runs/<run>/<step>/<task>/<attempt>/<stream>.log    logs
    <Flow>/runs/<run>/<step>/<task>.<attempt>.json            commit marker (the attempt's index), written last
    <Flow>/runs/<run>/<step>/<task>/foreach.json              split manifest [0, ..., N-1]

Blobs are immutable and deduplicated (same bytes, same key, written once); their
sha256 is checked on every read. Deduplication does not trust that an existing
blob is intact: before a write is skipped, the existing object's sha256 is checked
(unless this process verified that blob already, e.g. by reading it); a corrupted
blob is rewritten locally and reported on S3, where blobs are write-once. Every
write of a blob, code package, log, commit marker or foreach manifest is
write-once (``ObjectStore.create``: a hard link locally, ``If-None-Match: *`` on
S3); an attempt file that exists already is an error. An attempt exists for
readers only once its marker is written, and the marker is written with one
atomic write after every blob it names.

Large values never exist twice in memory on the write path: the pickler streams
into a writer that hashes the raw bytes as it goes, compresses them when a sample of
the head shows it pays (storage/codec.py), and spills to a file past ``spool_bytes``;
the file is then published without a copy (hard link locally, parallel multipart
upload on S3). Large incompressible protocol-5 buffers (NumPy arrays) are kept out of
the stream and stored raw after it. On the read path a large local blob is unpickled
straight from its file (a large ``bytes`` is read once, into its final object) while
a second thread checks its XXH3 through a map of the file (legacy blobs: their
sha256); a blob with out-of-band buffers is mapped copy-on-write and its buffers are
handed out as views of the map. The value is returned only once the check passes.
"""
from __future__ import annotations

import hashlib
import io
import json
import mmap
import os
import pickle
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple

from ..exceptions import ArtifactError, IntegrityError, NotFoundError, StorageError
from . import blobfiles, codec, keys, tempfiles
from .interfaces import ObjectStore

PROTOCOL = 5  # pickle.HIGHEST_PROTOCOL on 3.8+: out-of-band buffers, large bytes written without a copy
SPOOL_BYTES = 8 * 2**20  # pickles larger than this are staged in a file, not in memory
_READ_ALL_BYTES = 4 * 2**20  # local blobs up to this size are read in one call
_PARALLEL_HASH_BYTES = 4 * 2**20  # larger pickle writes are hashed in a second thread while they are stored
_KNOWN_GOOD_MAX = 100_000  # blob keys this process wrote or verified (a set, cleared when full)
# Values of these types pickle to identical bytes with pickle and cloudpickle; pickle is ~10x faster.
_ATOMIC = (type(None), bool, int, float, complex, str, bytes)
_ATOMIC_MAX = 2**16  # larger str/bytes take the streaming path (no second copy in memory)


def _small_atomic(value: Any) -> bool:
    cls = type(value)
    if cls is str or cls is bytes:
        return len(value) <= _ATOMIC_MAX
    return cls in _ATOMIC


def type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", None) or ""
    qual = getattr(cls, "__qualname__", cls.__name__)
    return qual if module == "builtins" else f"{module}.{qual}"


def _unpicklable(name: str, value: Any, exc: BaseException) -> ArtifactError:
    return ArtifactError(
        f"artifact '{name}' (type {type_name(value)}) cannot be pickled: {type(exc).__name__}: {exc}",
        fix=f"keep it out of self (use a local variable), or `del self.{name}` before the step ends; "
        "open files, locks, sockets, generators and live connections cannot be stored",
    )


class _WriteFailed(Exception):
    """Wraps an OSError of the spool so it is not mistaken for a pickling error."""

    def __init__(self, error: OSError) -> None:
        self.error = error


class _Spool:
    """A write-only file object for the pickler: encodes (codec.Encoder: hashes the raw bytes,
    compresses when it pays) and keeps the stored bytes in memory up to a limit, then spills
    them to a file. A large chunk is hashed in a second thread while it is encoded and written
    (hashlib and file writes release the GIL), so a big ``bytes`` costs max(hash, write)."""

    def __init__(self, temp_dir: Callable[[], Optional[str]], limit: int) -> None:
        self.encoder = codec.Encoder(self._store)
        self.stored = 0
        self._buffer: Optional[io.BytesIO] = io.BytesIO()
        self._buffer.write(bytes(codec.HEADER_BYTES))  # room for the header, written by finish()
        self._out_of_band: List[pickle.PickleBuffer] = []
        self._limit = limit
        self._temp_dir = temp_dir
        self._fh: Any = None
        self.path: Optional[str] = None

    @property
    def size(self) -> int:
        return self.encoder.size

    def write(self, data: Any) -> int:
        return self._hashed(self.encoder.write, data)

    def _hashed(self, write: Callable[..., Any], data: Any) -> Any:
        """``write(data)`` (an encoder write that hashes the raw bytes itself unless ``hashed``);
        a large ``data`` is hashed in a second thread meanwhile."""
        if memoryview(data).nbytes < _PARALLEL_HASH_BYTES:
            return write(data)
        return _in_parallel(self.encoder.hash.update, data, lambda: write(data, hashed=True))

    def buffer_callback(self, buffer: pickle.PickleBuffer) -> bool:
        """The pickler's ``buffer_callback``: a large incompressible buffer (a NumPy array, a
        ``pickle.PickleBuffer``) is kept out of band, stored raw after the stream, so that a
        reader can hand it out without a copy; True keeps any other in the stream."""
        try:
            with buffer.raw() as view:
                if view.nbytes < codec.OUT_OF_BAND_BYTES or codec.worth_compressing(view[:codec.SAMPLE_BYTES]):
                    return True
        except BufferError:  # not contiguous: the pickler reports it
            return True
        self._out_of_band.append(buffer)
        return False

    def _write_buffers(self) -> None:
        for buffer in self._out_of_band:
            with buffer.raw() as view:
                self.encoder.begin_buffer(view)
                self._hashed(self.encoder.write_raw, view)
        self._out_of_band = []

    def _store(self, view: Any) -> None:
        self.stored += len(view)
        try:
            if self._buffer is not None:
                if self.stored <= self._limit:
                    self._buffer.write(view)
                    return
                self._spill()
            self._fh.write(view)
        except OSError as exc:
            raise _WriteFailed(exc) from exc

    def _spill(self) -> None:
        fd, self.path = tempfiles.open_new(self._temp_dir() or tempfiles.spool_dir(), "spool")
        self._fh = os.fdopen(fd, "wb", buffering=2**20)
        assert self._buffer is not None
        self._fh.write(self._buffer.getbuffer())
        self._buffer = None

    def finish(self) -> str:
        """Flush the encoder and put the blob's header in front; returns the raw bytes' sha256."""
        try:
            self._write_buffers()
            sha = self.encoder.finish()
            head = self.encoder.header(sha)
            if self._buffer is not None:
                self._buffer.getbuffer()[: len(head)] = head
            else:
                self._fh.flush()
                os.pwrite(self._fh.fileno(), head, 0)
            return sha
        except OSError as exc:
            raise _WriteFailed(exc) from exc

    @property
    def in_memory(self) -> bool:
        return self._buffer is not None

    def getvalue(self) -> bytes:
        assert self._buffer is not None
        return self._buffer.getvalue()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def discard(self) -> None:
        self.close()
        if self.path:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None


class _BlobHead(NamedTuple):
    """What a local blob file's first bytes say: its size, those bytes, their header (None: a legacy blob)."""

    size: int
    head: bytes
    header: Optional[codec.Header]


def _read_head(fh: Any, where: str, size: Optional[int] = None) -> _BlobHead:
    """Read a local blob file's first bytes (``size``: its size, when the caller knows it)."""
    head = fh.read(codec.HEADER_BYTES)
    return _BlobHead(os.fstat(fh.fileno()).st_size if size is None else size, head, codec.read_header(head, where))


def _in_parallel(hash_update: Callable[[Any], Any], data: Any, work: Callable[[], Any]) -> Any:
    """``work()`` while a second thread runs ``hash_update(data)``; both finish before it returns."""
    result: List[Any] = []
    blobfiles.run_parallel(lambda i: result.append(work()) if i == 0 else hash_update(data), 2, name="sfncompile-hash")
    return result[0]


class ArtifactStore:
    """Blobs, attempt records, logs, foreach manifests and code packages on one ObjectStore."""

    def __init__(self, objects: ObjectStore, *, spool_bytes: int = SPOOL_BYTES) -> None:
        self.objects = objects
        self.spool_bytes = spool_bytes
        self._known_good: set = set()

    def __repr__(self) -> str:
        return f"ArtifactStore({self.objects!r})"

    def url(self, key: str) -> str:
        """Where a key lives, for messages: local:/dir/key or s3://bucket/prefix/key."""
        return f"{self.objects.url.rstrip('/')}/{key}"

    # -- keys (docs/internals.md) ------------------------------------------------------------
    blob_key = staticmethod(keys.blob_key)
    code_key = staticmethod(keys.code_key)
    marker_key = staticmethod(keys.marker_key)
    log_key = staticmethod(keys.log_key)
    foreach_key = staticmethod(keys.foreach_key)
    card_key = staticmethod(keys.card_key)

    # -- blobs -------------------------------------------------------------------------------
    def put_blob(self, flow: str, data: bytes) -> str:
        """Store bytes content-addressed (compressed when it pays, see storage/codec.py); returns
        the sha256 (hex) of ``data``. Existing blobs are not rewritten."""
        stored, sha = codec.encode(data)
        self._store_addressed(keys.blob_key(flow, sha), sha, data=stored)
        return sha

    def get_blob(self, flow: str, sha: str) -> bytes:
        """A blob's raw bytes, verified against its sha256 (IntegrityError names the key if not)."""
        key = keys.blob_key(flow, sha)
        return bytes(codec.open_stored(self.objects.get_bytes(key), sha, self.url(key)))

    def has_blob(self, flow: str, sha: str) -> bool:
        return self.objects.exists(keys.blob_key(flow, sha))

    def _put_addressed(self, key_of: Any, flow: str, data: bytes) -> str:
        """Store bytes under their sha256 (blobs, code packages), written once and verified if present."""
        sha = hashlib.sha256(data).hexdigest()
        self._store_addressed(key_of(flow, sha), sha, data=data)
        return sha

    def _store_addressed(self, key: str, sha: str, *, data: Optional[Any] = None, path: Optional[str] = None) -> None:
        """Write a content-addressed object once (``data``/``path``: its stored form); an existing one
        is kept only if its raw bytes hash to ``sha``."""
        if key in self._known_good:
            return
        created = self.objects.create(key, data) if data is not None else self.objects.create_file(key, path)  # type: ignore[arg-type]
        if not created and not self._intact(key, sha):
            if self.objects.local_path(key) is None:  # S3: write-once, so it cannot be repaired here
                raise IntegrityError(
                    f"{self.url(key)} is corrupted (its sha256 is not {sha}), and stored objects are written once",
                    fix="delete that object (bucket versioning keeps the corrupted version) and run again",
                )
            # Local: replace the corrupted copy (atomic rename) instead of trusting it.
            if data is not None:
                self.objects.put_bytes(key, data)
            else:
                self.objects.put_file(key, path)  # type: ignore[arg-type]
        self._remember(key)

    def _remember(self, key: str) -> None:
        if len(self._known_good) >= _KNOWN_GOOD_MAX:
            self._known_good.clear()
        self._known_good.add(key)

    def _intact(self, key: str, sha: str) -> bool:
        """True if a stored blob holds the raw bytes hashing to ``sha`` (False if it vanished or
        is damaged): checked as a read would check it, through a map of the file when local."""
        path = self.objects.local_path(key)
        try:
            if path is None:
                codec.unpack(self.objects.get_bytes(key), sha, self.url(key))
                return True
            with open(path, "rb") as fh:
                self._local_blob(fh, key, sha, _read_head(fh, self.url(key)))[1]()
            return True
        except (NotFoundError, FileNotFoundError, IntegrityError):
            return False

    def _create_once(self, key: str, data: bytes, what: str) -> None:
        """Write an attempt file once; it existing already is an error (never overwritten)."""
        if not self.objects.create(key, data):
            raise StorageError(
                f"{self.url(key)} already exists: {what} is written once and never replaced",
                fix="each attempt writes its own files; run the task again as a new attempt (resume the run)",
            )

    def _create_same(self, key: str, data: bytes, what: str, fix: str) -> None:
        """Write a file shared by a task's (or a run's) attempts once; a retry writing the same bytes is fine."""
        if not self.objects.create(key, data) and self.objects.get_bytes(key) != data:
            raise StorageError(f"{self.url(key)} already holds a different {what}: it is written once", fix=fix)

    def sweep_temp(self) -> int:
        """Remove staging files (local objects, spooled pickles) of writers that were killed."""
        removed = tempfiles.sweep(tempfiles.spool_dir())
        sweep = getattr(self.objects, "sweep_temp", None)
        return removed + (sweep() if sweep is not None else 0)

    def _verified(self, key: str, sha: str, data: Any) -> Any:
        self._verify(key, sha, hashlib.sha256(data).hexdigest())
        return data

    def _verify(self, key: str, expected: str, actual: str) -> None:
        codec.check_sha(actual, expected, self.url(key))

    # -- serialization -----------------------------------------------------------------------
    def serialize(self, name: str, value: Any) -> bytes:
        """cloudpickle bytes of a value (protocol 5); ArtifactError names the attribute and type if impossible."""
        if type(value) in _ATOMIC:
            return pickle.dumps(value, protocol=PROTOCOL)
        import cloudpickle

        try:
            return cloudpickle.dumps(value, protocol=PROTOCOL)
        except Exception as exc:
            raise _unpicklable(name, value, exc) from exc

    def save_artifact(self, flow: str, name: str, value: Any) -> Dict[str, Any]:
        """Pickle one value straight into the store; returns {"sha", "size", "type"}."""
        if _small_atomic(value):
            data = pickle.dumps(value, protocol=PROTOCOL)
            return {"sha": self.put_blob(flow, data), "size": len(data), "type": type_name(value)}
        import cloudpickle

        # Large pickles are staged beside the objects (local: published by hard link) or in $TMPDIR.
        spool = _Spool(self.objects.temp_dir, self.spool_bytes)
        try:
            try:
                cloudpickle.Pickler(spool, protocol=PROTOCOL, buffer_callback=spool.buffer_callback).dump(value)
                sha = spool.finish()
            except _WriteFailed as exc:
                raise StorageError(f"cannot stage artifact '{name}' of {flow}: {exc.error}") from exc.error
            except Exception as exc:
                raise _unpicklable(name, value, exc) from exc
            key = keys.blob_key(flow, sha)
            if spool.in_memory:
                self._store_addressed(key, sha, data=spool.getvalue())
            else:
                spool.close()
                self._store_addressed(key, sha, path=spool.path)
            return {"sha": sha, "size": spool.size, "type": type_name(value)}
        finally:
            spool.discard()

    def save_artifacts(self, flow: str, values: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
        """Store every value; returns {name: {"sha", "size", "type"}} for commit_attempt."""
        return {name: self.save_artifact(flow, name, value) for name, value in values.items()}

    def load_value(self, flow: str, sha: str, *, name: Optional[str] = None) -> Any:
        """The unpickled value of a blob, its raw bytes' sha256 checked (IntegrityError if corrupted).

        Small blobs are verified before unpickling. A large local blob is unpickled straight
        from its file while its hash is checked (raw: a second thread reads the file; zstd:
        the decompressed stream is hashed as the unpickler reads it); nothing is returned
        before the check passes."""
        key = keys.blob_key(flow, sha)
        path = self.objects.local_path(key)
        if path is not None:
            try:
                fh = open(path, "rb")
            except (FileNotFoundError, NotADirectoryError):
                raise NotFoundError(f"{self.url(key)} does not exist" + (f" (artifact '{name}')" if name else "")) from None
            with fh:
                size = os.fstat(fh.fileno()).st_size
                if size <= _READ_ALL_BYTES:
                    return self._load_buffer(key, sha, name, fh.read())
                blob = _read_head(fh, self.url(key), size)
                if blob.header is not None and blob.header.buffers:
                    # Out-of-band buffers are handed out as views of a private map of the file
                    # (copy-on-write: writable, never written back; the check maps it in once).
                    return self._load_buffer(key, sha, name, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY))
                source, check = self._local_blob(fh, key, sha, blob)
                # Unpickling from the file: a large bytes payload is read directly into its object.
                return self._load_checked(key, name, lambda: pickle.load(source), check)
        # Remote: one buffer (S3: parallel ranged GETs straight into it), verified, then unpickled.
        getter = getattr(self.objects, "get_buffer", None) or self.objects.get_bytes
        return self._load_buffer(key, sha, name, getter(key))

    def _load_buffer(self, key: str, sha: str, name: Optional[str], stored: Any) -> Any:
        stream, buffers = codec.unpack(stored, sha, self.url(key))
        self._remember(key)
        return self._loads(key, name, lambda data: pickle.loads(data, buffers=buffers), stream)

    def _local_blob(self, fh: Any, key: str, sha: str, blob: _BlobHead) -> Tuple[Any, Callable[[], None]]:
        """A local blob file opened for reading (``blob``: what its first bytes say): (a file object
        positioned at its raw bytes, a check that raises IntegrityError unless the blob holds what
        ``sha`` names).

        The check runs while the raw bytes are read: XXH3 of the payload (a blob with a
        header) or sha256 of the file (legacy raw) in a second thread over a map of the
        file; sha256 of the decompressed stream as it is read (legacy zstd)."""
        where = self.url(key)
        size, head, header = blob
        if header is not None:
            payload = blobfiles.digest_in_background(fh.fileno(), codec.payload_hasher(), codec.HEADER_BYTES)
            fh.seek(codec.HEADER_BYTES)
            source = codec.HashingReader(fh, where, compressed=True) if header.compressed else blobfiles.reader(fh)
            return source, lambda: codec.verify(header, payload().digest(), size - codec.HEADER_BYTES, sha, where)
        fh.seek(0)
        if codec.is_compressed(head):
            reader = codec.HashingReader(fh, where, compressed=True, hasher=hashlib.sha256())
            return reader, lambda: self._verify(key, sha, reader.drain())
        digest = blobfiles.digest_in_background(fh.fileno(), hashlib.sha256())
        return blobfiles.reader(fh), lambda: self._verify(key, sha, digest().hexdigest())

    def _load_checked(self, key: str, name: Optional[str], load: Callable[[], Any], check: Callable[[], None]) -> Any:
        """``load()`` while the blob is checked; a failed check wins over a load error."""
        try:
            value = self._loads(key, name, lambda _: load(), None)
        except ArtifactError:
            check()
            raise
        except BaseException:  # e.g. a damaged zstd frame: the check's thread ends before the file closes
            try:
                check()
            except Exception:
                pass
            raise
        check()
        self._remember(key)
        return value

    def _loads(self, key: str, name: Optional[str], loader: Any, source: Any) -> Any:
        try:
            return loader(source)
        except IntegrityError:  # a damaged zstd frame met while streaming
            raise
        except Exception as exc:
            what = f"artifact '{name}'" if name else "an artifact"
            raise ArtifactError(
                f"cannot load {what} from {self.url(key)}: {type(exc).__name__}: {exc}",
                fix="the classes it uses must be importable here (same code and library versions as the writer)",
            ) from exc

    def load_values(self, flow: str, artifacts: Mapping[str, Mapping[str, Any]], names: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """Values of an attempt record's ``artifacts`` (all, or only ``names``)."""
        chosen = list(artifacts) if names is None else list(names)
        return {n: self.load_value(flow, artifacts[n]["sha"], name=n) for n in chosen}

    # -- attempts ----------------------------------------------------------------------------
    def commit_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        artifacts: Mapping[str, Mapping[str, Any]],
        extra: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Write the attempt's commit marker (its index, ``keys.marker_key``): call after every blob is stored."""
        record: Dict[str, Any] = {"artifacts": dict(artifacts)}
        if extra:
            record.update(extra)
        data = json.dumps(record, separators=(",", ":"), default=str).encode()
        self._create_once(keys.marker_key(flow, run_id, step, task_id, attempt), data, "an attempt's commit marker")

    def committed_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> List[int]:
        """Attempt numbers with a commit marker (either layout), ascending."""
        lead = keys.step_prefix(flow, run_id, step) + f"{task_id}."
        found = {n for n in (keys.marker_attempt(key[len(lead):]) for key in self.objects.list(lead)) if n is not None}
        legacy = keys.task_prefix(flow, run_id, step, task_id)
        for key in self.objects.list(legacy):
            number, _, name = key[len(legacy):].partition("/")
            if name == keys.MARKER and number.isdigit():
                found.add(int(number))
        return sorted(found)

    def load_attempt(
        self, flow: str, run_id: str, step: str, task_id: str, attempt: Optional[int] = None
    ) -> Optional[Dict[str, Any]]:
        """The committed record of an attempt ({"artifacts": ..., "attempt": n, **extra}), or of the
        latest committed attempt when ``attempt`` is None; None when there is none. An attempt of a
        store written before the index moved (``keys.legacy_marker_key``) reads the same."""
        if attempt is None:
            committed = self.committed_attempts(flow, run_id, step, task_id)
            if not committed:
                return None
            attempt = committed[-1]
        for key_of in (keys.marker_key, keys.legacy_marker_key):
            key = key_of(flow, run_id, step, task_id, attempt)
            data = self._bytes_or_none(key)
            if data is not None:
                break
        else:
            return None
        try:
            record = json.loads(data)
        except ValueError as exc:
            raise StorageError(f"{self.url(key)} is not valid JSON: {exc}") from exc
        record.setdefault("attempt", int(attempt))
        return record

    # -- logs --------------------------------------------------------------------------------
    def put_log(self, flow: str, run_id: str, step: str, task_id: str, attempt: int, stream_name: str, data: bytes) -> str:
        key = keys.log_key(flow, run_id, step, task_id, attempt, stream_name)
        self._create_once(key, data, "an attempt's log")
        return key

    def get_log(self, flow: str, run_id: str, step: str, task_id: str, attempt: int, stream_name: str) -> Optional[bytes]:
        return self._bytes_or_none(keys.log_key(flow, run_id, step, task_id, attempt, stream_name))

    def _bytes_or_none(self, key: str) -> Optional[bytes]:
        try:
            return self.objects.get_bytes(key)
        except NotFoundError:
            return None

    # -- cards -------------------------------------------------------------------------------
    def put_card(self, flow: str, run_id: str, step: str, task_id: str, attempt: int, card_id: str, html: bytes,
                 live_seq: Optional[int] = None) -> str:
        """Store a card once: the final render, or (``live_seq``) one refresh while the step runs."""
        if live_seq is None:
            key = keys.card_key(flow, run_id, step, task_id, attempt, card_id)
        else:
            key = keys.live_card_key(flow, run_id, step, task_id, attempt, card_id, live_seq)
        self._create_once(key, html, "an attempt's card")
        return key

    def get_card(self, flow: str, run_id: str, step: str, task_id: str, attempt: int, card_id: str) -> Optional[bytes]:
        """The final card, else the latest refresh stored while the step ran, else None."""
        final = self._bytes_or_none(keys.card_key(flow, run_id, step, task_id, attempt, card_id))
        if final is not None:
            return final
        live = self._live_cards(flow, run_id, step, task_id, attempt).get(card_id)
        return self._bytes_or_none(live) if live else None

    def list_cards(self, flow: str, run_id: str, step: str, task_id: str, attempt: int) -> List[str]:
        """Card ids stored with an attempt (final or refreshed), sorted."""
        prefix = keys.attempt_prefix(flow, run_id, step, task_id, attempt) + keys.CARDS_DIR + "/"
        final = {k[len(prefix):-len(".html")] for k in self.objects.list(prefix)
                 if k.endswith(".html") and "/" not in k[len(prefix):]}
        return sorted(final | set(self._live_cards(flow, run_id, step, task_id, attempt)))

    def _live_cards(self, flow: str, run_id: str, step: str, task_id: str, attempt: int) -> Dict[str, str]:
        """Card id -> key of its latest refresh (sequence numbers are zero-padded: the largest key wins)."""
        prefix = (keys.attempt_prefix(flow, run_id, step, task_id, attempt)
                  + f"{keys.CARDS_DIR}/{keys.LIVE_CARDS_DIR}/")
        latest: Dict[str, str] = {}
        for key in sorted(k for k in self.objects.list(prefix) if k.endswith(".html")):
            latest[key[len(prefix):].rsplit(".", 2)[0]] = key
        return latest

    # -- run graph ---------------------------------------------------------------------------
    def put_graph(self, flow: str, run_id: str, document: Mapping[str, Any]) -> str:
        key = keys.graph_key(flow, run_id)
        data = json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()
        self._create_same(key, data, "run graph", fix="a run keeps the graph of the code it started with")
        return key

    def get_graph(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        data = self._bytes_or_none(keys.graph_key(flow, run_id))
        return json.loads(data) if data is not None else None

    # -- foreach -----------------------------------------------------------------------------
    def put_foreach_manifest(self, flow: str, run_id: str, step: str, task_id: str, cardinality: int) -> str:
        """Write foreach.json, the compact JSON array [0, 1, ..., N-1]; returns its key."""
        n = int(cardinality)
        if n < 0:
            raise ValueError(f"cardinality must be >= 0, got {cardinality}")
        key = keys.foreach_key(flow, run_id, step, task_id)
        data = ("[" + ",".join(map(str, range(n))) + "]").encode()
        self._create_same(key, data, "split manifest",
                          fix="a retried foreach split must fan out to the same number of items; resume the run as a new run")
        return key

    def get_foreach_manifest(self, flow: str, run_id: str, step: str, task_id: str) -> Optional[List[int]]:
        try:
            return json.loads(self.objects.get_bytes(keys.foreach_key(flow, run_id, step, task_id)))
        except NotFoundError:
            return None

    # -- code packages -----------------------------------------------------------------------
    def put_code(self, flow: str, data: bytes) -> str:
        """Store a code package (tar.gz bytes) under its sha256; an existing package is not rewritten."""
        return self._put_addressed(keys.code_key, flow, data)

    def get_code(self, flow: str, sha: str) -> bytes:
        """A code package's bytes, verified against its sha256."""
        key = keys.code_key(flow, sha)
        try:
            data = self.objects.get_bytes(key)
        except NotFoundError:
            raise NotFoundError(
                f"code package {self.url(key)} does not exist",
                fix="deploy the flow again (`sfncompile deploy`) to upload its code package",
            ) from None
        return self._verified(key, sha, data)
