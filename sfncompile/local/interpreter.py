"""Template processes started as a fresh interpreter (a step's package environment, or ``spawn``).

A step with an environment cannot be forked from the scheduler's interpreter: its
template (``template.py``) is ``<env python> -m sfncompile.local.interpreter FD
PARENT_PID``, a fresh interpreter in which sfncompile is importable through the
environment's overlay ``.pth`` (``environments/overlay.py``). It reads the task
handler from the control socket ``FD``, loads the flow once, and then forks one
task process per task like any template, so timeouts, Ctrl-C and kills treat
its tasks the same, and a task costs a fork, not an interpreter start.

``multiprocessing``'s own spawn cannot be pointed at another interpreter: it hands
the child the parent's ``sys.path``, which would hide the environment's packages.
The scheduler's own interpreter (start method ``spawn``) does get this ``sys.path``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict

MODULE = "sfncompile.local.interpreter"


def start_interpreter(python: str, fd: int, *, own: bool) -> subprocess.Popen:
    """Start a template in ``python`` on control socket ``fd`` (``own``: this very interpreter)."""
    return subprocess.Popen([python, "-m", MODULE, str(fd), str(os.getpid())], pass_fds=(fd,), env=_task_env(own))


def _task_env(own: bool) -> Dict[str, str]:
    """The run's environment; an environment's sfncompile comes from its overlay, not from PYTHONHOME."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    if own:  # the same interpreter: the same modules, wherever they were found
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


if __name__ == "__main__":
    from .template import serve_from_fd

    serve_from_fd(int(sys.argv[1]), int(sys.argv[2]))
