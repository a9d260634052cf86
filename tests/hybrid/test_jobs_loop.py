"""The submit / poll / log-stream loop with injected Batch states (no emulator: a scripted client)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from sfncompile.hybrid.jobs import (
    DESCRIBE_BATCH, GONE_AFTER, LOG_BURST, LOG_RATE, MAX_POLL, MIN_POLL, MISSING_POLLS, POLL_FAILURES, STATUS_REPEAT, BatchJobs, JobSpec,
    status_line,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeBatch:
    """Batch as a script: ``states[job_id]`` is what DescribeJobs answers (None: not returned)."""

    def __init__(self) -> None:
        self.states: Dict[str, Optional[Dict[str, Any]]] = {}
        self.submitted: List[Dict[str, Any]] = []
        self.describe_calls: List[List[str]] = []
        self.terminated: List[str] = []

    def submit_job(self, **request: Any) -> Dict[str, Any]:
        job_id = f"job-{len(self.submitted)}"
        self.submitted.append(request)
        self.states[job_id] = {"jobId": job_id, "status": "SUBMITTED"}
        return {"jobId": job_id, "jobName": request["jobName"]}

    def describe_jobs(self, jobs: List[str]) -> Dict[str, Any]:
        assert len(jobs) <= 100  # the API's limit
        self.describe_calls.append(list(jobs))
        return {"jobs": [dict(self.states[j]) for j in jobs if self.states.get(j) is not None]}

    def terminate_job(self, jobId: str, reason: str) -> Dict[str, Any]:
        self.terminated.append(jobId)
        return {}


class FakeLogs:
    def __init__(self) -> None:
        self.streams: Dict[str, List[str]] = {}
        self.calls = 0

    def get_log_events(self, logGroupName: str, logStreamName: str, startFromHead: bool,
                       nextToken: Optional[str] = None) -> Dict[str, Any]:
        self.calls += 1
        lines = self.streams.get(logStreamName, [])
        start = int(nextToken.split("/")[1]) if nextToken else 0
        return {"events": [{"message": m, "timestamp": 0} for m in lines[start:]],
                "nextForwardToken": f"f/{len(lines)}"}


def _spec() -> JobSpec:
    return JobSpec(name="F-train", queue="q", definition="jd", parameters={"s": "train"})


def _loop():
    clock, batch, logs, lines = Clock(), FakeBatch(), FakeLogs(), []
    jobs = BatchJobs(batch, logs, "/group", lines.append, clock=clock)
    return clock, batch, logs, lines, jobs


def test_runnable_for_a_long_time_is_shown_and_polled_less_and_less_often():
    clock, batch, _, lines, jobs = _loop()
    job = jobs.submit("k", "F/1/train/0", _spec())
    assert batch.submitted[0]["jobName"] == "F-train" and job.job_id == "job-0"
    batch.states["job-0"]["status"] = "RUNNABLE"
    intervals = []
    for _ in range(200):
        clock.now += jobs.next_poll_in()
        assert jobs.poll() == []
        intervals.append(jobs.next_poll_in())
    waited = clock.now - job.submitted
    assert waited > 120
    assert intervals[0] == pytest.approx(MIN_POLL) and intervals[-1] == pytest.approx(MAX_POLL)
    assert all(b >= a - 1e-9 for a, b in zip(intervals, intervals[1:]))  # backoff: never shorter than the last
    assert len(batch.describe_calls) == 200
    shown = [line for line in lines if "on batch" in line]
    assert shown[0] == "[F/1/train/0] on batch (job job-0, RUNNABLE 0 s)"
    # shown again every STATUS_REPEAT seconds while it queues, with the time it has waited
    seconds = [int(line.rsplit("RUNNABLE ", 1)[1].split()[0]) for line in shown]
    assert len(seconds) > 4 and all(b - a >= STATUS_REPEAT for a, b in zip(seconds, seconds[1:]))
    assert status_line(job, clock.now).endswith(f"RUNNABLE {int(clock.now - job.status_since)} s)")


def test_not_due_means_no_call():
    clock, batch, _, _, jobs = _loop()
    jobs.submit("k", "F/1/train/0", _spec())
    assert jobs.poll() == [] and batch.describe_calls == []
    clock.now += MIN_POLL
    jobs.poll()
    assert len(batch.describe_calls) == 1


def test_failed_with_a_host_level_reason_reports_it():
    clock, batch, _, _, jobs = _loop()
    jobs.submit("k", "F/1/train/0", _spec())
    batch.states["job-0"] = {
        "jobId": "job-0", "status": "FAILED", "statusReason": "Host EC2 (instance i-0abc) terminated.",
        "attempts": [{"container": {"reason": "CannotInspectContainerError: host gone"},
                      "statusReason": "Host EC2 (instance i-0abc) terminated."}],
    }
    clock.now += 1
    [ended] = jobs.poll()
    assert ended.key == "k" and ended.status == "FAILED" and ended.exit_code is None
    assert ended.reason == "Host EC2 (instance i-0abc) terminated.; CannotInspectContainerError: host gone"
    assert jobs.jobs == {}


def test_a_job_that_disappears_is_reported_gone_not_waited_for_forever():
    clock, batch, _, _, jobs = _loop()
    jobs.submit("k", "F/1/train/0", _spec())
    batch.states["job-0"]["status"] = "RUNNING"
    clock.now += 1
    jobs.poll()
    batch.states["job-0"] = None  # DescribeJobs stops returning it
    for _ in range(MISSING_POLLS - 1):
        clock.now += GONE_AFTER
        assert jobs.poll() == []
    clock.now += GONE_AFTER
    [ended] = jobs.poll()
    assert ended.gone and "DescribeJobs stopped returning it (last seen RUNNING)" in ended.reason


def test_a_job_not_yet_visible_right_after_submit_is_not_gone():
    clock, batch, _, _, jobs = _loop()
    jobs.submit("k", "F/1/train/0", _spec())
    batch.states["job-0"] = None  # eventual consistency: not returned yet
    for _ in range(MISSING_POLLS + 2):
        clock.now += MIN_POLL
        assert jobs.poll() == []
    batch.states["job-0"] = {"jobId": "job-0", "status": "SUCCEEDED", "container": {"exitCode": 0}}
    clock.now += 1
    [ended] = jobs.poll()
    assert ended.status == "SUCCEEDED" and not ended.gone and ended.exit_code == 0


def test_logs_stream_while_running_with_the_pathspec_prefix_and_drain_at_the_end():
    clock, batch, logs, lines, jobs = _loop()
    jobs.submit("k", "F/1/train/0", _spec())
    batch.states["job-0"] = {"jobId": "job-0", "status": "RUNNING", "container": {"logStreamName": "s/1"}}
    logs.streams["s/1"] = ["[F/1/train/0] epoch 1", "bootstrap: installing"]
    clock.now += 1
    jobs.poll()
    assert "[F/1/train/0] epoch 1" in lines and "[F/1/train/0] bootstrap: installing" in lines
    logs.streams["s/1"].append("[F/1/train/0] epoch 2")
    clock.now += MIN_POLL  # polled again, but logs are read at most every LOG_POLL seconds
    jobs.poll()
    assert "[F/1/train/0] epoch 2" not in lines
    logs.streams["s/1"].append("[F/1/train/0] done")
    batch.states["job-0"] = {"jobId": "job-0", "status": "SUCCEEDED", "container": {"logStreamName": "s/1",
                                                                                     "exitCode": 0}}
    clock.now += 1
    [ended] = jobs.poll()
    log_lines = [line for line in lines if "on batch" not in line]
    assert log_lines == ["[F/1/train/0] epoch 1", "[F/1/train/0] bootstrap: installing", "[F/1/train/0] epoch 2",
                         "[F/1/train/0] done"]  # each line once, in order
    assert ended.log_lines == 4


def test_one_describe_call_covers_up_to_100_jobs():
    clock, batch, _, _, jobs = _loop()
    for i in range(DESCRIBE_BATCH + 50):
        jobs.submit(i, f"F/1/square/{i}", _spec())
    clock.now += 1
    jobs.poll()
    assert [len(call) for call in batch.describe_calls] == [100, 50]
    assert jobs.calls["SubmitJob"] == 150 and jobs.calls["DescribeJobs"] == 2


def test_terminate_calls_terminate_job_once_and_forgets_the_job():
    clock, batch, _, _, jobs = _loop()
    job = jobs.submit("k", "F/1/train/0", _spec())
    jobs.terminate(job, "stopped")
    jobs.terminate(job, "stopped")
    assert batch.terminated == ["job-0"] and jobs.jobs == {}
    clock.now += 1
    assert jobs.poll() == [] and batch.describe_calls == []


def test_submit_request_carries_overrides_timeout_and_tags():
    spec = JobSpec(name="F-train", queue="q", definition="jd", parameters={"s": "train"},
                   command=["sfncompile", "task", "train"], environment={"B": "2", "A": "1"},
                   resources=[{"type": "VCPU", "value": "4"}], timeout_seconds=60, tags={"t": "v"})
    request = spec.request()
    assert request["containerOverrides"] == {
        "command": ["sfncompile", "task", "train"],
        "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "resourceRequirements": [{"type": "VCPU", "value": "4"}],
    }
    assert request["timeout"] == {"attemptDurationSeconds": 60} and request["tags"] == {"t": "v"}


def test_a_failing_describe_is_retried_with_backoff_then_raised():
    clock, batch, _, lines, jobs = _loop()
    jobs.submit("k", "F/1/train/0", _spec())
    calls = []

    def broken(jobs):
        calls.append(jobs)
        raise ConnectionError("endpoint unreachable")

    batch.describe_jobs = broken
    waits = []
    for _ in range(POLL_FAILURES - 1):
        clock.now += jobs.next_poll_in()
        assert jobs.poll() == []
        waits.append(jobs.next_poll_in())
    assert waits == sorted(waits) and waits[0] > MIN_POLL
    assert "could not ask AWS Batch about 1 job(s): endpoint unreachable; trying again in" in lines[0]
    clock.now += jobs.next_poll_in()
    with pytest.raises(ConnectionError):
        jobs.poll()
    assert len(calls) == POLL_FAILURES


def test_live_log_reads_of_many_running_jobs_stay_within_the_rate():
    clock, batch, logs, _, jobs = _loop()
    for i in range(100):
        job = jobs.submit(i, f"F/1/square/{i}", _spec())
        batch.states[job.job_id] = {"jobId": job.job_id, "status": "RUNNING",
                                    "container": {"logStreamName": f"s/{i}"}}
    start = clock.now
    while clock.now - start < 20:
        clock.now += max(jobs.next_poll_in(), MIN_POLL)
        jobs.poll()
    assert logs.calls <= LOG_BURST + LOG_RATE * (clock.now - start)  # not 100 jobs x every LOG_POLL seconds
    assert logs.calls >= LOG_RATE * 20 - 1  # ... but the budget is used: every stream gets its turn
    assert {j.log_token is not None for j in jobs.jobs.values()} == {True}
