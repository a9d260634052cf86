"""The runtime image's build files, read from inside the installed package.

``Dockerfile``, ``requirements.txt`` (the image's pinned runtime dependencies) and
``entrypoint.sh`` ship in the wheel, so an image can be built from any installation
of sfncompile: ``assemble`` lays them out as the build context the Dockerfile expects
(the same layout as the repository: ``sfncompile/image/...`` and ``dist/*.whl``).
"""
from __future__ import annotations

import os
import shutil
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_FILES = ("Dockerfile", "requirements.txt", "entrypoint.sh")
CONTEXT_DIR = os.path.join("sfncompile", "image")  # where the Dockerfile's COPY lines find them


def _read(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as handle:
        return handle.read()


def dockerfile_text() -> str:
    return _read("Dockerfile")


def runtime_requirements() -> List[str]:
    """The image's exact pins (``name==version``): what a task's overlay of sfncompile brings."""
    return [line.strip() for line in _read("requirements.txt").splitlines() if line.strip() and not line.startswith("#")]


def assemble(directory: str, wheel: str) -> str:
    """Write the build context into ``directory`` (build files + the sfncompile wheel); returns the Dockerfile path."""
    target = os.path.join(directory, CONTEXT_DIR)
    os.makedirs(target, exist_ok=True)
    for name in BUILD_FILES:
        shutil.copy2(os.path.join(HERE, name), os.path.join(target, name))
    os.chmod(os.path.join(target, "entrypoint.sh"), 0o755)
    dist = os.path.join(directory, "dist")
    os.makedirs(dist, exist_ok=True)
    shutil.copy2(wheel, os.path.join(dist, os.path.basename(wheel)))
    return os.path.join(target, "Dockerfile")
