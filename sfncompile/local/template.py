"""Template processes: one per interpreter, each forks a fresh, clean process per task.

Why: a task must start clean (no earlier task's ``os.chdir``, environment variables
or module globals) and must cost little. A *template* imports sfncompile and the
flow once, computes what never changes (platform facts), never runs user code, and
then only forks: every task process is a raw ``os.fork()`` of it, so it starts
with everything loaded and nothing changed, in about a millisecond.

- For the scheduler's own interpreter the template is a fork of the scheduler
  (start method ``fork``) or a fresh interpreter (``spawn``).
- For a step's package environment it is ``<env python> -m
  sfncompile.local.interpreter FD PARENT_PID``: one interpreter start per
  environment and run, not per task.

Protocol on the control socket (the scheduler's end, a Unix stream socket):
frames of ``FRAME`` (kind, pid, value). ``F`` asks for a task process and carries
one descriptor (the task's end of a fresh socket pair, its pipe to the scheduler)
as ``SCM_RIGHTS``; the template forks, makes the child lead its own process group,
and answers ``P`` with the pid. ``R`` releases a pid after the scheduler killed its
group: only then does the template reap it (a group id cannot be reused while its
leader is unreaped), and with value 1 it answers ``X`` with the exit code. ``Q``
ends the template (remaining task groups are killed first).

Liveness: the template dies with the scheduler (parent-death signal), and each
task process dies with its template, so a ``kill -9`` of the scheduler still
takes every task's process group down.
"""
from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # no stub; see sigmask()
import gc
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
from collections import deque
from multiprocessing.connection import Connection
from typing import Any, Callable, Deque, Dict, Optional, Set, Tuple

FRAME = struct.Struct("!cii")  # kind, pid, value
FORK, PID, RELEASE, EXITED, QUIT = b"F", b"P", b"R", b"X", b"Q"
# Signals that stop a run: the scheduler holds them while it forks and while the pool's bookkeeping
# changes; a new process unblocks them.
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
REAP_POLL_SECONDS = 0.01  # how often a template checks released pids that are not reaped yet
# A template runs its handler's ``warm_template()`` (see warmup.py) once it has forked this many task
# processes and has no request waiting: it costs ~20 ms once and saves each later task process
# ~90 page faults, so a run of a few tasks never pays for it.
WARM_AFTER_FORKS = 8
_CONTROLS: Set[socket.socket] = set()  # the scheduler's ends of every template's control socket
_CHILDREN: Set[int] = set()  # in a template: task processes not reaped yet
_LIBC: Any = None


def sigmask(how: int, mask: Any) -> Any:
    """``signal.pthread_sigmask`` without its wrapper, which turns every blocked signal into an enum
    member: the scheduler changes its mask several times per task, and ints are all a mask needs.
    AttributeError where the platform has none, as ``signal.pthread_sigmask``."""
    return _signal.pthread_sigmask(how, mask)


class TemplateGone(OSError):
    """The template process ended (killed, out of memory): the pool starts another."""


