"""Task processes started from another Python interpreter (a step's package environment).

A step with an environment cannot be forked from the scheduler's interpreter: its
task process is ``<env python> -m sfncompile.local.interpreter FD PARENT_PID``, a
fresh interpreter in which sfncompile is importable through the environment's
overlay ``.pth`` (``environments/overlay.py``). It is the pool's ``spawn`` path with
another executable: the pool sends the task handler over the pipe ``FD`` first,
then the process behaves exactly like any task process (``pool._task_main``: own
process group, FD capture, one task, then it ends), so timeouts, Ctrl-C and kills
treat it the same.

``multiprocessing``'s own spawn cannot be pointed at another interpreter: it hands
the child the parent's ``sys.path``, which would hide the environment's packages.
"""
from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Connection, Pipe
from typing import Any, Dict, Optional

MODULE = "sfncompile.local.interpreter"


class InterpreterProcess:
    """A task process of another interpreter, with the parts of ``multiprocessing.Process`` the pool uses."""

    def __init__(self, python: str, handler: Any) -> None:
        self.python = python
        self.handler = handler
        self._popen: Optional[subprocess.Popen] = None

    def start_with_pipe(self) -> Connection:
        """Start the interpreter; return the pool's end of its pipe (the handler is already sent)."""
        parent_end, child_end = Pipe(duplex=True)
        fd = child_end.fileno()
        self._popen = subprocess.Popen(
            [self.python, "-m", MODULE, str(fd), str(os.getpid())],
            pass_fds=(fd,),
            env=_task_env(),
        )
        child_end.close()
        parent_end.send(self.handler)
        return parent_end

    @property
    def pid(self) -> int:
        assert self._popen is not None, "the process was not started"
        return self._popen.pid

    @property
    def exitcode(self) -> Optional[int]:
        """None while it runs; negative signal number if a signal ended it (as ``multiprocessing``)."""
        return self._popen.poll() if self._popen is not None else None

    def join(self, timeout: Optional[float] = None) -> None:
        if self._popen is None:
            return
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


def _task_env() -> Dict[str, str]:
    """The run's environment; sfncompile comes from the environment's overlay, not from PYTHONHOME."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    return env


def main(fd: int, parent_pid: int) -> None:
    from .pool import _task_main

    conn = Connection(fd)
    try:
        handler = conn.recv()
    except (EOFError, OSError):  # the scheduler died before it sent the handler
        return
    _task_main(conn, handler, parent_pid)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
