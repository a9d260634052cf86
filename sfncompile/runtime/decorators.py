"""Local meaning of the step decorators that act inside a task: @retry, @catch, @timeout, @environment.

@resources / @batch have no local effect (they size Batch jobs).
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

from ..exceptions import TimeoutException


def retry_policy(node: Any) -> Tuple[int, float]:
    """(times, seconds between retries in a local run) of a step; no @retry means (0, 0).

    A local run waits only when the user set ``minutes_between_retries`` (Metaflow's
    local behaviour); the compiled Step Functions Retry keeps its interval.
    """
    settings = node.decorator("retry") if node is not None else None
    if not settings:
        return 0, 0.0
    minutes = settings.get("local_minutes_between_retries", settings["minutes_between_retries"])
    return int(settings["times"]), float(minutes) * 60.0


def catch_settings(node: Any) -> Optional[Mapping[str, Any]]:
    return node.decorator("catch") if node is not None else None


def timeout_seconds(node: Any) -> Optional[float]:
    settings = node.decorator("timeout") if node is not None else None
    return float(settings["seconds"]) if settings else None


def environment_vars(node: Any) -> Dict[str, str]:
    settings = node.decorator("environment") if node is not None else None
    return dict(settings["vars"]) if settings else {}


@contextlib.contextmanager
def environment(vars: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables while the step runs; restore them afterwards (workers are reused)."""
    if not vars:
        yield
        return
    saved = {k: os.environ.get(k) for k in vars}
    os.environ.update(vars)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def alarm(seconds: Optional[float], step: str) -> Iterator[None]:
    """Raise TimeoutException in the step's code after ``seconds`` (main thread only).

    The local scheduler also kills the worker a little later in case the code
    never returns to the interpreter (a C call holding the thread).
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):  # pragma: no cover - timing dependent
        raise TimeoutException(f"step '{step}' ran longer than its @timeout of {_fmt(seconds)}")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fmt(seconds: float) -> str:
    if seconds >= 60 and float(seconds / 60).is_integer():
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"