class Template:
    """The scheduler's handle on one template process."""

    def __init__(self, handler: Any, python: Optional[str] = None, method: str = "fork") -> None:
        self.handler = handler
        self.python = python
        self.method = method
        self.pid = 0
        self._popen: Optional[subprocess.Popen] = None
        self._sock: Optional[socket.socket] = None
        self._exits: Dict[int, int] = {}
        self._unanswered: Deque["TaskChild"] = deque()  # fork requests sent, pid not read yet

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        flush_stdio()
        if self.python is None and self.method == "fork":
            pid = os.fork()
            if pid == 0:  # the template: never returns
                code = 0
                try:
                    ours.close()
                    for other in list(_CONTROLS):
                        other.close()
                    serve(theirs, self.handler, os.getppid())
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            self.pid = pid
        else:
            from .interpreter import start_interpreter

            self._popen = start_interpreter(self.python or sys.executable, theirs.fileno(),
                                            own=self.python is None)
            self.pid = self._popen.pid
            data = pickle.dumps(self.handler)
            ours.sendall(struct.pack("!I", len(data)) + data)
        theirs.close()
        self._sock = ours
        _CONTROLS.add(ours)

    def stop(self) -> None:
        """Ask the template to end (it kills what is left of its tasks) and wait for it."""
        sock, self._sock = self._sock, None
        while self._unanswered:  # never forked, or killed with this template
            self._unanswered.popleft().template = None
        if sock is None:
            return
        _CONTROLS.discard(sock)
        try:
            sock.sendall(FRAME.pack(QUIT, 0, 0))
        except OSError:
            pass
        sock.close()
        if self._popen is not None:
            try:
                self._popen.wait(5)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        elif self.pid:
            _wait_or_kill(self.pid)

    # -- tasks -------------------------------------------------------------------------------
    def fork(self) -> Tuple["TaskChild", Connection]:
        """A fresh task process and the scheduler's end of its pipe.

        Returns once the template has the request: its pid is read when first needed
        (``TaskChild.pid``), so the scheduler never waits on the template's fork."""
        if self._sock is None:
            self.start()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                socket.send_fds(self._sock, [FRAME.pack(FORK, 0, 0)], [theirs.fileno()])  # type: ignore[arg-type]
            except OSError as exc:
                raise TemplateGone(str(exc)) from None
        finally:
            theirs.close()
        child = TaskChild(self)
        self._unanswered.append(child)
        return child, Connection(ours.detach())

    def resolve(self, child: "TaskChild") -> int:
        """``child``'s pid: the template answers fork requests in order."""
        while child._pid is None:
            self._read_until(PID)
        return child._pid

    def release(self, pid: int, wait: bool = False, timeout: float = 5.0) -> Optional[int]:
        """Let the template reap ``pid`` (its group was killed); with ``wait``, its exit code."""
        try:
            self._sock.sendall(FRAME.pack(RELEASE, pid, int(wait)))  # type: ignore[union-attr]
            if not wait:
                return None
            return self._read_until(EXITED, pid, timeout)
        except (OSError, AttributeError):
            return None

    def _read_until(self, kind: bytes, pid: int = 0, timeout: Optional[float] = None) -> int:
        """Read frames up to the first ``kind`` (for ``pid``, if given); exit codes read meanwhile are kept."""
        sock = self._sock
        if sock is None:
            raise TemplateGone("the template process is not running")
        if kind == EXITED and pid in self._exits:
            return self._exits.pop(pid)
        while True:
            if timeout is not None and not select.select([sock], [], [], timeout)[0]:
                raise TemplateGone(f"the template process did not report process {pid}")
            got, got_pid, value = FRAME.unpack(_recv_exact(sock, FRAME.size))
            if got == EXITED:
                if kind == EXITED and got_pid == pid:
                    return value
                self._exits[got_pid] = value
            elif got == PID:
                self._unanswered.popleft()._pid = got_pid
                if kind == PID:
                    return got_pid


class TaskChild:
    """A task process as the pool sees it (the parts of ``multiprocessing.Process`` it uses)."""

    __slots__ = ("template", "_pid", "exitcode")

    def __init__(self, template: Template) -> None:
        self.template: Optional[Template] = template  # None: its template ended before answering
        self._pid: Optional[int] = None  # until the template's answer is read
        self.exitcode: Optional[int] = None

    @property
    def pid(self) -> int:
        """The process id; TemplateGone if its template ended without starting it."""
        if self._pid is None:
            if self.template is None:
                raise TemplateGone("the template process ended before it started this task process")
            return self.template.resolve(self)
        return self._pid

    def release(self, wait: bool) -> None:
        """After its group was killed: let the template reap it (and learn its exit code)."""
        if self.template is None or self._pid is None:
            return
        code = self.template.release(self._pid, wait)
        if wait:
            self.exitcode = code


