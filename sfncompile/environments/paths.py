"""Where environments live on this machine: ``$SFNCOMPILE_CACHE_DIR`` or ``~/.cache/sfncompile``."""
from __future__ import annotations

import os


def cache_dir() -> str:
    explicit = os.environ.get("SFNCOMPILE_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sfncompile")


def envs_dir() -> str:
    """Built virtual environments, one directory per environment id."""
    return os.path.join(cache_dir(), "envs")


def locks_dir() -> str:
    """Resolved locks, keyed by the resolver's input (so a cached lock skips uv entirely)."""
    return os.path.join(cache_dir(), "locks")


def wheels_dir() -> str:
    """Wheels downloaded for deploys and container bootstraps, named by their sha256."""
    return os.path.join(cache_dir(), "wheels")


def write_atomic(path: str, text: str) -> None:
    """Readers never see a half-written file (locks and markers are read without a lock)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
