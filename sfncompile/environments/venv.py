"""Build an environment's virtualenv once, in the user cache, from its lock.

``<cache>/envs/<env id>/`` is created with ``uv venv`` and filled from the lock
(``uv pip sync`` locally; ``uv pip install --offline --no-index --find-links`` in the
container). A marker written last makes it usable; concurrent builders wait on a
file lock, so two runs never build the same environment twice.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence

from ..exceptions import EnvironmentSpecError
from .lock import Lock
from .overlay import link_overlay
from .paths import envs_dir, write_atomic
from .uvbin import run_uv, uv_reason

READY = ".sfncompile-ready"
LOCK_FILE = "sfncompile-lock.txt"


def env_path(env_id: str) -> str:
    return os.path.join(envs_dir(), env_id)


def env_python(env_dir: str) -> str:
    return os.path.join(env_dir, "bin", "python")


def is_built(env_id: str) -> bool:
    return os.path.exists(os.path.join(env_path(env_id), READY))


def build(lock: Lock, interpreter: str, install: Sequence[str], say: Callable[[str], None], what: str,
          meanwhile: Optional[Callable[[], Any]] = None) -> str:
    """The ready environment directory of ``lock`` (built now if needed; ``install``: uv's install arguments).

    ``meanwhile``: work the install needs (the container fetches its wheels), run in a
    thread while ``uv venv`` creates the virtualenv, and only when the environment is built."""
    env = env_path(lock.env_id)
    if os.path.exists(os.path.join(env, READY)):
        link_overlay(env, lock.target.overlay_deps)
        return env
    os.makedirs(envs_dir(), exist_ok=True)
    with open(env + ".lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(env, READY)):
            started = time.time()
            packages = lock.pins()
            say(f"building environment {lock.short_id} for {what}: {len(packages)} packages, Python {lock.target.python}")
            shutil.rmtree(env, ignore_errors=True)
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(meanwhile) if meanwhile is not None else None
                _run(["venv", "--quiet", "--python", interpreter, env], lock, "create the virtualenv")
                if pending is not None:
                    pending.result()
            lock_file = os.path.join(env, LOCK_FILE)
            write_atomic(lock_file, lock.text)
            _run(["pip", *install, "--quiet", "--python", env_python(env), "-r" if install[0] == "install" else "",
                  lock_file], lock, "install its packages")
            link_overlay(env, lock.target.overlay_deps)
            write_atomic(os.path.join(env, READY), lock.env_id + "\n")
            say(f"environment {lock.short_id} ready in {time.time() - started:.1f} s")
        else:
            link_overlay(env, lock.target.overlay_deps)
    return env


def _run(args: List[str], lock: Lock, doing: str) -> None:
    out = run_uv([a for a in args if a])
    if out.returncode != 0:
        raise EnvironmentSpecError(
            f"environment {lock.short_id}: cannot {doing}: {uv_reason(out.stderr)}",
            fix="run again with network access to the package index, or check the packages' names and versions",
        )
