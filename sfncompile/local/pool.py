"""Task processes: every task runs in a process of its own, in a process group of its own.

Why one process per task: a task must start clean. A reused worker would show the
next step the previous one's ``os.chdir``, environment variables and module
globals. With the ``fork`` start method (the Linux default) a task's process is a
fresh fork of the scheduler, which imported the flow and built its graph once and
never runs user code: the template stays clean and a task still costs no
interpreter start and no import. With ``spawn`` (the macOS default, or
``SFNCOMPILE_START_METHOD=spawn``) each task is a fresh interpreter that loads the
flow itself: slower, clean by construction. A step with a package environment
always takes that spawn path with its environment's interpreter (``interpreter.py``).

Why it stays cheap: processes are started ahead of need. A few *spare* processes
(``SPARES``) are forked while tasks run, each one prepares itself (opens its store
connections) and then waits; a task is handed to a spare over a pipe, and a new
spare is started in its place. A spare runs exactly one task and then ends, so the
cost of a fork is off the task's path, and no process ever runs two tasks.

Why a process group per task: a step's subprocesses (``subprocess.Popen``,
``os.system("... &")``) must never outlive it. The task's process leads its own
group; when the task ends (result received, timeout, Ctrl-C, failure) the whole
group is killed, and a task whose scheduler dies (``kill -9``) kills its group too
(the parent-death signal is SIGTERM, whose handler kills the group). Being a
separate group also keeps the terminal's Ctrl-C away from tasks: the scheduler
alone decides what a signal means.
"""
from __future__ import annotations

import multiprocessing
import os
from contextlib import contextmanager
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .interpreter import InterpreterProcess

START_METHODS = ("fork", "spawn")
START_METHOD_ENV = "SFNCOMPILE_START_METHOD"


def start_method() -> str:
    """``$SFNCOMPILE_START_METHOD`` if set, else the platform's multiprocessing default (fork on Linux)."""
    from ..exceptions import ConfigError

    method = os.environ.get(START_METHOD_ENV, "").strip().lower()
    if not method:
        default = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method()
        return "fork" if default == "fork" else "spawn"
    if method not in START_METHODS:
        raise ConfigError(
            f"{START_METHOD_ENV}={method!r} is not a start method sfncompile supports",
            fix=f"use one of: {', '.join(START_METHODS)}",
        )
    return method


SPARES = 2  # processes kept ready (forked, stores opened) for the next tasks
# Signals that stop a run: held while the pool's bookkeeping changes, so a Ctrl-C can never leave a
# process started but unrecorded (it would wait for a task for ever, and keep the interpreter alive).
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextmanager
def signals_held() -> Iterator[None]:
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no pthread_sigmask
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class TaskProcess:
    """One process: a spare waiting for its task, then that task running; its pipe and deadline."""

    __slots__ = ("process", "conn", "task", "started", "deadline")

    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.task: Any = None  # what the scheduler dispatched (opaque here)
        self.started = 0.0
        self.deadline: Optional[float] = None  # kill after this (timeout + grace)

    @property
    def pid(self) -> int:
        return int(self.process.pid)


