"""Task processes: every task runs in a process of its own, in a process group of its own.

Why one process per task: a task must start clean. A reused worker would show the
next step the previous one's ``os.chdir``, environment variables and module
globals. Each task process is a raw ``os.fork()`` of a *template* process
(``template.py``) of its interpreter, which imported sfncompile and the flow once
and never runs user code: the template stays clean and a task costs no
interpreter start, no import, only a fork. The scheduler's interpreter has one
template (a fork of the scheduler with the ``fork`` start method, the Linux
default; a fresh interpreter with ``spawn``, the macOS default, or
``SFNCOMPILE_START_METHOD=spawn``); each package environment has one too, in its
own interpreter (``interpreter.py``).

Why it stays cheap: processes are started ahead of need. A few *spare* processes
(``SPARES``) are forked while tasks run, each one prepares itself (opens its store
connections, readies the output capture) and then waits; a task is handed to a
spare over its pipe, and a new spare is asked for in its place. A spare runs
exactly one task and then ends, so the cost of a fork is off the task's path (and
on the template's, another process), and no process ever runs two tasks.

Why a process group per task: a step's subprocesses (``subprocess.Popen``,
``os.system("... &")``) must never outlive it. The task's process leads its own
group; when the task ends (result received, timeout, Ctrl-C, failure) the whole
group is killed, and a task whose scheduler dies (``kill -9``) kills its group too
(the parent-death signal is SIGTERM, whose handler kills the group: the template
dies with the scheduler, each task with its template). Being a separate group also
keeps the terminal's Ctrl-C away from tasks: the scheduler alone decides what a
signal means.

Requests: while its task runs, a task process may ask the scheduler something
(``request(payload)``, answered by the pool's ``on_request``) and wait for the answer
over the same pipe, or tell it something without waiting (``notify(payload)``); its
result is the last message it sends. The scheduler handles a task's messages in the
order they were sent, and reads what a task sent before it was killed or died, so a
notification is never lost; one the scheduler cannot handle fails the task.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import select
import signal
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from .template import HELD_SIGNALS, TaskChild, Template, TemplateGone, flush_stdio, kill_group, own_group, sigmask

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
# How often one poll() looks again at the pipes it read requests from, before it returns to the
# scheduler: a task's last notification and its result come together; a task that sends without
# end must not keep the scheduler from the other tasks (dispatch, timeouts).
READ_PASSES = 4
# HELD_SIGNALS are held while the pool's bookkeeping changes, so a Ctrl-C can never leave a process
# started but unrecorded (it would wait for a task for ever, and keep the interpreter alive).


class signals_held:
    """``with signals_held():`` HELD_SIGNALS are blocked inside (a class, not a generator-based context
    manager: the scheduler enters it a few times per task, and that costs several times more)."""

    __slots__ = ("previous",)

    def __enter__(self) -> None:
        try:
            self.previous = sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
        except (AttributeError, ValueError, OSError):  # pragma: no cover - no pthread_sigmask
            self.previous = None

    def __exit__(self, *exc: Any) -> None:
        if self.previous is not None:
            sigmask(signal.SIG_SETMASK, self.previous)


class Request:
    """A task process's message to the scheduler (``request``, ``notify``), told apart from its result."""

    __slots__ = ("payload", "answer")

    def __init__(self, payload: Any, answer: bool = True) -> None:
        self.payload = payload
        self.answer = answer


_TASK_CONN: Optional[Connection] = None  # in a task process, while its task runs: its pipe to the scheduler


def in_task() -> bool:
    """Whether this process is a task process running its task (so ``request`` can be answered)."""
    return _TASK_CONN is not None


def request(payload: Any) -> Any:
    """In a task process: the scheduler's answer to ``payload`` (its ``on_request``'s return value),
    or the exception that raised."""
    conn = _send(Request(payload))
    ok, value = conn.recv()
    if not ok:
        raise value
    return value


def notify(payload: Any) -> None:
    """In a task process: hand ``payload`` to the scheduler's ``on_request`` without waiting. It is
    handled before anything the task sends later (a request's answer reflects it), and even if the
    task process dies right after; if ``on_request`` raises, the task is reported as failed."""
    _send(Request(payload, answer=False))


def _send(message: Request) -> Connection:
    """Send ``message`` to the scheduler; returns the pipe (for its answer)."""
    if _TASK_CONN is None:
        raise RuntimeError("only a task process running its task can send the scheduler requests")
    _TASK_CONN.send(message)
    return _TASK_CONN


