"""A hybrid run's Batch job stops itself once the local scheduler that submitted it is gone.

The scheduler of a hybrid run (``sfncompile run`` with ``@batch`` steps) terminates its
Batch jobs when it stops on a signal, but one that is killed outright (``kill -9``, the
OOM killer, a laptop that lost power or its network for good) cannot: its jobs would run,
and be paid for, until they end on their own. So every job it submits carries
``SFNCOMPILE_WATCH_SCHEDULER`` (seconds between checks) and, while the step runs, reads the
run's liveness fields (storage/liveness.py) that often. Once the scheduler is known lost --
its process gone on this host, or no heartbeat for ``ORPHAN_SECONDS`` -- the step's code is
stopped with ``TaskKilled("scheduler lost: ...")``: the attempt is recorded as failed, with
that reason, and the job exits non-zero.

``ORPHAN_SECONDS`` (10 min) is longer than the 120 s after which readers show the run as
failed, on purpose: a reader's verdict is undone by the scheduler's next heartbeat, a stopped
job is not, and a laptop that sleeps or loses its network for a few minutes should not lose
the remote work of a run it goes on with.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Optional

from ..flow.current import current
from ..storage.liveness import lost_reason
from .task import TaskKilled

ENV = "SFNCOMPILE_WATCH_SCHEDULER"
CHECK_SECONDS = 60.0
ORPHAN_SECONDS = 600.0
# After asking the step's code to stop, how long to wait before the process exits regardless
# (code stuck in a C call never returns to the interpreter, which is where the stop is raised).
GRACE_SECONDS = 30.0
STOP_SIGNAL = signal.SIGUSR2


def check_seconds_from_env() -> Optional[float]:
    """Seconds between checks when this task is a hybrid run's Batch job, else None."""
    raw = os.environ.get(ENV)
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


class SchedulerWatch:
    """Checks, on a daemon thread, that the scheduler of ``flow/run_id`` is alive; stops the step when it is not."""

    def __init__(self, metadata: Any, flow: str, run_id: str, every: float, *,
                 stale_after: float = ORPHAN_SECONDS, grace: float = GRACE_SECONDS,
                 say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> None:
        self.metadata = metadata
        self.flow = flow
        self.run_id = run_id
        self.every = every
        self.stale_after = stale_after
        self.grace = grace
        self.say = say
        self.reason: Optional[str] = None
        self._raised = False  # the step's code has been stopped
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="sfncompile-scheduler-watch", daemon=True)
        self._previous: Any = None

    def start(self) -> "SchedulerWatch":
        """Install the stop signal's handler (main thread) and start checking."""
        self._previous = signal.signal(STOP_SIGNAL, self._on_stop_signal)
        self._thread.start()
        return self

    def stop(self) -> None:
        """The task is over: stop checking (main thread: the signal's handler is put back once no
        check in flight can send it; the signal's default action would end the process)."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(self.every + 1.0)
        signal.signal(STOP_SIGNAL, signal.SIG_IGN if self._thread.is_alive() else self._previous)

    def check(self) -> Optional[str]:
        """Why the scheduler is lost, or None (alive, finished, unreadable: a failed read is not a verdict)."""
        try:
            record = self.metadata.get_run(self.flow, self.run_id)
        except Exception:  # noqa: BLE001 - the next check may read it
            return None
        return lost_reason(record, stale_after=self.stale_after) if record else None

    def _watch(self) -> None:
        while not self._done.is_set():
            reason = self.check()
            if reason is not None and not self._done.is_set():
                self._stop_task(reason)
                return
            self._done.wait(self.every)

    def _stop_task(self, reason: str) -> None:
        self.reason = reason
        self.say(f"sfncompile: stopping {self.flow}/{self.run_id}'s step: {reason}")
        deadline = time.monotonic() + self.grace
        # The stop is raised only inside the step's code: a task still loading its inputs when the
        # scheduler is found lost ignores the signal, so it is sent again each check until the step's
        # code has been stopped (or the task has ended).
        while not self._raised and not self._done.is_set():
            os.kill(os.getpid(), STOP_SIGNAL)
            if self._done.wait(max(0.0, min(self.every, deadline - time.monotonic()))):
                return
            if time.monotonic() >= deadline:
                break
        if not self._done.wait(max(0.0, deadline - time.monotonic())):
            self.say(f"sfncompile: the step did not stop within {self.grace:g} s; exiting")
            os._exit(1)

    def _on_stop_signal(self, signum: int, frame: Any) -> None:
        # Raised only inside the step's code (between its inputs being loaded and its artifacts
        # stored), where the task records any exception as the attempt's failure; outside it the
        # task is already ending. Once: a repeated signal must not interrupt that recording.
        if self.reason is not None and current.is_running_flow and not self._raised:
            self._raised = True
            raise TaskKilled(self.reason)


def watch_from_env(metadata: Any, flow: str, run_id: str) -> Optional[SchedulerWatch]:
    """A started watch when this task is a hybrid run's Batch job (``SFNCOMPILE_WATCH_SCHEDULER``), else None."""
    every = check_seconds_from_env()
    if every is None:
        return None
    return SchedulerWatch(metadata, flow, run_id, every).start()