class Pool:
    """Up to ``size`` tasks at a time, each in its own single-use process; ``handler(message)`` runs
    in it and its return value comes back. ``handler.warm()``, if defined, runs in a spare before
    its task arrives (load the flow, open stores).

    ``handler`` must be picklable for the spawn method (a module-level function or an
    instance of a module-level class).
    """

    def __init__(self, size: int, handler: Callable[[Any], Any], method: Optional[str] = None) -> None:
        self.size = max(1, int(size))
        self.handler = handler
        self.method = method or start_method()
        self._context = multiprocessing.get_context(self.method)
        self.running: List[TaskProcess] = []
        self._spares: Dict[Optional[str], List[TaskProcess]] = {}  # interpreter (None: this one) -> spares
        self._ended: List[Any] = []  # killed processes not reaped yet

    def has_capacity(self) -> bool:
        return len(self.running) < self.size

    def _spawn(self, python: Optional[str] = None) -> TaskProcess:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        if python is not None:  # another interpreter (a package environment): the spawn path with its python
            process: Any = InterpreterProcess(python, self.handler)
            parent_end = process.start_with_pipe()
        else:
            parent_end, child_end = self._context.Pipe(duplex=True)
            # daemon: an interpreter exiting terminates a stray process instead of waiting for it for ever
            # (the process itself clears the flag, so a step may still start processes of its own).
            process = self._context.Process(target=_task_main, args=(child_end, self.handler), daemon=True)
            process.start()
            child_end.close()
        try:
            os.setpgid(process.pid, process.pid)  # also done by the child; whichever runs first wins
        except OSError:
            pass
        return TaskProcess(process, parent_end)

    def _refill(self, python: Optional[str]) -> None:
        spares = self._spares.setdefault(python, [])
        while len(spares) < min(SPARES, self.size):
            spares.append(self._spawn(python))

    def start(self, task: Any, message: Any, timeout: Optional[float] = None, grace: float = 0.0,
              python: Optional[str] = None) -> TaskProcess:
        """Hand ``message`` to a spare process; ``task`` is handed back with its result.

        ``python``: run it in that interpreter (a package environment's) instead of this one's."""
        with signals_held():
            return self._start(task, message, timeout, grace, python)

    def _start(self, task: Any, message: Any, timeout: Optional[float], grace: float,
               python: Optional[str]) -> TaskProcess:
        spares = self._spares.get(python)
        proc = spares.pop(0) if spares else self._spawn(python)
        proc.task = task
        proc.started = time.time()
        proc.deadline = proc.started + timeout + grace if timeout else None
        self.running.append(proc)
        try:
            proc.conn.send(message)
        except (OSError, EOFError):
            pass  # the spare died; poll() reports it
        self._refill(python)
        return proc

    def poll(self, timeout: Optional[float]) -> List[Tuple[TaskProcess, Any, Optional[str]]]:
        """Wait for results: [(proc, (task, result), None)] or [(proc, None, how it died)]."""
        self._reap()
        if not self.running:
            if timeout:
                time.sleep(timeout)
            return []
        ready = wait([p.conn for p in self.running], timeout)
        with signals_held():
            return self._collect(ready)

    def _collect(self, ready: List[Any]) -> List[Tuple[TaskProcess, Any, Optional[str]]]:
        out = []
        for proc in list(self.running):
            if proc.conn not in ready:
                continue
            try:
                result = proc.conn.recv()
            except (EOFError, OSError):
                out.append((proc, None, self._end(proc, wait_for_exit=True)))
                continue
            self._end(proc)
            out.append((proc, (proc.task, result), None))
        return out

    def kill(self, proc: TaskProcess) -> str:
        """Kill a task's whole process group now; describe how it ended."""
        return self._end(proc, wait_for_exit=True)

    def shutdown(self) -> None:
        for proc in list(self.running) + [p for spares in self._spares.values() for p in spares]:
            self._end(proc, wait_for_exit=True)
        self._spares = {}
        for process in self._ended:
            process.join(5)
        self._ended = []

    def _end(self, proc: TaskProcess, wait_for_exit: bool = False) -> str:
        with signals_held():
            return self._end_held(proc, wait_for_exit)

    def _end_held(self, proc: TaskProcess, wait_for_exit: bool) -> str:
        # Kill the group before reaping its leader: the group id cannot be reused meanwhile.
        kill_group(proc.pid)
        try:
            proc.conn.close()
        except Exception:
            pass
        if proc in self.running:
            self.running.remove(proc)
        for spares in self._spares.values():
            if proc in spares:
                spares.remove(proc)
        if not wait_for_exit:
            self._ended.append(proc.process)  # reaped later, off the task's path
            return ""
        proc.process.join(5)
        return describe_exit(proc.process.exitcode)

    def _reap(self) -> None:
        self._ended = [p for p in self._ended if p.exitcode is None]


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "the task process did not end"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        how = f"the task process was killed by {name}"
        if -code == signal.SIGKILL:
            how += " (out of memory? killed by the OS or a user)"
        return how
    return f"the task process exited with code {code}"


def _task_main(conn: Connection, handler: Callable[[Any], Any], parent_pid: Optional[int] = None) -> None:
    """Entry point of a task process: own process group, signals reset, get ready, run one task.

    ``parent_pid``: the scheduler's pid when this process is not a ``multiprocessing`` child."""
    _child_setup(parent_pid)
    warm = getattr(handler, "warm", None)
    if warm is not None:
        try:
            warm()
        except Exception:  # the task itself will meet (and report) the same problem
            pass
    try:
        message = conn.recv()
    except (EOFError, OSError):
        return
    if message is None:
        return
    try:
        result = handler(message)
    except BaseException:  # an error of sfncompile itself (storage...), not of the step
        result = {"internal_error": traceback.format_exc()}
    try:
        conn.send(result)
    except (OSError, EOFError):
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _kill_own_group(signum: int, frame: Any) -> None:  # pragma: no cover - runs in a dying task process
    os.killpg(0, signal.SIGKILL)


def _child_setup(parent_pid: Optional[int] = None) -> None:
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    multiprocessing.current_process().daemon = False  # steps may use multiprocessing themselves
    # The scheduler decides what Ctrl-C and a closed terminal mean.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # SIGTERM (and the scheduler's death) take the task's subprocesses down with it.
    signal.signal(signal.SIGTERM, _kill_own_group)
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)  # held by the scheduler while it forked us
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no pthread_sigmask
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        parent = multiprocessing.parent_process()
        expected = parent_pid if parent_pid is not None else (parent.pid if parent is not None else None)
        if expected is not None and os.getppid() != expected:  # the scheduler died before the line above
            _kill_own_group(signal.SIGTERM, None)
    except Exception:  # pragma: no cover - not Linux
        pass
