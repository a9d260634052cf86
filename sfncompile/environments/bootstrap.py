"""In the container: build the task's environment from S3-cached wheels, then re-execute under it.

``sfncompile task ... --environment ID`` (the deployed command of a step with an
environment) reads ``envs/ID/wheels.json`` and the lock from the datastore, fetches
missing wheels into the local cache, builds the venv with
``uv pip install --offline --no-index --find-links`` (no package index is contacted:
production VPCs often have none) and ``exec``s the same task command with the
environment's interpreter. ``SFNCOMPILE_IN_ENVIRONMENT`` marks the second process.
The wheels are fetched (in parallel) while ``uv venv`` creates the virtualenv, and are
not hashed here: the lock carries their hashes and uv checks them as it installs.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Sequence

from ..exceptions import EnvironmentSpecError
from ..storage import keys
from .interpreters import host_python
from .lock import IMAGE, Lock, Target
from .paths import wheels_dir
from .spec import EnvSpec
from .venv import build, env_python

IN_ENVIRONMENT = "SFNCOMPILE_IN_ENVIRONMENT"
FIND_LINKS = "files"


def running_in(env_id: str) -> bool:
    return os.environ.get(IN_ENVIRONMENT) == env_id


def _fetch(objects: Any, wheels: List[dict]) -> str:
    directory = os.path.join(wheels_dir(), FIND_LINKS)
    os.makedirs(directory, exist_ok=True)

    def get(wheel: dict) -> None:
        path = os.path.join(directory, wheel["filename"])
        if os.path.exists(path):
            return
        tmp = f"{path}.{os.getpid()}.part"
        objects.get_file(keys.wheel_key(wheel["sha256"], wheel["filename"]), tmp)
        os.replace(tmp, path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(get, wheels))
    return directory


def prepare(objects: Any, env_id: str, say: Callable[[str], None]) -> str:
    """The interpreter of environment ``env_id``, built from the datastore's wheels if not cached here."""
    try:
        manifest = json.loads(objects.get_bytes(keys.env_manifest_key(env_id)))
        text = objects.get_bytes(keys.env_lock_key(env_id)).decode("utf-8")
    except Exception as exc:  # a missing key (never deployed) or no access
        raise EnvironmentSpecError(
            f"environment {env_id[:12]} is not in the datastore ({type(exc).__name__}: {exc})",
            fix="redeploy the flow (`sfncompile deploy flow.py`): deploy uploads each environment's wheels",
        ) from None
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != env_id:
        raise EnvironmentSpecError(f"environment {env_id[:12]}: the stored lock does not match its id")
    lock = Lock(Target(IMAGE, host_python(), None, True), EnvSpec((), None), text)
    install = ["install", "--offline", "--no-index", "--find-links", os.path.join(wheels_dir(), FIND_LINKS)]
    # The wheels download while `uv venv` runs; uv checks each wheel against the lock's hashes.
    return env_python(build(lock, sys.executable, install, say, "this task",
                            meanwhile=lambda: _fetch(objects, manifest["wheels"])))


def reexec(python: str, env_id: str, argv: Sequence[str]) -> None:
    """Replace this process with ``python -m sfncompile ARGV`` inside the environment."""
    sys.stdout.flush()
    sys.stderr.flush()
    env = dict(os.environ)
    env[IN_ENVIRONMENT] = env_id
    os.execve(python, [python, "-m", "sfncompile", *argv], env)
