"""Fetch and unpack a deployed flow's code package inside the Batch container.

The package is downloaded and verified (sha256) once per container: later tasks
in the same container reuse the unpacked copy.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
from typing import Mapping, Optional

from ..exceptions import ConfigError, IntegrityError

CACHE_DIR = os.path.join(os.environ.get("TMPDIR", "/tmp"), "sfncompile-code")


def extract_package(data: bytes, expected_sha256: str, destination: str) -> str:
    """Verify and unpack a package; an existing complete unpack is reused."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise IntegrityError(
            f"code package hash mismatch: expected {expected_sha256}, got {actual}",
            fix="redeploy the flow (`sfncompile deploy flow.py`)",
        )
    if os.path.exists(os.path.join(destination, ".complete")):
        return destination
    tmp = f"{destination}.tmp{os.getpid()}"
    os.makedirs(tmp, exist_ok=True)
    root = os.path.realpath(tmp)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join(tmp, member.name))
            if not target.startswith(root + os.sep) or not member.isfile():
                raise IntegrityError(f"code package contains an unsafe entry {member.name!r}")
        # Checked above; where tarfile has extraction filters, "data" applies too (no special mode
        # bits, nothing outside the directory): the default from Python 3.14 on.
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp, filter="data")
        else:  # pragma: no cover - an interpreter older than the filters
            tar.extractall(tmp)
    open(os.path.join(tmp, ".complete"), "w").close()
    try:
        os.replace(tmp, destination)
    except OSError:  # another task in this container unpacked it first
        shutil.rmtree(tmp, ignore_errors=True)
    return destination


def flow_file_from_package(artifacts, env: Mapping[str, str] = os.environ, cache_dir: Optional[str] = None) -> Optional[str]:
    """The flow file of the deployed code package named by the environment, or None if there is none."""
    url = env.get("SFNCOMPILE_CODE_URL")
    if not url:
        return None
    sha = env.get("SFNCOMPILE_CODE_SHA256")
    flow = env.get("SFNCOMPILE_FLOW")
    rel = env.get("SFNCOMPILE_FLOW_FILE")
    if not (sha and flow and rel):
        raise ConfigError(
            "SFNCOMPILE_CODE_URL is set but SFNCOMPILE_CODE_SHA256, SFNCOMPILE_FLOW or SFNCOMPILE_FLOW_FILE is not",
            fix="redeploy the flow: `sfncompile deploy` writes these into the job definition",
        )
    destination = os.path.join(cache_dir or CACHE_DIR, sha)
    if not os.path.exists(os.path.join(destination, ".complete")):
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        extract_package(artifacts.get_code(flow, sha), sha, destination)
    return os.path.join(destination, rel)
