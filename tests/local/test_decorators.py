"""@catch, @retry, @timeout, @environment, and a worker killed by the OS."""
from __future__ import annotations

import time

from sfncompile import Run
from sfncompile.runtime.caught import CaughtException

from .helpers import run_flow


def test_catch_linear_and_switch(start_method):
    outcome, text = run_flow("catch_flow")
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    boom = run["boom"].task
    assert boom.successful
    err = boom.data.boom_error
    assert isinstance(err, CaughtException)
    assert err.type == "ValueError" and err.message == "boom went the step"
    assert "raise ValueError" in err.traceback
    assert boom.data.before == "set before the failure"  # what the step set before failing is kept
    assert boom.exception == err
    # a failed switch goes to its first case that does not loop back
    decide = run["decide"].task
    assert decide.choice == "go"
    assert decide.data.switch_error.type == "RuntimeError"
    assert run["after"].task.data.seen_boom == "ValueError: boom went the step"
    assert run.data.done is True
    assert [t.id for t in run["decide"].tasks()] == ["v0"]
    assert "exception caught by @catch" in text
    # print_exception=True (the switch) prints a line; the traceback is in the task's stderr log
    assert "Traceback" in decide.stderr


def test_catch_foreach_split_fans_out_to_nothing():
    outcome, text = run_flow("catch_foreach_flow")
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    split = run["split"].task
    assert split.cardinality == 0
    assert "work" not in run
    join = run["join"].task
    assert join.data.values == []
    assert join.data.error_text == "KeyError: 'no items today'"
    assert join.data.base == 5


def test_retry_flaky_step_with_delay(start_method):
    outcome, text = run_flow("retry_flow")
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    task = run["flaky"].task
    assert task.data.attempt_seen == 1
    assert task.successful_attempt == 1
    attempts = task.attempts()
    assert [a["status"] for a in attempts] == ["FAILED", "SUCCEEDED"]
    assert "flaky failure" in attempts[0]["error"]
    # the delay (0.01 min = 0.6 s) is honored between the attempts
    t0 = _ts(attempts[0]["finished_at"])
    t1 = _ts(attempts[1]["started_at"])
    assert t1 - t0 >= 0.55, (t0, t1)
    assert task.log("stdout", attempt=0) == "attempt 0\n"
    assert task.stdout == "attempt 1\n"
    assert "attempt 0 failed: RuntimeError: flaky failure on the first attempt; retrying in" in text


def _ts(text):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_timeout_stops_step_then_fails_after_retry(start_method):
    began = time.time()
    outcome, text = run_flow("timeout_flow")
    elapsed = time.time() - began
    assert not outcome.ok
    assert elapsed < 10
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    assert run.status == "FAILED"
    task = run["sleepy"].task
    attempts = task.attempts()
    assert [a["status"] for a in attempts] == ["FAILED", "FAILED"]
    assert all("@timeout of 1 s" in a["error"] for a in attempts)
    assert "TimeoutException" in text


def test_timeout_kills_a_worker_that_ignores_the_alarm(monkeypatch):
    monkeypatch.setenv("TIMEOUT_FLOW_BLOCK_SIGNALS", "1")
    began = time.time()
    outcome, text = run_flow("timeout_flow")
    assert not outcome.ok
    assert time.time() - began < 15
    attempts = Run(f"{outcome.flow}/{outcome.run_id}")["sleepy"].task.attempts()
    assert len(attempts) == 2
    assert all("killed" in a["error"] for a in attempts)


def test_environment(start_method):
    outcome, text = run_flow("environment_flow")
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    assert run["start"].task.data.before is None
    assert run["with_env"].task.data.inside == "hello"
    assert run["with_env"].task.data.other == "x"
    assert run.data.after is None  # restored after the step (workers are reused)


def test_worker_killed_by_the_os_is_a_failed_attempt_then_retried(start_method):
    outcome, text = run_flow("killed_flow", max_workers=1)
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    task = run["victim"].task
    assert task.data.survived == 1
    attempts = task.attempts()
    assert [a["status"] for a in attempts] == ["FAILED", "SUCCEEDED"]
    assert "SIGKILL" in attempts[0]["error"]


def test_worker_killed_on_every_attempt_fails_cleanly(monkeypatch):
    monkeypatch.setenv("KILLED_FLOW_ALWAYS", "1")
    began = time.time()
    outcome, text = run_flow("killed_flow")
    assert not outcome.ok
    assert time.time() - began < 10
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    assert run.status == "FAILED"
    assert run.failed_step == "victim"
    assert "SIGKILL" in text


def test_catch_when_the_worker_is_killed_on_the_last_attempt():
    outcome, text = run_flow("catch_killed_flow")
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    assert run.data.error_type == "TaskKilled"
    err = run["victim"].task.data.victim_error
    assert "SIGKILL" in err.message
    assert [a["status"] for a in run["victim"].task.attempts()] == ["SUCCEEDED"]