class TaskProcess:
    """One process: a spare waiting for its task, then that task running; its pipe and deadline."""

    __slots__ = ("process", "conn", "fd", "task", "started", "deadline", "refused")

    def __init__(self, process: TaskChild, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.fd = conn.fileno()  # kept: the pool's poller knows the pipe by it, also once it is closed
        self.refused: Optional[str] = None  # why a notification of the task could not be handled
        self.task: Any = None  # what the scheduler dispatched (opaque here)
        self.started = 0.0
        self.deadline: Optional[float] = None  # kill after this (timeout + grace)

    @property
    def pid(self) -> int:
        return int(self.process.pid)


class Pool:
    """Up to ``size`` tasks at a time, each in its own single-use process; ``handler(message)`` runs
    in it and its return value comes back. ``handler.prepare_template()``, if defined, runs once in
    each template (load the flow, compute constants); ``handler.warm_template()``, if defined, runs
    once in a template that has forked ``template.WARM_AFTER_FORKS`` processes (run sfncompile's own
    code once, so later task processes inherit it warm); ``handler.warm()``, if defined, runs in a
    spare before its task arrives (it must not make requests: a spare is not listened to yet).
    ``on_request(payload)`` answers a running task's ``request(payload)``, in the scheduler.

    ``handler`` must be picklable (a template in another interpreter receives it pickled).
    """

    def __init__(self, size: int, handler: Callable[[Any], Any], method: Optional[str] = None,
                 on_request: Optional[Callable[[Any], Any]] = None) -> None:
        self.size = max(1, int(size))
        self.handler = handler
        self.on_request = on_request
        self.method = method or start_method()
        self.running: List[TaskProcess] = []
        # The running tasks' pipes, registered while they run: one poll() per cycle, no selector built each time.
        self._poller = select.poll()
        self._spares: Dict[Optional[str], List[TaskProcess]] = {}  # interpreter (None: this one) -> spares
        self._templates: Dict[Optional[str], Template] = {}

    def has_capacity(self) -> bool:
        return len(self.running) < self.size

    def _template(self, python: Optional[str]) -> Template:
        template = self._templates.get(python)
        if template is None:
            template = self._templates[python] = Template(self.handler, python, self.method)
            template.start()
        return template

    def _spawn(self, python: Optional[str] = None) -> TaskProcess:
        template = self._template(python)
        try:
            process, conn = template.fork()
        except TemplateGone:  # killed (e.g. by the OOM killer): start another once
            template.stop()
            template.start()
            process, conn = template.fork()
        return TaskProcess(process, conn)

    def _ready(self, python: Optional[str]) -> TaskProcess:
        """A live process for the next task: a spare (its pid read now, long answered by then), or a
        new one if there is none or the spares ended with their template (e.g. the OOM killer's):
        a task is never handed to a process that is gone."""
        spares = self._spares.setdefault(python, [])
        while spares:
            proc = spares.pop(0)
            try:
                proc.process.pid
                if not _readable(proc.fd):  # a waiting spare sends nothing: a readable pipe means it ended
                    return proc
            except (TemplateGone, OSError, EOFError):
                pass
            self._end_held(proc, wait_for_exit=False)
        proc = self._spawn(python)
        proc.process.pid  # a new template's failure surfaces here, not in the task
        return proc

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
        proc = self._ready(python)
        proc.task = task
        proc.started = time.time()
        proc.deadline = proc.started + timeout + grace if timeout else None
        self.running.append(proc)
        self._poller.register(proc.fd, select.POLLIN)
        try:
            proc.conn.send(message)
        except (OSError, EOFError):
            pass  # the spare died; poll() reports it
        self._refill(python)
        return proc

    def poll(self, timeout: Optional[float]) -> List[Tuple[TaskProcess, Any, Optional[str]]]:
        """Wait for results: [(proc, (task, result), None)] or [(proc, None, how it died)]."""
        if not self.running:
            if timeout:
                time.sleep(timeout)
            return []
        ready = self._pipes_to_read(timeout)
        if not ready:
            return []
        with signals_held():
            return self._collect(ready)

    def _pipes_to_read(self, timeout: Optional[float]) -> Set[int]:
        """The running tasks' pipes with something to read (or closed), waiting up to ``timeout`` s."""
        return {fd for fd, _event in self._poller.poll(None if timeout is None else timeout * 1000)}

    def _collect(self, ready: Set[int]) -> List[Tuple[TaskProcess, Any, Optional[str]]]:
        """Read what the ``ready`` pipes hold. After a request a pipe is looked at again, up to
        READ_PASSES times: a task's last notification and its result come together, and are then
        one turn of the scheduler's loop, not two."""
        out: List[Tuple[TaskProcess, Any, Optional[str]]] = []
        for _ in range(READ_PASSES):
            asked = False
            for proc in list(self.running):
                if proc.fd not in ready:
                    continue
                try:
                    result = proc.conn.recv()
                except (EOFError, OSError):
                    out.append((proc, None, self._end(proc, wait_for_exit=True)))
                    continue
                if isinstance(result, Request):  # the task goes on; its result comes later
                    self._handle(proc, result)
                    asked = True
                    continue
                self._end(proc)
                out.append((proc, (proc.task, result), None) if proc.refused is None else (proc, None, proc.refused))
            if not asked or not self.running:
                break
            ready = self._pipes_to_read(0)
            if not ready:
                break
        return out

    def _handle(self, proc: TaskProcess, message: Request) -> None:
        try:
            if self.on_request is None:
                raise RuntimeError("this pool answers no requests")
            reply: Tuple[bool, Any] = (True, self.on_request(message.payload))
        except Exception as exc:  # raised again in the task process, or fails the task
            reply = (False, exc)
        if not message.answer:
            if not reply[0] and proc.refused is None:
                proc.refused = f"the scheduler could not record what the task process sent: {reply[1]}"
            return
        try:
            try:
                proc.conn.send(reply)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an answer that cannot travel
                proc.conn.send((False, RuntimeError(f"the scheduler's answer could not be sent: {exc}")))
        except (OSError, EOFError):
            pass  # the task process died; poll() reports it

    def kill(self, proc: TaskProcess) -> str:
        """Kill a task's whole process group now; describe how it ended."""
        return self._end(proc, wait_for_exit=True)

    def shutdown(self) -> None:
        with signals_held():
            for proc in list(self.running) + [p for spares in self._spares.values() for p in spares]:
                self._end_held(proc, wait_for_exit=False)
            self._spares = {}
            for template in self._templates.values():
                template.stop()
            self._templates = {}

    def _end(self, proc: TaskProcess, wait_for_exit: bool = False) -> str:
        with signals_held():
            return self._end_held(proc, wait_for_exit)

    def _end_held(self, proc: TaskProcess, wait_for_exit: bool) -> str:
        # Kill the group before its leader is reaped (the template reaps it once released): the
        # group id cannot be reused meanwhile.
        try:
            kill_group(proc.pid)
        except TemplateGone:  # never started, or killed with its template
            pass
        self._drain(proc)
        if proc in self.running:
            self.running.remove(proc)
            self._poller.unregister(proc.fd)
        try:
            proc.conn.close()
        except Exception:
            pass
        for spares in self._spares.values():
            if proc in spares:
                spares.remove(proc)
        proc.process.release(wait_for_exit)  # reaped by the template, off the task's path
        return describe_exit(proc.process.exitcode) if wait_for_exit else ""

    def _drain(self, proc: TaskProcess) -> None:
        """Handle the notifications a task sent before it ended that were not read yet (a timed-out
        task's record that it started, say): nothing it sent is lost."""
        try:
            while _readable(proc.fd):
                message = proc.conn.recv()
                if not isinstance(message, Request) or message.answer:
                    break
                self._handle(proc, message)
        except (EOFError, OSError):
            pass


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read (or is closed), without waiting: one poll(2), where
    ``Connection.poll`` builds and registers a selector each time."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


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


def run_one_task(conn: Connection, handler: Callable[[Any], Any], template_pid: int) -> None:
    """A task process, freshly forked from its template: own process group, signals reset, get
    ready, run one task, send its result, then wait to be killed with its group."""
    # SIGTERM (and the template's death) take the task's subprocesses down with it.
    own_group(template_pid, _kill_own_group)
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
    global _TASK_CONN
    _TASK_CONN = conn
    try:
        result = handler(message)
    except BaseException:  # an error of sfncompile itself (storage...), not of the step
        result = {"internal_error": traceback.format_exc()}
    flush_stdio()
    try:
        conn.send(result)
        # The scheduler kills the group when it has the result: until then the group leader stays,
        # so its group id (which the scheduler kills by) cannot be taken by another process.
        conn.recv()
    except (OSError, EOFError):
        pass


def _kill_own_group(signum: int, frame: Any) -> None:  # pragma: no cover - runs in a dying task process
    os.killpg(0, signal.SIGKILL)


