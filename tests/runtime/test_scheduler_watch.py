"""A hybrid run's Batch job stops its step once the run's scheduler is lost (runtime/scheduler_watch.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from sfncompile.flow.current import current
from sfncompile.runtime import scheduler_watch
from sfncompile.runtime.scheduler_watch import SchedulerWatch
from sfncompile.runtime.task import TaskKilled
from sfncompile.storage.liveness import this_host
from sfncompile.storage.records import iso_of


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class Runs:
    """A metadata store that holds one run record (what get_run returns), or fails to read."""

    def __init__(self, record=None, error=None):
        self.record, self.error, self.reads = record, error, 0

    def get_run(self, flow, run_id):
        self.reads += 1
        if self.error:
            raise self.error
        return self.record


def _record(*, pid=None, host=None, beat_age=0.0, status="RUNNING"):
    return {"status": status, "scheduler_pid": pid or os.getpid(), "scheduler_host": host or this_host(),
            "heartbeat_at": iso_of(time.time() - beat_age)}


def _watch(runs, **kw):
    return SchedulerWatch(runs, "F", "r1", 0.05, say=lambda line: None, **kw)


def test_an_alive_or_finished_scheduler_is_not_lost():
    assert _watch(Runs(_record())).check() is None
    assert _watch(Runs(_record(pid=_dead_pid(), status="SUCCEEDED"))).check() is None
    assert _watch(Runs(None)).check() is None
    assert _watch(Runs(error=OSError("throttled"))).check() is None  # a failed read is not a verdict


def test_a_scheduler_on_another_host_is_lost_only_after_ten_minutes_without_a_heartbeat():
    """Longer than readers' 120 s: a laptop asleep or offline for a few minutes keeps its remote work."""
    assert _watch(Runs(_record(host="laptop", beat_age=300))).check() is None
    reason = _watch(Runs(_record(host="laptop", beat_age=660))).check()
    assert reason and reason.startswith("scheduler lost: no heartbeat") and "laptop" in reason


def test_a_scheduler_process_gone_on_this_host_is_lost_at_once():
    pid = _dead_pid()
    reason = _watch(Runs(_record(pid=pid))).check()
    assert reason == f"scheduler lost: its scheduler (process {pid} on {this_host()}) is gone"


def test_the_steps_code_is_stopped_with_the_reason():
    runs = Runs(_record())
    watch = _watch(runs).start()
    current._set(flow_name="F", run_id="r1", step_name="train", task_id="0")
    try:
        with pytest.raises(TaskKilled, match="scheduler lost"):
            for _ in range(100):  # the user's step, sleeping; the scheduler dies meanwhile
                time.sleep(0.05)
                if runs.reads >= 2:
                    runs.record = _record(pid=_dead_pid())
    finally:
        current._clear()
        watch.stop()
    assert watch.reason and watch.reason.startswith("scheduler lost")



def test_a_scheduler_lost_before_the_steps_code_started_stops_it_once_it_starts():
    """Found lost while the task still loads its inputs: the step's code is stopped as soon as it
    runs (not left to sleep until the grace period ends the process), and only once."""
    runs = Runs(_record(pid=_dead_pid()))
    watch = _watch(runs, grace=30.0).start()
    try:
        time.sleep(0.3)  # loading inputs: the first stop signals arrive outside the step's code
        assert watch.reason and runs.reads == 1
        current._set(flow_name="F", run_id="r1", step_name="train", task_id="0")
        started = time.monotonic()
        with pytest.raises(TaskKilled, match="scheduler lost"):
            time.sleep(5)  # the user's step
        assert time.monotonic() - started < 1.0
        time.sleep(0.3)  # further signals while the failure is recorded raise nothing
    finally:
        current._clear()
        watch.stop()

def test_checks_stop_with_the_task():
    runs = Runs(_record())
    watch = _watch(runs).start()
    time.sleep(0.2)
    watch.stop()
    time.sleep(0.1)
    reads = runs.reads
    time.sleep(0.3)
    assert reads >= 2 and runs.reads == reads


def test_a_step_that_never_returns_to_the_interpreter_still_ends_the_job(tmp_path):
    """Code stuck where the stop cannot be raised (here: outside the step's code) is ended after the grace."""
    script = textwrap.dedent("""
        import os, subprocess, sys, time
        from sfncompile.runtime.scheduler_watch import SchedulerWatch
        dead = subprocess.Popen([sys.executable, "-c", "pass"]); dead.wait()
        from sfncompile.storage.liveness import this_host
        class Runs:
            def get_run(self, flow, run_id):
                return {"status": "RUNNING", "scheduler_pid": dead.pid, "scheduler_host": this_host()}
        SchedulerWatch(Runs(), "F", "r1", 0.05, grace=0.5).start()
        time.sleep(30)
        print("not stopped")
    """)
    began = time.time()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "not stopped" not in proc.stdout, proc
    assert time.time() - began < 20
    assert "stopping F/r1's step: scheduler lost" in proc.stderr and "did not stop within 0.5 s" in proc.stderr


@pytest.mark.parametrize("raw, expected", [(None, None), ("", None), ("60", 60.0), ("0.5", 0.5), ("0", None),
                                           ("soon", None)])
def test_check_interval_from_the_environment(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv(scheduler_watch.ENV, raising=False)
    else:
        monkeypatch.setenv(scheduler_watch.ENV, raw)
    assert scheduler_watch.check_seconds_from_env() == expected
