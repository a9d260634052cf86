"""``sfncompile image build|push``: the runtime image from the installed sfncompile, no clone needed.

The wheel the Dockerfile installs is packed from this installation (its package
files and metadata), the build files come from the package itself (``context.py``),
and Docker builds the result. Without Docker, one line says so.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from importlib import metadata
from typing import Any, Callable, List, Mapping, Optional, Sequence

from ..exceptions import ConfigError
from .context import HERE, assemble

DEFAULT_TAG = "sfncompile-runtime"
PLATFORMS = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}


def _record_line(name: str, data: bytes) -> List[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def pack_installed_wheel(directory: str) -> str:
    """Write a wheel of the installed sfncompile into ``directory``; returns its path."""
    dist = metadata.distribution("sfncompile")
    version = dist.version
    info = f"sfncompile-{version}.dist-info"
    package = os.path.dirname(HERE)
    files = {}
    for root, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            arcname = "sfncompile/" + os.path.relpath(path, package).replace(os.sep, "/")
            with open(path, "rb") as handle:
                files[arcname] = handle.read()
    meta = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or f"Metadata-Version: 2.1\nName: sfncompile\nVersion: {version}\n"
    files[f"{info}/METADATA"] = meta.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: sfncompile image build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files.items():
        writer.writerow(_record_line(name, data))
    writer.writerow([f"{info}/RECORD", "", ""])
    path = os.path.join(directory, f"sfncompile-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(f"{info}/RECORD", record.getvalue())
    return path


def docker() -> str:
    found = shutil.which("docker")
    if found is None:
        raise ConfigError(
            "Docker is not installed here (no `docker` on PATH): building the runtime image needs a Docker engine",
            fix="install Docker (https://docs.docker.com/get-docker/) and run the command again",
        )
    return found


def _run(args: Sequence[str], say: Callable[[str], None], stdin: Optional[str] = None) -> None:
    say("$ " + " ".join(a for a in args))
    result = subprocess.run(list(args), input=stdin, text=True)
    if result.returncode != 0:
        raise ConfigError(f"`{' '.join(args[:2])}` failed with exit code {result.returncode}",
                          fix="see Docker's output above")


def build_image(tag: str, architecture: str, workdir: str, say: Callable[[str], None]) -> str:
    """Build the runtime image as ``tag`` from this installation; returns the tag."""
    binary = docker()
    if architecture not in PLATFORMS:
        raise ConfigError(f"architecture {architecture!r} is not supported", fix=f"use one of {', '.join(PLATFORMS)}")
    packed, context = os.path.join(workdir, "wheel"), os.path.join(workdir, "context")
    os.makedirs(packed)
    dockerfile = assemble(context, pack_installed_wheel(packed))  # the context holds only what the Dockerfile copies
    _run([binary, "build", "--platform", PLATFORMS[architecture], "-f", dockerfile, "-t", tag, context], say)
    return tag


def push_image(ecr: Any, config: Mapping[str, Any], tag: str, say: Callable[[str], None]) -> str:
    """Log Docker in to the stage's ECR registry and push ``tag``."""
    binary = docker()
    token = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    _run([binary, "login", "--username", user, "--password-stdin", token["proxyEndpoint"]], say, stdin=password)
    _run([binary, "push", tag], say)
    return tag
