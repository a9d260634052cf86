"""ObjectStore on a local directory: atomic writes by rename (write-once by hard link), zero-copy reads by path."""
from __future__ import annotations

import os
import shutil
from typing import Iterator, Optional

from ..exceptions import NotFoundError, StorageError
from . import tempfiles
from .interfaces import ObjectStore

TMP_SUFFIX = tempfiles.SUFFIX  # staging files; never listed, never read
TMP_DIR = ".tmp"  # <root>/.tmp: every staging file (same filesystem as the objects, so renames publish them)


class LocalObjectStore(ObjectStore):
    """Objects as files under ``root``; the key ``a/b/c`` is the file ``root/a/b/c``.

    A write goes to a temporary file in the target directory, then ``os.replace``
    publishes it: readers see the whole object or nothing, even if the writer is
    killed. ``fsync=True`` also survives power loss (costs ~ms per write on most disks).
    """

    def __init__(self, root: str, *, fsync: bool = False) -> None:
        self.root = os.path.abspath(os.path.expanduser(root))
        self.url = f"local:{self.root}"
        self._base = os.path.join(self.root, "")
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"LocalObjectStore({self.root!r})"

    # -- paths -----------------------------------------------------------------------------
    def _path(self, key: str) -> str:
        parts = key.split("/")
        if "" in parts or "." in parts or ".." in parts or "\\" in key:
            raise StorageError(f"invalid object key {key!r}")
        return self._base + (key if os.sep == "/" else key.replace("/", os.sep))

    def local_path(self, key: str) -> Optional[str]:
        return self._path(key)

    def temp_dir(self) -> Optional[str]:
        path = os.path.join(self.root, TMP_DIR)
        os.makedirs(path, exist_ok=True)
        return path

    # -- writes ----------------------------------------------------------------------------
    def _stage(self, key: str, data: bytes) -> str:
        """Write ``data`` to a new staging file; returns its path (removed again if the write fails)."""
        fd, tmp = tempfiles.open_new(os.path.join(self.root, TMP_DIR), key.rsplit("/", 1)[-1])
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink(tmp)
            raise
        os.close(fd)
        return tmp

    def _stage_copy(self, key: str, path: str) -> str:
        """A staging file with the content of ``path``: a hard link when on the same filesystem."""
        fd, tmp = tempfiles.open_new(os.path.join(self.root, TMP_DIR), key.rsplit("/", 1)[-1])
        os.close(fd)
        try:
            os.unlink(tmp)
            os.link(path, tmp)
        except OSError:
            try:
                shutil.copyfile(path, tmp)
                if self.fsync:
                    with open(tmp, "rb+") as fh:
                        os.fsync(fh.fileno())
            except BaseException:
                _unlink(tmp)
                raise
        return tmp

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        self._publish(self._stage(key, data), path)

    def put_file(self, key: str, path: str) -> None:
        """Publish a copy of ``path`` under ``key``: a hard link when on the same filesystem."""
        target = self._path(key)
        self._publish(self._stage_copy(key, path), target)

    def create(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        return self._publish_once(self._stage(key, data), path)

    def create_file(self, key: str, path: str) -> bool:
        target = self._path(key)
        return self._publish_once(self._stage_copy(key, path), target)

    def _publish(self, tmp: str, path: str) -> None:
        """Rename the staged file into place (replacing what is there)."""
        try:
            _into_place(os.replace, tmp, path)
        except BaseException:
            _unlink(tmp)
            raise
        if self.fsync:
            _fsync_dir(os.path.dirname(path))

    def _publish_once(self, tmp: str, path: str) -> bool:
        """Link the staged file in place unless ``path`` exists (atomic: link never replaces)."""
        try:
            _into_place(os.link, tmp, path)
        except FileExistsError:
            return False
        finally:
            _unlink(tmp)
        if self.fsync:
            _fsync_dir(os.path.dirname(path))
        return True

    def sweep_temp(self) -> int:
        """Remove staging files left by writers that were killed; returns how many."""
        return tempfiles.sweep(os.path.join(self.root, TMP_DIR))

    def delete(self, key: str) -> None:
        _unlink(self._path(key))

    # -- reads -----------------------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb", buffering=0) as fh:
                return fh.read()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFoundError(f"{self.url}/{key} does not exist") from None
        except IsADirectoryError:
            raise NotFoundError(f"{self.url}/{key} is a directory, not an object") from None

    def get_file(self, key: str, path: str) -> None:
        source = self._path(key)
        if not os.path.isfile(source):
            raise NotFoundError(f"{self.url}/{key} does not exist")
        shutil.copyfile(source, path)

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))

    def list(self, prefix: str) -> Iterator[str]:
        """Keys starting with ``prefix``: a scandir walk of the prefix's directory only."""
        prefix = prefix.lstrip("/")
        head, _, partial = prefix.rpartition("/")
        base = os.path.join(self.root, *head.split("/")) if head else self.root
        lead = head + "/" if head else ""
        try:
            entries = list(os.scandir(base))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            name = entry.name
            if not name.startswith(partial) or name.endswith(TMP_SUFFIX):
                continue
            if not head and name == TMP_DIR:
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, lead + name + "/")
            else:
                yield lead + name


def _walk(directory: str, lead: str) -> Iterator[str]:
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.endswith(TMP_SUFFIX):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, lead + entry.name + "/")
        else:
            yield lead + entry.name


def _into_place(move, tmp: str, path: str) -> None:
    """``move(tmp, path)``, creating the target's directory the first time it is needed."""
    try:
        move(tmp, path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        move(tmp, path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
