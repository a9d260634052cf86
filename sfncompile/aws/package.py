"""Deterministic code packages: what the flow needs, as a reproducible tar.gz.

What goes in, from the flow file's directory (the package root):

* every Python source (``*.py``), outside tool and VCS folders;
* files matched by an explicit include list: ``deploy --include GLOB`` and the
  ``include`` patterns of ``.sfncompileignore`` (lines starting with ``!``);
* the data file each ``IncludeFile`` default names (relative to the flow's
  directory, where the start task reads it on AWS); a default that is missing, or
  outside the flow's directory, is rejected here instead of failing on Batch.

What never goes in: anything ``.sfncompileignore`` excludes (gitignore-like globs),
VCS folders, and secrets (``.env``, credentials, private keys) - an include pattern or
IncludeFile default that names one is an error. The whole package is capped at
:data:`MAX_PACKAGE_BYTES` uncompressed.

Same sources → same bytes → same sha256, so an unchanged flow is never uploaded
twice and a deployment can tell that nothing changed.
"""
from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

from ..exceptions import ConfigError

IGNORE_FILE = ".sfncompileignore"
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".sfncompile", ".pytest_cache",
             "cdk.out", ".mypy_cache", ".tox", ".aws", ".ssh"}
# Never packaged, whatever a pattern says: they hold credentials.
SECRETS = (".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
           "credentials", "*.credentials", ".netrc", ".pgpass", ".npmrc", ".pypirc", "*.kdbx")
MAX_PACKAGE_BYTES = 20 * 2**20


@dataclass(frozen=True)
class CodePackage:
    data: bytes
    sha256: str
    flow_file: str  # path of the flow file inside the package
    files: Tuple[str, ...]


def _posix(rel: str) -> str:
    return rel.replace(os.sep, "/")


def _matches(rel: str, patterns: Iterable[str]) -> bool:
    """gitignore-like: a pattern with ``/`` matches the path, one without matches any path component."""
    rel = _posix(rel)
    parts = rel.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatchcase(rel, pattern.lstrip("/")) or fnmatch.fnmatchcase(rel, pattern.lstrip("/") + "/*"):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def read_ignore_file(root: str) -> Tuple[List[str], List[str]]:
    """(exclude patterns, include patterns) of ``<root>/.sfncompileignore``; ``!pattern`` includes."""
    path = os.path.join(root, IGNORE_FILE)
    excludes: List[str] = []
    includes: List[str] = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                (includes if line.startswith("!") else excludes).append(line.lstrip("!"))
    return excludes, includes


def _walk(root: str) -> Iterable[str]:
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            yield os.path.relpath(os.path.join(directory, name), root)


def _secret(rel: str) -> bool:
    return _matches(rel, SECRETS)


def default_data_files(root: str, defaults: Sequence[Tuple[str, str]]) -> List[str]:
    """The package paths of IncludeFile defaults ((parameter, path) pairs), checked."""
    found = []
    for name, path in defaults:
        full = os.path.normpath(os.path.join(root, os.path.expanduser(path)))
        rel = os.path.relpath(full, root)
        if os.path.isabs(path) or rel.startswith(".."):
            raise ConfigError(
                f"IncludeFile '{name}' defaults to {path!r}, outside the flow's directory {root}: "
                "the deployed package cannot carry it",
                fix=f"move the file into {root} and name it relative to the flow file, or drop the default",
            )
        if not os.path.isfile(full):
            raise ConfigError(
                f"IncludeFile '{name}' defaults to {path!r}, which does not exist in {root}",
                fix="create the file (relative to the flow file's directory) or change the default",
            )
        if _secret(rel):
            raise ConfigError(f"IncludeFile '{name}' defaults to {path!r}, which looks like a secret; it is never packaged",
                              fix="rename the file if it holds no credentials")
        found.append(rel)
    return found


def select_files(root: str, include: Sequence[str] = (), data_files: Sequence[str] = ()) -> List[str]:
    """The package's files, relative to ``root``, sorted."""
    excludes, ignore_includes = read_ignore_file(root)
    wanted = list(include) + ignore_includes
    chosen = set(data_files)
    for rel in _walk(root):
        if _secret(rel):
            if wanted and _matches(rel, wanted):
                raise ConfigError(f"{rel} matches an include pattern but looks like a secret; it is never packaged",
                                  fix=f"narrow the pattern, or exclude it in {IGNORE_FILE}")
            continue
        if _matches(rel, wanted) or (rel.endswith(".py") and not _matches(rel, excludes)):
            chosen.add(rel)
    return sorted(chosen)


def _check_size(root: str, names: Sequence[str]) -> None:
    sizes = {rel: os.path.getsize(os.path.join(root, rel)) for rel in names}
    total = sum(sizes.values())
    if total > MAX_PACKAGE_BYTES:
        biggest = ", ".join(f"{rel} ({size / 2**20:.1f} MiB)" for rel, size in
                            sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
        raise ConfigError(
            f"the code package of {root} would be {total / 2**20:.1f} MiB, over the {MAX_PACKAGE_BYTES // 2**20} MiB "
            f"limit; largest: {biggest}",
            fix=f"exclude data in {IGNORE_FILE} and read it from S3 (or pass it as an IncludeFile parameter)",
        )


def build_package(flow_file: str, *, include: Sequence[str] = (),
                  file_defaults: Sequence[Tuple[str, str]] = ()) -> CodePackage:
    """Package what the flow needs from the flow file's directory, reproducibly.

    ``include``: extra glob patterns (``deploy --include``); ``file_defaults``:
    (parameter, default path) of the flow's IncludeFiles.
    """
    flow_file = os.path.abspath(flow_file)
    root = os.path.dirname(flow_file)
    names = select_files(root, include, default_data_files(root, file_defaults))
    flow_rel = os.path.relpath(flow_file, root)
    if flow_rel not in names:
        names = sorted(names + [flow_rel])
    _check_size(root, names)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in names:
            with open(os.path.join(root, rel), "rb") as fh:
                content = fh.read()
            info = tarfile.TarInfo(_posix(rel))
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
        flow_file=_posix(flow_rel),
        files=tuple(names),
    )


def package_flow(graph, include: Sequence[str] = ()) -> CodePackage:
    """The code package of a flow's graph: its file's directory plus its IncludeFile defaults."""
    file_defaults = [(p.name, p.default) for p in graph.parameters if p.type == "file" and p.default]
    return build_package(graph.file, include=include, file_defaults=file_defaults)


def upload_package(stores, datastore_url: str, flow: str, package: CodePackage) -> Tuple[str, bool]:
    """(code URL, uploaded?): the package is stored once under its sha256, so an unchanged flow uploads nothing."""
    code_key = stores.artifacts.code_key(flow, package.sha256)
    uploaded = not stores.objects.exists(code_key)
    if uploaded:
        stores.artifacts.put_code(flow, package.data)
    return f"{datastore_url.rstrip('/')}/{code_key}", uploaded
