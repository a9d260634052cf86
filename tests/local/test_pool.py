"""The task process pool: requests a running task makes to the scheduler; spares that ended."""
from __future__ import annotations

import os
import signal
import time

from sfncompile.local.pool import Pool, request


def _ask(message):
    """A task that asks the scheduler twice: once answered, once refused."""
    answered = request(("double", message))
    try:
        request(("refuse", message))
    except KeyError as exc:
        return answered, f"raised {exc}"
    return answered, "not raised"


def _answer(payload):
    kind, value = payload
    if kind == "refuse":
        raise KeyError(value)
    return value * 2


def _result(pool: Pool, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for _proc, got, died in pool.poll(0.5):
            assert died is None, died
            return got
    raise AssertionError("no result")


def test_a_task_process_gets_the_schedulers_answer_or_its_exception(start_method):
    pool = Pool(1, _ask, on_request=_answer)
    try:
        pool.start("task", 21)
        assert _result(pool) == ("task", (42, "raised 21"))
    finally:
        pool.shutdown()


def _echo(message):
    return message


def test_a_task_is_never_handed_to_a_spare_that_ended_with_its_template(start_method):
    pool = Pool(1, _echo)
    try:
        pool.start("first", 1)
        assert _result(pool) == ("first", 1)
        template = pool._templates[None]
        spares = [p.pid for p in pool._spares[None]]
        os.kill(template.pid, signal.SIGKILL)  # its spares die with it (parent-death signal)
        deadline = time.time() + 10
        while any(os.path.exists(f"/proc/{pid}") and _alive(pid) for pid in spares) and time.time() < deadline:
            time.sleep(0.05)
        pool.start("second", 2)
        assert _result(pool) == ("second", 2)
    finally:
        pool.shutdown()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
