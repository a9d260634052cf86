"""Staging files named after their writer, so files of a killed writer can be found and removed.

Every staging file (a local object before its atomic rename, a large pickle spooled
before upload) is created by :func:`open_new` in one staging directory, named
``<pid>.<n>.<host>.<label>.sfntmp``. A writer killed mid-write (``kill -9``, a
timed-out task, a full disk) leaves its file behind; :func:`sweep` removes the
files whose writer, on this host, is no longer running. The local scheduler sweeps
when a run starts and when it ends.
"""
from __future__ import annotations

import functools
import itertools
import os
import re
import tempfile
from typing import Tuple

SUFFIX = ".sfntmp"
_counter = itertools.count()  # next() is atomic under the GIL: unique names across threads
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@functools.lru_cache(maxsize=1)
def _host() -> str:
    try:
        return re.sub(r"[^A-Za-z0-9-]", "_", os.uname().nodename) or "_"
    except Exception:  # pragma: no cover - no uname
        return "_"


def open_new(directory: str, label: str = "") -> Tuple[int, str]:
    """A new staging file in ``directory`` (created if needed): (fd, path)."""
    name = f"{os.getpid()}.{next(_counter)}.{_host()}.{label[-80:]}{SUFFIX}"
    path = os.path.join(directory, name)
    try:
        return os.open(path, _FLAGS, 0o644), path
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
        return os.open(path, _FLAGS, 0o644), path


def spool_dir() -> str:
    """Where stores without a staging area of their own (S3) spool large pickles."""
    return os.path.join(tempfile.gettempdir(), "sfncompile-spool")


def process_alive(pid: int) -> bool:
    """True if ``pid`` runs on this host (a zombie, killed but not yet reaped, is not alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _writer_gone(name: str) -> bool:
    pid, _, rest = name.partition(".")
    _, _, rest = rest.partition(".")
    host, _, _ = rest.partition(".")
    if not pid.isdigit() or host != _host():
        return False  # not ours to judge (another host's writer, or not a staging file)
    return not process_alive(int(pid))


def sweep(directory: str) -> int:
    """Remove staging files in ``directory`` whose writer is gone; returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for entry in entries:
        if entry.name.endswith(SUFFIX) and _writer_gone(entry.name):
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed
