"""The task process pool: requests a running task makes to the scheduler; spares that ended."""
from __future__ import annotations

import os
import signal
import time

from sfncompile.local.pool import READ_PASSES, Pool, notify, request


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


class _Tally:
    """The scheduler's side of the notification tests: adds what tasks send, answers the sum."""

    def __init__(self) -> None:
        self.added = []

    def __call__(self, payload):
        kind, value = payload
        if kind == "add":
            if value < 0:
                raise ValueError("negative")
            self.added.append(value)
            return None
        return sum(self.added)


def _add_then_ask(message):
    for value in message:
        notify(("add", value))
    return request(("sum", None))


def _add_then_die(message):
    notify(("add", message))
    os.kill(os.getpid(), signal.SIGKILL)


def _outcome(pool: Pool, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for _proc, got, died in pool.poll(0.5):
            return got, died
    raise AssertionError("no result")


def test_notifications_are_handled_in_order_before_the_tasks_next_request(start_method):
    tally = _Tally()
    pool = Pool(1, _add_then_ask, on_request=tally)
    try:
        pool.start("task", [1, 2, 3])
        assert _result(pool) == ("task", 6)
        assert tally.added == [1, 2, 3]
    finally:
        pool.shutdown()


def test_a_notification_of_a_task_that_died_right_after_is_not_lost(start_method):
    tally = _Tally()
    pool = Pool(1, _add_then_die, on_request=tally)
    try:
        pool.start("task", 7)
        got, died = _outcome(pool)
        assert got is None and "SIGKILL" in died
        assert tally.added == [7]
    finally:
        pool.shutdown()


def _sent_something(pool: Pool, message):
    """Start ``"task"`` with ``message``; return its process once its first message waits in its pipe."""
    proc = pool.start("task", message)
    deadline = time.time() + 30
    while not proc.conn.poll() and time.time() < deadline:
        time.sleep(0.05)
    return proc


def _add_then_hang(message):
    notify(("add", message))
    time.sleep(300)


def test_a_task_killed_before_its_notifications_were_read_still_has_them_handled(start_method):
    tally = _Tally()
    pool = Pool(1, _add_then_hang, on_request=tally)
    try:
        proc = _sent_something(pool, 9)  # sent, not read (as at a timeout)
        assert tally.added == []
        pool.kill(proc)
        assert tally.added == [9]
    finally:
        pool.shutdown()


def test_a_notification_the_scheduler_cannot_handle_fails_the_task(start_method):
    pool = Pool(1, _add_then_ask, on_request=_Tally())
    try:
        pool.start("task", [1, -1, 2])
        got, died = _outcome(pool)
        assert got is None and "could not record" in died and "negative" in died
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


def _add_then_return(message):
    notify(("add", message))
    return message


def test_a_tasks_last_notification_and_its_result_are_read_in_one_poll(start_method):
    tally = _Tally()
    pool = Pool(1, _add_then_return, on_request=tally)
    try:
        _sent_something(pool, 4)
        time.sleep(0.5)  # the task sent both long ago
        assert [(got, died) for _proc, got, died in pool.poll(0)] == [(("task", 4), None)]
        assert tally.added == [4]
    finally:
        pool.shutdown()


def _flood(message):
    while True:
        notify(("add", message))


def test_a_task_that_notifies_without_end_does_not_hold_one_poll(start_method):
    tally = _Tally()
    pool = Pool(1, _flood, on_request=tally)
    try:
        _sent_something(pool, 1)
        time.sleep(0.2)  # plenty waits in its pipe
        assert pool.poll(0) == []  # the scheduler gets back to its other work ...
        assert len(tally.added) == READ_PASSES > 1  # ... after reading its pipe again, a bounded number of times
    finally:
        pool.shutdown()
