"""Local workers for steps with an environment: processes started from its interpreter.

Steps without an environment keep the scheduler's forked pool (no interpreter
start, no import). A step with one cannot be forked from this interpreter, so its
tasks go to workers started as ``<env python> -m sfncompile.environments.worker``;
each worker is told the flow and the run once, then serves tasks over the same
pipe protocol as a forked worker and is reused for the run's later tasks, so a
cached environment costs one interpreter start per worker, not per task.
"""
from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Pipe, wait
from typing import Any, Dict, List, Mapping, Optional

from ..local.pool import Pool, Worker


class EnvironmentPool(Pool):
    """Workers of one environment (same dispatch/poll/kill as the forked pool)."""

    def __init__(self, size: int, python: str, init_message: Mapping[str, Any]) -> None:
        super().__init__(size, lambda: None)  # type: ignore[arg-type,return-value]
        self.python = python
        self.init_message = dict(init_message)
        self._procs: Dict[int, subprocess.Popen] = {}

    def _fork(self) -> Worker:
        parent_end, child_end = Pipe(duplex=True)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        proc = subprocess.Popen(
            [self.python, "-m", "sfncompile.environments.worker", str(child_end.fileno())],
            pass_fds=(child_end.fileno(),),
            env=_worker_env(),
        )
        child_end.close()
        self._procs[proc.pid] = proc
        parent_end.send(self.init_message)
        worker = Worker(proc.pid, parent_end)
        self.workers.append(worker)
        return worker

    def _reap(self, worker: Worker, block: bool = True) -> str:
        how = super()._reap(worker, block)
        self._procs.pop(worker.pid, None)
        return how


def _worker_env() -> Dict[str, str]:
    """The run's environment; sfncompile comes from the environment's overlay, not from PYTHONPATH."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    return env


class RoutedPools:
    """The scheduler's pool when some steps have environments: routes each step to its pool.

    At most ``size`` tasks run at once over all pools, as with one pool.
    """

    def __init__(self, default: Pool, by_step: Mapping[str, EnvironmentPool], size: int) -> None:
        self.default = default
        self.by_step = dict(by_step)
        self.size = max(1, int(size))
        self.pools: List[Pool] = [default] + list({id(p): p for p in by_step.values()}.values())

    @property
    def workers(self) -> List[Worker]:
        return [w for p in self.pools for w in p.workers]

    def _owner(self, worker: Worker) -> Pool:
        return next(p for p in self.pools if worker in p.workers)

    def idle_worker(self, step: Optional[str] = None) -> Optional[Worker]:
        if len(self.busy_workers()) >= self.size:
            return None
        return self.by_step.get(step or "", self.default).idle_worker()

    def has_capacity(self) -> bool:
        return len(self.busy_workers()) < self.size

    def busy_workers(self) -> List[Worker]:
        return [w for p in self.pools for w in p.busy_workers()]

    def dispatch(self, worker: Worker, task: Any, message: Any, timeout: Optional[float] = None, grace: float = 0.0) -> None:
        self._owner(worker).dispatch(worker, task, message, timeout, grace)

    def poll(self, timeout: Optional[float]):
        busy = self.busy_workers()
        if busy:
            wait([w.conn for w in busy], timeout)
        out = []
        for pool in self.pools:
            if pool.busy_workers():
                out.extend(pool.poll(0))
        if not busy and timeout:
            import time

            time.sleep(timeout)
        return out

    def kill(self, worker: Worker, sig: int = 9) -> str:
        return self._owner(worker).kill(worker, sig)

    def shutdown(self, kill: bool = False) -> None:
        for pool in self.pools:
            pool.shutdown(kill)


def routed_pools(default: Pool, pythons: Mapping[str, str], size: int, init_message: Mapping[str, Any]) -> RoutedPools:
    """One pool per environment (steps sharing an environment share its workers) beside the forked pool."""
    by_python: Dict[str, EnvironmentPool] = {}
    for python in set(pythons.values()):
        by_python[python] = EnvironmentPool(size, python, init_message)
    return RoutedPools(default, {step: by_python[python] for step, python in pythons.items()}, size)
