"""Deterministic code packages: the flow's directory as a reproducible tar.gz.

Same sources → same bytes → same sha256, so an unchanged flow is never uploaded
twice and a deployment can tell that nothing changed.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from typing import Iterable, List, Tuple

SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".sfncompile", ".pytest_cache", "cdk.out", ".mypy_cache"}
INCLUDE_SUFFIXES = (".py", ".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".sql", ".csv")
MAX_FILE_BYTES = 10 * 2**20


@dataclass(frozen=True)
class CodePackage:
    data: bytes
    sha256: str
    flow_file: str  # path of the flow file inside the package
    files: Tuple[str, ...]


def _files(root: str) -> Iterable[str]:
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(names):
            path = os.path.join(directory, name)
            if name.endswith(INCLUDE_SUFFIXES) and os.path.getsize(path) <= MAX_FILE_BYTES:
                yield os.path.relpath(path, root)


def build_package(flow_file: str) -> CodePackage:
    """Package the flow file's directory (sources and small data files), reproducibly."""
    flow_file = os.path.abspath(flow_file)
    root = os.path.dirname(flow_file)
    names: List[str] = sorted(_files(root))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in names:
            with open(os.path.join(root, rel), "rb") as fh:
                content = fh.read()
            info = tarfile.TarInfo(rel.replace(os.sep, "/"))
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    data = compressed.getvalue()
    return CodePackage(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        flow_file=os.path.relpath(flow_file, root).replace(os.sep, "/"),
        files=tuple(names),
    )
