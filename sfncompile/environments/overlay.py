"""sfncompile inside an environment without installing it there.

An environment's lock holds the user's packages only; sfncompile and its own
dependencies come from the installation running sfncompile (this machine's, or the
runtime image's), through a ``.pth`` file naming an *overlay* directory of symlinks
to exactly those packages. The .pth entry comes after the venv's site-packages, so the
environment's own packages win, and the resolver pins sfncompile's dependencies to the
versions installed here (``pins()``), so both agree. Nothing is downloaded for them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from importlib import metadata
from typing import Dict, List, Tuple

from .paths import cache_dir

PTH_NAME = "_sfncompile_overlay.pth"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _dist(name: str):
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def closure() -> List[metadata.Distribution]:
    """sfncompile's runtime dependencies, recursively, as installed here (extras skipped)."""
    seen: Dict[str, metadata.Distribution] = {}
    todo = ["sfncompile"]
    while todo:
        name = todo.pop()
        dist = _dist(name)
        if dist is None:
            continue  # a marker excluded it here (e.g. a backport for older Pythons)
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen[key] = dist
        for req in dist.requires or []:
            if "extra ==" in req.replace("extra==", "extra =="):
                continue
            match = _NAME.match(req)
            if match:
                todo.append(match.group(1))
    seen.pop("sfncompile", None)
    return [seen[k] for k in sorted(seen)]


def pins() -> List[str]:
    """``name==version`` of every installed dependency of sfncompile (resolver constraints)."""
    return [f"{d.metadata['Name']}=={d.version}" for d in closure()]


def direct_requirements() -> List[str]:
    """sfncompile's declared runtime requirements (for an environment on another Python)."""
    return sorted(r.split(";", 1)[0].strip() for r in (_dist("sfncompile").requires or []) if "extra" not in r)


def _package_dir() -> str:
    import sfncompile

    return os.path.dirname(os.path.abspath(sfncompile.__file__))


def _top_level(dist: metadata.Distribution) -> List[str]:
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
