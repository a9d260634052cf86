"""sfncompile inside an environment without installing it there.

An environment's lock holds the user's packages only; sfncompile and its own
dependencies come from the installation running sfncompile (this machine's, or the
runtime image's), through a ``.pth`` file naming an *overlay* directory of symlinks
to exactly those packages. The .pth entry comes after the venv's site-packages, so the
environment's own packages win, and the resolver pins sfncompile's dependencies to the
versions installed here (``pins()``), so both agree. Nothing is downloaded for them.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

if TYPE_CHECKING:
    from importlib import metadata

from .paths import cache_dir, write_atomic

PTH_NAME = "_sfncompile_overlay.pth"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _dist(name: str):
    from importlib import metadata

    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def _headers(dist: "metadata.Distribution") -> Tuple[str, str, List[str]]:
    """(Name, Version, Requires-Dist lines) read from the METADATA headers only.

    ``dist.metadata`` parses the whole file with the email parser, which costs most of
    a cached ``check``; the headers we need come before the first blank line.
    """
    name = version = ""
    requires: List[str] = []
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.strip()
        elif key == "Version":
            version = value.strip()
        elif key == "Requires-Dist":
            requires.append(value.strip())
    return name, version, requires


@functools.lru_cache(maxsize=1)
def _closure() -> Tuple[Tuple[str, str, "metadata.Distribution"], ...]:
    seen: Dict[str, Tuple[str, str, "metadata.Distribution"]] = {}
    todo = ["sfncompile"]
    while todo:
        dist = _dist(todo.pop())
        if dist is None:
            continue  # a marker excluded it here (e.g. a backport for older Pythons)
        name, version, requires = _headers(dist)
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen[key] = (name, version, dist)
        todo.extend(m.group(1) for m in map(_NAME.match, requires) if m and "extra ==" not in
                    m.string.replace("extra==", "extra =="))
    seen.pop("sfncompile", None)
    return tuple(seen[k] for k in sorted(seen))


def closure() -> List["metadata.Distribution"]:
    """sfncompile's runtime dependencies, recursively, as installed here (extras skipped)."""
    return [dist for _, _, dist in _closure()]


def pins() -> List[str]:
    """``name==version`` of every installed dependency of sfncompile (resolver constraints)."""
    return [f"{name}=={version}" for name, version, _ in _closure()]


def direct_requirements() -> List[str]:
    """sfncompile's declared runtime requirements (for an environment on another Python)."""
    dist = _dist("sfncompile")
    requires = _headers(dist)[2] if dist is not None else []
    return sorted(r.split(";", 1)[0].strip() for r in requires if "extra" not in r)


def _fingerprint() -> str:
    """Changes when packages are installed or removed here (site-packages directories change)."""
    parts = [sys.executable, sys.version, _package_dir()]
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                parts.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
            except OSError:
                continue
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


@functools.lru_cache(maxsize=1)
def installation() -> Dict[str, Any]:
    """What the resolver needs to know of this installation: {"pins", "direct", "uv"}.

    Cached on disk per installation state, so a ``check`` whose locks are cached does
    not read package metadata at all (that alone costs more than the whole check).
    """
    path = os.path.join(cache_dir(), "installations", _fingerprint() + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        pass
    uv = next((version for name, version, _ in _closure() if name.lower() == "uv"), "")
    facts = {"pins": pins(), "direct": direct_requirements(), "uv": uv}
    write_atomic(path, json.dumps(facts))
    return facts


def _package_dir() -> str:
    import sfncompile

    return os.path.dirname(os.path.abspath(sfncompile.__file__))


def _top_level(dist: "metadata.Distribution") -> List[str]:
    """Absolute paths of what a distribution puts at the top of site-packages (packages, modules, dist-info)."""
    out = set()
    for file in dist.files or []:
        parts = file.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(".pth"):
            continue
        out.add(str(dist.locate_file(parts[0])))
    return sorted(p for p in out if os.path.exists(p))


def overlay_dir(with_dependencies: bool) -> str:
    """The overlay for this installation (built once): sfncompile, and its dependencies when asked."""
    links: List[Tuple[str, str]] = [("sfncompile", _package_dir())]
    if with_dependencies:
        for dist in closure():
            links.extend((os.path.basename(p), p) for p in _top_level(dist))
    key = hashlib.sha256(json.dumps(sorted(links)).encode()).hexdigest()[:16]
    target = os.path.join(cache_dir(), "overlays", key)
    if os.path.isdir(target):
        return target
    tmp = f"{target}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, path in links:
        link = os.path.join(tmp, name)
        if not os.path.lexists(link):
            os.symlink(path, link)
    try:
        os.rename(tmp, target)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def site_packages(env_dir: str) -> str:
    lib = os.path.join(env_dir, "lib")
    found = [d for d in os.listdir(lib) if d.startswith("python")]
    return os.path.join(lib, found[0], "site-packages")


def link_overlay(env_dir: str, with_dependencies: bool) -> None:
    """Point the environment's .pth at this installation's overlay (rewritten only when it moved)."""
    path = os.path.join(site_packages(env_dir), PTH_NAME)
    wanted = overlay_dir(with_dependencies) + "\n"
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == wanted:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(wanted)
