"""ObjectStore on S3 (``s3://bucket/prefix``): one PUT per small object, parallel multipart for large ones.

- botocore is imported on first use (the client is botocore's own: storage/retry.py); it
  retries throttling and transient errors (``adaptive`` mode, 10 attempts) and honours
  ``AWS_ENDPOINT_URL`` (botocore reads it);
- objects above ``multipart_threshold`` are uploaded with boto3's transfer manager (boto3
  and s3transfer imported then, not before) in
  ``multipart_chunksize`` parts, ``max_concurrency`` at a time, and read back with
  parallel ranged GETs (straight into one buffer for ``get_buffer``/``get_bytes``,
  into a file for ``get_file``);
- a PUT (or a completed multipart upload) is atomic: readers never see half an object;
- ``create``/``create_file`` are write-once: the PUT (or CompleteMultipartUpload) carries
  ``If-None-Match: *``, so S3 itself refuses to replace an existing object (412
  PreconditionFailed, reported as False) and, for two writers racing on one key, answers
  one of them 409 ConditionalRequestConflict, which is retried as AWS advises
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
"""
from __future__ import annotations

import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, Optional, Union

from ..exceptions import NotFoundError
from .interfaces import ObjectStore
from .retry import LazyClient, error_code, is_boto_error, make_client, split_s3_url, translate

MB = 2**20
MULTIPART_THRESHOLD = 32 * MB
MULTIPART_CHUNKSIZE = 16 * MB
MAX_CONCURRENCY = 10
_RANGE_TOTAL = re.compile(r"/(\d+)\s*$")
_READ_ATTEMPTS = 3
_CONFLICT_ATTEMPTS = 3  # 409 ConditionalRequestConflict: another writer raced us; retry the whole write
EXISTS_CODES = frozenset({"PreconditionFailed", "412"})
CONFLICT_CODES = frozenset({"ConditionalRequestConflict", "409"})


