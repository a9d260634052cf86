"""Which Python an environment gets: ``python=`` must name an interpreter that exists.

Locally that is any ``pythonX.Y`` on PATH (or the one running sfncompile); on Batch it
is the runtime image's Python, read from the Dockerfile shipped inside sfncompile
(or the config's ``image_python`` for a custom image).
"""
from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from typing import Any, Mapping, Optional, Tuple

from ..exceptions import EnvironmentSpecError

PLATFORMS = {"x86_64": "x86_64-manylinux_2_28", "arm64": "aarch64-manylinux_2_28"}


def host_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def local_interpreter(version: Optional[str], where: str) -> str:
    """Path of a working interpreter for ``version`` on this machine (None: the one running sfncompile)."""
    if version is None or version == host_python():
        return sys.executable
    found, broken = _find_on_path(version, os.environ.get("PATH", ""))
    if found is None:
        seen = f" ({broken[0]} is there but does not run: {broken[1]})" if broken else ""
        raise EnvironmentSpecError(
            f"{where}: python={version!r} but there is no working python{version} on PATH{seen}; "
            f"this is Python {host_python()}",
            fix=f"install or enable Python {version} (e.g. `uv python install {version}`, `pyenv global "
                f"{host_python()} {version}`) or drop python=",
        )
    return found


@functools.lru_cache(maxsize=None)
def _find_on_path(version: str, path: str) -> Tuple[Optional[str], Optional[Tuple[str, str]]]:
    """(first ``pythonX.Y`` on ``path`` that runs and is that version, the first one that did not run)."""
    broken = None
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory, f"python{version}")
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            continue
        try:
            out = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            broken = broken or (candidate, str(exc))
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate, None
        reason = (out.stderr.strip().splitlines() or [f"exit code {out.returncode}"])[0]
        broken = broken or (candidate, reason)
    return None, broken


@functools.lru_cache(maxsize=1)
def _dockerfile_python() -> str:
    from ..image.context import dockerfile_text

    match = re.search(r"^ARG PYTHON_VERSION=(\d+)\.(\d+)", dockerfile_text(), re.M)
    if match is None:  # pragma: no cover - the shipped Dockerfile always pins it
        raise EnvironmentSpecError("the runtime Dockerfile pins no PYTHON_VERSION")
    return f"{match.group(1)}.{match.group(2)}"


def image_python(config: Optional[Mapping[str, Any]] = None) -> str:
    """major.minor of the runtime image's Python."""
    return str((config or {}).get("image_python") or _dockerfile_python())


def image_platform(config: Optional[Mapping[str, Any]] = None) -> str:
    """uv's --python-platform for the stage's Batch hosts (``architecture``: x86_64 or arm64)."""
    arch = str((config or {}).get("architecture") or "x86_64")
    if arch not in PLATFORMS:
        raise EnvironmentSpecError(
            f"config architecture {arch!r} is not supported", fix=f"use one of {', '.join(PLATFORMS)}"
        )
    return PLATFORMS[arch]


def check_image_python(version: Optional[str], image: str, where: str) -> str:
    if version is not None and version != image:
        raise EnvironmentSpecError(
            f"{where}: python={version!r} but the runtime image runs Python {image}, so it cannot run on Batch",
            fix=f"use python='{image}' (or drop python=), or build an image with that Python and set image_python",
        )
    return image
