"""Reading large local blob files quickly: reads split across threads, hashing through a map.

Why: loading a 200 MB ``bytes`` artifact is one ``readinto`` into a fresh object; most
of its cost is the kernel faulting in that object's new pages, which one thread does
one page at a time. ``os.preadv`` releases the GIL, so the same read split in parts
runs on every core. Checking a blob's hash must not read the file a second time
through a copy either: it is hashed through a memory map, one window at a time, so at
most one window of it counts in the process's resident memory.
"""
from __future__ import annotations

import io
import mmap
import os
import threading
from typing import Any, Callable, List

PARALLEL_READ_BYTES = 32 * 2**20  # smaller reads are one call
HASH_WINDOW = 16 * 2**20  # a file is hashed through a map of this many bytes at a time
_READ_BUFFER = 2**20


def _parts() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


class _ParallelFile(io.RawIOBase):
    """A read-only raw file over ``fd`` from ``offset``: a large ``readinto`` is split across threads."""

    def __init__(self, fd: int, offset: int) -> None:
        super().__init__()
        self._fd = fd
        self._pos = offset

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        with memoryview(buf) as whole, whole.cast("B") as view:
            parts = _parts() if len(view) >= PARALLEL_READ_BYTES else 1
            step = -(-len(view) // parts)
            got = [0] * parts

            def read(i: int) -> None:
                start, end = i * step, min(len(view), (i + 1) * step)
                with view[start:end] as piece:
                    while got[i] < len(piece):
                        with piece[got[i]:] as rest:
                            n = os.preadv(self._fd, [rest], self._pos + start + got[i])
                        if not n:
                            break
                        got[i] += n

            run_parallel(read, parts)
            total = 0
            for i, n in enumerate(got):  # bytes valid from the start: up to the first short part
                total += n
                if n < min(step, len(view) - i * step):
                    break
            self._pos += total
            return total


def run_parallel(work: Callable[[int], Any], count: int, name: str = "sfncompile-read") -> None:
    """``work(0)`` here and ``work(1..count-1)`` in threads; the first error is raised after all end."""
    errors: List[BaseException] = []

    def guarded(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,), name=name, daemon=True) for i in range(1, count)]
    for thread in threads:
        thread.start()
    guarded(0)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def reader(fh: Any) -> Any:
    """A buffered file object reading ``fh`` (an open binary file) from its position, large reads
    split across threads; ``fh`` itself where ``os.preadv`` does not exist."""
    if not hasattr(os, "preadv"):
        return fh
    return io.BufferedReader(_ParallelFile(fh.fileno(), fh.tell()), _READ_BUFFER)


def digest_in_background(fd: int, hasher: Any, offset: int = 0) -> Callable[[], Any]:
    """Start hashing the open file ``fd`` from ``offset`` in a thread (the very file being read,
    even if its path is replaced meanwhile); returns a function that waits for it and gives
    the ``hasher`` (or raises what hashing raised). ``fd`` must stay open until then."""
    result: List[Any] = []

    def run() -> None:
        try:
            size = os.fstat(fd).st_size
            for start in range(0, size, HASH_WINDOW):
                with mmap.mmap(fd, min(HASH_WINDOW, size - start), offset=start,
                               access=mmap.ACCESS_READ) as window, memoryview(window) as view:
                    with view[max(0, offset - start):] as part:
                        hasher.update(part)
            result.append(hasher)
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run, name="sfncompile-verify", daemon=True)
    thread.start()

    def wait() -> Any:
        thread.join()
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]

    return wait
