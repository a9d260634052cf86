"""Batch jobs submitted from the laptop: submit, poll with backoff, stream their logs, terminate.

This module knows Batch and CloudWatch Logs (through injected boto3-shaped clients) and
nothing of flows: the executor (``executor.py``) turns its events into task results.

Polling: one ``DescribeJobs`` call covers up to 100 jobs (the API's limit), so a wide
foreach costs one call per poll, not one per job. The interval grows with the age of the
youngest job being waited for (5 % of it, between :data:`MIN_POLL` and :data:`MAX_POLL`):
a short job is noticed within a few hundredths of a second of its end, a job queued for
minutes is asked about every few seconds. Throttling is retried by botocore (adaptive mode).

Logs: while a job runs, its CloudWatch stream (``container.logStreamName``) is read at most
every :data:`LOG_POLL` seconds, and all running jobs together at most :data:`LOG_RATE` times a
second (GetLogEvents has a low account-wide quota: a hundred running jobs must not exhaust
it); when a job ends, the rest is read once. Lines the task printed
already carry its ``[pathspec]`` prefix; other lines (an environment's bootstrap) get it.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..aws.job_reason import job_reason

FINAL = ("SUCCEEDED", "FAILED")
DESCRIBE_BATCH = 100  # DescribeJobs takes at most 100 job ids
MIN_POLL = 0.05
MAX_POLL = 5.0
POLL_FRACTION = 0.05
LOG_POLL = 2.0
LOG_RATE = 5.0  # live GetLogEvents calls per second, all jobs together (a token bucket)
LOG_BURST = 10.0
MISSING_POLLS = 3  # a job DescribeJobs stops returning is gone after this many polls (and GONE_AFTER s)
POLL_FAILURES = 5  # consecutive failed polls (network, throttling past botocore's retries) before giving up
GONE_AFTER = 10.0  # right after SubmitJob, DescribeJobs may not return the job yet (eventual consistency)
STATUS_REPEAT = 30.0  # an unchanged status is shown again after this long
LOG_PAGE_EVENTS = 10_000  # GetLogEvents returns at most this many events (or 1 MB) per call


@dataclass
class JobSpec:
    """What SubmitJob is asked for (boto3 ``submit_job`` keyword arguments)."""

    name: str
    queue: str
    definition: str
    parameters: Dict[str, str]
    command: Optional[List[str]] = None
    environment: Dict[str, str] = field(default_factory=dict)
    resources: List[Dict[str, str]] = field(default_factory=list)
    timeout_seconds: Optional[int] = None
    tags: Dict[str, str] = field(default_factory=dict)

    def request(self) -> Dict[str, Any]:
        overrides: Dict[str, Any] = {}
        if self.command:
            overrides["command"] = list(self.command)
        if self.environment:
            overrides["environment"] = [{"name": k, "value": v} for k, v in sorted(self.environment.items())]
        if self.resources:
            overrides["resourceRequirements"] = list(self.resources)
        request: Dict[str, Any] = {"jobName": self.name, "jobQueue": self.queue, "jobDefinition": self.definition,
                                   "parameters": dict(self.parameters)}
        if overrides:
            request["containerOverrides"] = overrides
        if self.timeout_seconds:
            request["timeout"] = {"attemptDurationSeconds": int(self.timeout_seconds)}
        if self.tags:
            request["tags"] = dict(self.tags)
            request["propagateTags"] = True
        return request


@dataclass
class Job:
    """One submitted job as this process knows it."""

    key: Any  # the caller's handle for it
    pathspec: str
    job_id: str
    submitted: float
    status: str = "SUBMITTED"
    status_since: float = 0.0
    shown: Tuple[str, float] = ("", 0.0)  # the status last shown, and when
    reason: Optional[str] = None  # statusReason (a host-level failure, a termination)
    exit_code: Optional[int] = None
    log_stream: Optional[str] = None
    log_token: Optional[str] = None
    log_due: float = 0.0
    log_lines: int = 0
    missing: int = 0
    gone: bool = False
    terminated: bool = False

    @property
    def ended(self) -> bool:
        return self.status in FINAL or self.gone


class BatchJobs:
    """The jobs of one run: submit, poll, stream logs, terminate.

    ``batch`` / ``logs``: boto3 clients (or anything with the same methods);
    ``say(line)``: where log lines go; ``show(job, line)``: where status lines go;
    ``clock``: monotonic seconds."""

    def __init__(self, batch: Any, logs: Any, log_group: Optional[str], say: Callable[[str], None],
                 show: Optional[Callable[[Job, str], None]] = None, clock: Callable[[], float] = time.monotonic,
                 echo_logs: bool = True) -> None:
        self.batch = batch
        self.logs = logs
        self.log_group = log_group
        self.say = say
        self.show = show or (lambda job, line: say(line))
        self.clock = clock
        self.echo_logs = echo_logs
        self.jobs: Dict[str, Job] = {}
        self.calls: Counter = Counter()  # API operation -> calls (benchmarks report them)
        self._next_poll = 0.0
        self._failures = 0
        self._log_tokens = LOG_BURST
        self._log_refilled = clock()

    # ------------------------------------------------------------------ submit / terminate
    def submit(self, key: Any, pathspec: str, spec: JobSpec) -> Job:
        self.calls["SubmitJob"] += 1
        response = self.batch.submit_job(**spec.request())
        now = self.clock()
        job = Job(key, pathspec, response["jobId"], now, status_since=now)
        self.jobs[job.job_id] = job
        due = now + MIN_POLL
        self._next_poll = min(self._next_poll, due) if self._next_poll > now else due
        return job

    def terminate(self, job: Job, reason: str) -> None:
        """TerminateJob (it also cancels a job not started yet); a job already ended is left alone."""
        self.jobs.pop(job.job_id, None)
        if job.ended or job.terminated:
            return
        job.terminated = True
        self.calls["TerminateJob"] += 1
        try:
            self.batch.terminate_job(jobId=job.job_id, reason=reason[:250])
        except Exception:  # the job may be gone already; nothing else to do for it
            pass

    # ------------------------------------------------------------------ polling
    def next_poll_in(self) -> float:
        """Seconds until the next poll is due (0: now)."""
        return max(0.0, self._next_poll - self.clock())

    def poll(self) -> List[Job]:
        """If due: describe every unfinished job, show status changes, stream logs; the jobs that ended."""
        now = self.clock()
        waiting = [j for j in self.jobs.values() if not j.ended]
        if not waiting or now < self._next_poll:
            return []
        try:
            seen = self._describe(waiting)
        except Exception as exc:  # a blip must not fail the run; a lasting failure does
            self._failures += 1
            if self._failures >= POLL_FAILURES:
                raise
            wait = min(MAX_POLL, MIN_POLL * 4 ** self._failures)
            self.say(f"could not ask AWS Batch about {len(waiting)} job(s): {' '.join(str(exc).split())}; "
                     f"trying again in {wait:g} s")
            self._next_poll = self.clock() + wait
            return []
        self._failures = 0
        now = self.clock()
        ended: List[Job] = []
        live: List[Job] = []
        for job in waiting:
            desc = seen.get(job.job_id)
            if desc is None:
                job.missing += 1
                if job.missing >= MISSING_POLLS and now - job.submitted >= GONE_AFTER:
                    job.gone = True
                    job.reason = (f"Batch job {job.job_id} is gone: DescribeJobs stopped returning it "
                                  f"(last seen {job.status})")
            else:
                job.missing = 0
                self._update(job, desc, now)
            if job.ended:
                self._drain_logs(job)
                ended.append(job)
                self.jobs.pop(job.job_id, None)
            else:
                self._show_status(job, now)
                if job.status == "RUNNING" and now >= job.log_due:
                    live.append(job)
        self._stream_live(live, now)
        youngest = min((now - j.submitted for j in self.jobs.values() if not j.ended), default=0.0)
        self._next_poll = now + min(MAX_POLL, max(MIN_POLL, youngest * POLL_FRACTION))
        return ended

    def _describe(self, jobs: List[Job]) -> Dict[str, Dict[str, Any]]:
        found: Dict[str, Dict[str, Any]] = {}
        ids = [j.job_id for j in jobs]
        for i in range(0, len(ids), DESCRIBE_BATCH):
            self.calls["DescribeJobs"] += 1
            for desc in self.batch.describe_jobs(jobs=ids[i:i + DESCRIBE_BATCH]).get("jobs", []):
                found[desc["jobId"]] = desc
        return found

    def _update(self, job: Job, desc: Dict[str, Any], now: float) -> None:
        status = desc.get("status") or job.status
        if status != job.status:
            job.status, job.status_since = status, now
        container = desc.get("container") or {}
        attempts = desc.get("attempts") or []
        job.log_stream = container.get("logStreamName") or (
            (attempts[-1].get("container") or {}).get("logStreamName") if attempts else None) or job.log_stream
        if status in FINAL:
            job.reason = job_reason(desc)
            code = container.get("exitCode")
            job.exit_code = int(code) if code is not None else None

    def _show_status(self, job: Job, now: float) -> None:
        shown_status, shown_at = job.shown
        if shown_status == job.status and now - shown_at < STATUS_REPEAT:
            return
        job.shown = (job.status, now)
        self.show(job, status_line(job, now))

    # ------------------------------------------------------------------ logs
    def _read_logs(self, job: Job, drain: bool) -> None:
        if not job.log_stream or not self.log_group or self.logs is None:
            return
        while True:
            kwargs: Dict[str, Any] = {"logGroupName": self.log_group, "logStreamName": job.log_stream,
                                      "startFromHead": True}
            if job.log_token:
                kwargs["nextToken"] = job.log_token
            self.calls["GetLogEvents"] += 1
            try:
                page = self.logs.get_log_events(**kwargs)
            except Exception:  # no stream yet, or logs not readable: the stored log still has everything
                return
            events = page.get("events") or []
            for event in events:
                self._echo(job, event.get("message", ""))
            token = page.get("nextForwardToken")
            more = token and token != job.log_token and len(events) >= LOG_PAGE_EVENTS
            job.log_token = token or job.log_token
            if not (drain and more):
                return

    def _stream_live(self, due: List[Job], now: float) -> None:
        """Read the streams of running jobs whose turn it is, longest-waiting first, within the rate."""
        self._log_tokens = min(LOG_BURST, self._log_tokens + (now - self._log_refilled) * LOG_RATE)
        self._log_refilled = now
        for job in sorted(due, key=lambda j: j.log_due):
            if self._log_tokens < 1:
                return
            self._log_tokens -= 1
            job.log_due = now + LOG_POLL
            self._read_logs(job, drain=False)

    def _drain_logs(self, job: Job) -> None:
        self._read_logs(job, drain=True)

    def _echo(self, job: Job, message: str) -> None:
        job.log_lines += 1
        if not self.echo_logs:
            return
        prefix = f"[{job.pathspec}]"
        for line in message.rstrip("\n").split("\n"):
            self.say(line if line.startswith(prefix) else f"{prefix} {line}")

    def echo_text(self, job: Job, text: str) -> None:
        """Show text the job stored itself (its CloudWatch stream had nothing), line by line with the prefix."""
        for line in text.splitlines():
            self._echo(job, line)


def status_line(job: Job, now: float) -> str:
    """``[pathspec] on batch (job <id>, RUNNABLE 12 s)``: how long it has been in this status."""
    return f"[{job.pathspec}] on batch (job {job.job_id}, {job.status} {int(now - job.status_since)} s)"