class S3ObjectStore(ObjectStore):
    def __init__(
        self,
        url: str,
        client: Any = None,
        *,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunksize: int = MULTIPART_CHUNKSIZE,
        max_concurrency: int = MAX_CONCURRENCY,
        region: Optional[str] = None,
    ) -> None:
        self.bucket, self.prefix = split_s3_url(url)
        self.url = f"s3://{self.bucket}/{self.prefix.rstrip('/')}" if self.prefix else f"s3://{self.bucket}"
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.max_concurrency = max_concurrency
        pool = max(32, 2 * max_concurrency)
        self._client = LazyClient(lambda: make_client("s3", region, max_pool_connections=pool), client)
        self._transfer_config: Any = None

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.url!r})"

    @property
    def client(self) -> Any:
        return self._client.get()

    def _key(self, key: str) -> str:
        return self.prefix + key.lstrip("/")

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _fail(self, exc: BaseException, key: str) -> BaseException:
        return translate(exc, self._where(key)) if is_boto_error(exc) else exc

    def transfer_config(self) -> Any:
        if self._transfer_config is None:
            from boto3.s3.transfer import TransferConfig

            self._transfer_config = TransferConfig(
                multipart_threshold=self.multipart_threshold,
                multipart_chunksize=self.multipart_chunksize,
                max_concurrency=self.max_concurrency,
                use_threads=True,
            )
        return self._transfer_config

    def _transfer(self, key: str, move: Callable[[Any, str], Any]) -> None:
        """A large upload, or a download to a file, by boto3's transfer manager over this store's
        (botocore) client: ``move(manager, full_key)`` starts it. boto3 and s3transfer are imported
        here, never by a task that only reads and writes objects in memory (artifacts, logs, indexes)."""
        from boto3.s3.transfer import create_transfer_manager

        try:
            with create_transfer_manager(self.client, self.transfer_config()) as manager:
                move(manager, self._key(key)).result()
        except Exception as exc:
            raise self._fail(exc, key) from exc

    # -- writes ----------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes) -> None:
        if len(data) >= self.multipart_threshold:
            self._transfer(key, lambda manager, full: manager.upload(io.BytesIO(data), self.bucket, full))
            return
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=bytes(data))
        except Exception as exc:
            raise self._fail(exc, key) from exc

    def put_file(self, key: str, path: str) -> None:
        if os.path.getsize(path) < self.multipart_threshold:
            with open(path, "rb") as fh:
                self.put_bytes(key, fh.read())
            return
        self._transfer(key, lambda manager, full: manager.upload(path, self.bucket, full))

    def create(self, key: str, data: bytes) -> bool:
        if len(data) >= self.multipart_threshold:
            view = memoryview(data)
            return self._create_multipart(key, len(data), lambda start, end: bytes(view[start:end]))
        return self._create_small(key, bytes(data))

    def _create_small(self, key: str, data: bytes) -> bool:
        return self._conditional(key, lambda: self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*"))

    def create_file(self, key: str, path: str) -> bool:
        size = os.path.getsize(path)
        if size < self.multipart_threshold:
            with open(path, "rb") as fh:
                return self._create_small(key, fh.read())

        def read(start: int, end: int) -> bytes:
            with open(path, "rb") as fh:
                fh.seek(start)
                return fh.read(end - start)

        return self._create_multipart(key, size, read)

    def _conditional(self, key: str, write: Callable[[], Any]) -> bool:
        """Run a conditional write: True if it wrote, False if the object exists (412)."""
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                write()
                return True
            except Exception as exc:
                code = error_code(exc)
                if code in EXISTS_CODES:
                    return False
                if code in CONFLICT_CODES and attempt < _CONFLICT_ATTEMPTS - 1:
                    continue
                raise self._fail(exc, key) from exc
        return False  # pragma: no cover - the loop always returns or raises

    def _create_multipart(self, key: str, size: int, read: Callable[[int, int], bytes]) -> bool:
        """Parallel multipart upload whose completion is conditional (s3transfer cannot pass If-None-Match)."""
        full = self._key(key)
        chunk = self.multipart_chunksize

        def attempt() -> None:
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=full)["UploadId"]
            try:
                def part(number: int) -> Dict[str, Any]:
                    start = (number - 1) * chunk
                    body = read(start, min(start + chunk, size))
                    etag = self.client.upload_part(Bucket=self.bucket, Key=full, UploadId=upload_id,
                                                   PartNumber=number, Body=body)["ETag"]
                    return {"ETag": etag, "PartNumber": number}

                with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
                    parts = list(pool.map(part, range(1, (size + chunk - 1) // chunk + 1)))
                self.client.complete_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id,
                                                      MultipartUpload={"Parts": parts}, IfNoneMatch="*")
            except BaseException:
                try:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
                except Exception:
                    pass
                raise

        return self._conditional(key, attempt)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise self._fail(exc, key) from exc

    # -- reads -----------------------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes:
        data = self.get_buffer(key)
        return data if isinstance(data, bytes) else bytes(data)

    def get_buffer(self, key: str) -> Union[bytes, bytearray]:
        """The object's bytes; large objects arrive by parallel ranged GETs into one bytearray (no copy)."""
        first_len = self.multipart_chunksize
        try:
            try:
                response = self.client.get_object(
                    Bucket=self.bucket, Key=self._key(key), Range=f"bytes=0-{first_len - 1}"
                )
            except Exception as exc:
                if getattr(exc, "response", {}).get("Error", {}).get("Code") == "InvalidRange":  # empty object
                    return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
                raise
            total = _total_size(response)
            first = response["Body"].read()
        except Exception as exc:
            raise self._fail(exc, key) from exc
        if total is None or total <= len(first):
            return first
        buffer = bytearray(total)
        view = memoryview(buffer)
        view[: len(first)] = first
        del first
        starts = range(first_len, total, self.multipart_chunksize)

        def fetch(start: int) -> None:
            end = min(start + self.multipart_chunksize, total)
            for attempt in range(_READ_ATTEMPTS):
                try:
                    body = self.client.get_object(
                        Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end - 1}"
                    )["Body"]
                    pos = start
                    while pos < end:
                        chunk = body.read(min(MB, end - pos))
                        if not chunk:
                            raise IOError(f"short read at byte {pos} of {self._where(key)}")
                        view[pos : pos + len(chunk)] = chunk
                        pos += len(chunk)
                    return
                except Exception as exc:
                    if attempt == _READ_ATTEMPTS - 1 or getattr(exc, "response", None):
                        raise self._fail(exc, key) from exc

        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            for future in [pool.submit(fetch, s) for s in starts]:
                future.result()
        view.release()
        return buffer

    def get_file(self, key: str, path: str) -> None:
        self._transfer(key, lambda manager, full: manager.download(self.bucket, full, path))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except Exception as exc:
            error = self._fail(exc, key)
            if isinstance(error, NotFoundError):
                return False
            raise error from exc

    def list(self, prefix: str) -> Iterator[str]:
        full = self._key(prefix)
        cut = len(self.prefix)
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", ()):
                    yield item["Key"][cut:]
        except Exception as exc:
            raise self._fail(exc, prefix) from exc


def _total_size(response: Any) -> Optional[int]:
    match = _RANGE_TOTAL.search(response.get("ContentRange") or "")
    if match:
        return int(match.group(1))
    length = response.get("ContentLength")
    return int(length) if length is not None else None
