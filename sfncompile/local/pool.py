"""A pool of pre-forked worker processes that each run tasks with ``run_task``.

The parent imports the flow module and builds the graph once; workers are forked
from it (fork start method), so a task costs no interpreter start and no import.
Each worker opens its own store connections after the fork. A worker that dies
(killed by the OS, by a timeout, by the user) is noticed through its pipe closing
and is replaced on demand.
"""
from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, Callable, List, Optional, Tuple


class Worker:
    __slots__ = ("pid", "conn", "task", "started", "deadline", "hard_deadline")

    def __init__(self, pid: int, conn: Connection) -> None:
        self.pid = pid
        self.conn = conn
        self.task: Any = None  # what the parent dispatched (opaque to the pool)
        self.started = 0.0
        self.deadline: Optional[float] = None  # kill after this (timeout + grace)
        self.hard_deadline: Optional[float] = None

    @property
    def busy(self) -> bool:
        return self.task is not None


class WorkerDied(Exception):
    def __init__(self, worker: Worker, how: str) -> None:
        super().__init__(how)
        self.worker = worker
        self.how = how


class Pool:
    """Up to ``size`` workers, forked lazily; ``init()`` runs in each child after the fork."""

    def __init__(self, size: int, init: Callable[[], Callable[[Any], Any]]) -> None:
        self.size = max(1, int(size))
        self._init = init
        self.workers: List[Worker] = []

    # ------------------------------------------------------------------ lifecycle
    def _fork(self) -> Worker:
        parent_end, child_end = Pipe(duplex=True)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                parent_end.close()
                for w in self.workers:
                    try:
                        w.conn.close()
                    except Exception:
                        pass
                _child_setup()
                handler = self._init()
                _serve(child_end, handler)
            except BaseException:  # pragma: no cover - worker crash
                code = 70
                try:
                    traceback.print_exc()
                except Exception:
                    pass
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                except Exception:
                    pass
                os._exit(code)
        child_end.close()
        worker = Worker(pid, parent_end)
        self.workers.append(worker)
        return worker

    def idle_worker(self) -> Optional[Worker]:
        for w in self.workers:
            if not w.busy:
                return w
        if len(self.workers) < self.size:
            return self._fork()
        return None

    def has_capacity(self) -> bool:
        return any(not w.busy for w in self.workers) or len(self.workers) < self.size

    def busy_workers(self) -> List[Worker]:
        return [w for w in self.workers if w.busy]

    def dispatch(self, worker: Worker, task: Any, message: Any, timeout: Optional[float] = None, grace: float = 0.0) -> None:
        worker.task = task
        worker.started = time.time()
        worker.deadline = worker.started + timeout + grace if timeout else None
        try:
            worker.conn.send(message)
        except (OSError, EOFError):
            pass  # the worker died; poll() will report it

    def poll(self, timeout: Optional[float]) -> List[Tuple[Worker, Any, Optional[str]]]:
        """Wait for results: [(worker, result, None)] or [(worker, None, how it died)]."""
        busy = self.busy_workers()
        if not busy:
            if timeout:
                time.sleep(timeout)
            return []
        ready = wait([w.conn for w in busy], timeout)
        out = []
        for w in busy:
            if w.conn not in ready:
                continue
            try:
                result = w.conn.recv()
            except (EOFError, OSError):
                task = w.task
                how = self._reap(w)
                w.task = task  # the caller needs to know what was running
                out.append((w, None, how))
                continue
            task = w.task
            w.task = None
            w.deadline = None
            out.append((w, (task, result), None))
        return out

    def kill(self, worker: Worker, sig: int = signal.SIGKILL) -> str:
        try:
            os.kill(worker.pid, sig)
        except ProcessLookupError:
            pass
        task = worker.task
        how = self._reap(worker, block=True)
        worker.task = task
        return how

    def _reap(self, worker: Worker, block: bool = True) -> str:
        """Forget a dead worker; describe how it ended."""
        how = "the worker process ended unexpectedly"
        try:
            deadline = time.time() + 5
            while True:
                pid, status = os.waitpid(worker.pid, 0 if block else os.WNOHANG)
                if pid or not block or time.time() > deadline:
                    break
            if pid:
                if os.WIFSIGNALED(status):
                    sig = os.WTERMSIG(status)
                    try:
                        name = signal.Signals(sig).name
                    except ValueError:
                        name = str(sig)
                    how = f"the worker process was killed by {name}"
                    if sig == signal.SIGKILL:
                        how += " (out of memory? killed by the OS or a user)"
                elif os.WIFEXITED(status):
                    how = f"the worker process exited with code {os.WEXITSTATUS(status)}"
        except ChildProcessError:
            pass
        try:
            worker.conn.close()
        except Exception:
            pass
        if worker in self.workers:
            self.workers.remove(worker)
        worker.task = None
        return how

    def shutdown(self, kill: bool = False) -> None:
        for w in list(self.workers):
            if kill or w.busy:
                self.kill(w)
                continue
            try:
                w.conn.send(None)
            except (OSError, EOFError):
                pass
        deadline = time.time() + 5
        for w in list(self.workers):
            try:
                w.conn.close()
            except Exception:
                pass
            while True:
                try:
                    pid, _ = os.waitpid(w.pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid:
                    break
                if time.time() > deadline:
                    try:
                        os.kill(w.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    try:
                        os.waitpid(w.pid, 0)
                    except ChildProcessError:
                        pass
                    break
                time.sleep(0.005)
        self.workers = []


def _child_setup() -> None:
    # The parent decides what Ctrl-C means; workers die with the parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # pragma: no cover - not Linux
        pass


def _serve(conn: Connection, handler: Callable[[Any], Any]) -> None:
    while True:
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
            return