# ---------------------------------------------------------------------------------------- template side
def serve(sock: socket.socket, handler: Any, parent_pid: int) -> None:
    """The template's loop: fork a task process per request, reap released ones, until told to quit."""
    _template_setup(parent_pid)
    _run_hook(handler, "prepare_template")
    from .pool import run_one_task, signals_held  # resolved once here: an import statement costs each task faults

    _freeze()
    warm = hasattr(handler, "warm_template")
    forked = 0
    releasing: Dict[int, bool] = {}  # released pid -> report its exit code
    while True:
        if warm and forked >= WARM_AFTER_FORKS and not select.select([sock], [], [], 0)[0]:
            warm = False
            with signals_held():  # a SIGTERM (the scheduler died) waits until its scratch files are removed
                _run_hook(handler, "warm_template")
            _freeze()
        wait = REAP_POLL_SECONDS if releasing else None
        if releasing:
            _reap(sock, releasing)
        if not select.select([sock], [], [], wait)[0]:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, FRAME.size, 1)
        except OSError:
            break
        if not data:
            break
        if len(data) < FRAME.size:
            data += _recv_exact(sock, FRAME.size - len(data))
        kind, pid, value = FRAME.unpack(data)
        if kind == FORK and fds:
            child = _fork_task(sock, fds[0], handler, run_one_task)
            _CHILDREN.add(child)
            forked += 1
            sock.sendall(FRAME.pack(PID, child, 0))
        elif kind == RELEASE:
            releasing[pid] = bool(value)
            _reap(sock, releasing)
        elif kind == QUIT:
            break
        for fd in fds[1:] if kind == FORK else fds:
            os.close(fd)
    _end_children()


def _run_hook(handler: Any, name: str) -> None:
    hook = getattr(handler, name, None)
    if hook is not None:
        try:
            hook()
        except Exception:  # each task meets (and reports) the same problem, or runs without what the hook made
            pass


def _freeze() -> None:
    gc.collect()
    gc.freeze()  # objects made so far are never scanned by a task's collector: fewer copy-on-write faults


def _fork_task(sock: socket.socket, fd: int, handler: Any, run: Callable[[Connection, Any, int], None]) -> int:
    template_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the task process: never returns
        code = 0
        try:
            sock.close()
            run(Connection(fd), handler, template_pid)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first wins
    except OSError:
        pass
    os.close(fd)
    return pid


def _reap(sock: socket.socket, releasing: Dict[int, bool]) -> None:
    for pid, report in list(releasing.items()):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done == 0:
            continue
        del releasing[pid]
        _CHILDREN.discard(pid)
        if report:
            sock.sendall(FRAME.pack(EXITED, pid, os.waitstatus_to_exitcode(status)))


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _end_children() -> None:
    for pid in list(_CHILDREN):
        kill_group(pid)
    for pid in list(_CHILDREN):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    _CHILDREN.clear()


def _on_term(signum: int, frame: Any) -> None:  # pragma: no cover - runs in a dying template
    _end_children()
    os._exit(128 + signum)


def _template_setup(parent_pid: int) -> None:
    own_group(parent_pid, _on_term)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def own_group(parent_pid: int, on_term: Callable[[int, Any], None]) -> None:
    """Lead a process group of one's own, leave Ctrl-C and hang-ups to the scheduler, and run
    ``on_term`` on SIGTERM, which the parent's death sends (at once if the parent is gone already)."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    # ``_signal.signal``, not ``signal.signal``: its wrapper converts the handler and the old one to
    # enum members, and in a freshly forked task process that first walk through the enum machinery
    # writes (reference counts) into ~50 pages shared with the template: ~0.3 ms per task.
    _signal.signal(signal.SIGINT, _signal.SIG_IGN)
    _signal.signal(signal.SIGHUP, _signal.SIG_IGN)
    _signal.signal(signal.SIGTERM, on_term)
    try:
        sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)  # held by the scheduler while it forked
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no pthread_sigmask
        pass
    if not die_with_parent(parent_pid):
        on_term(signal.SIGTERM, None)


def die_with_parent(parent_pid: int) -> bool:
    """SIGTERM when the parent dies (Linux); False if it is already gone."""
    global _LIBC
    try:
        if _LIBC is None:
            import ctypes

            _LIBC = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:  # pragma: no cover - not Linux
        return True
    return os.getppid() == parent_pid


def serve_from_fd(fd: int, parent_pid: int) -> None:
    """A template in a fresh interpreter: read the task handler from the control socket, then serve."""
    sock = socket.socket(fileno=fd)
    try:
        (size,) = struct.unpack("!I", _recv_exact(sock, 4))
        handler = pickle.loads(_recv_exact(sock, size))
    except (OSError, EOFError):  # the scheduler died before it sent the handler
        return
    serve(sock, handler, parent_pid)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise TemplateGone("the template's control socket closed")
        data += chunk
    return data


def _wait_or_kill(pid: int, timeout: float = 5.0) -> None:
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.005)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass

