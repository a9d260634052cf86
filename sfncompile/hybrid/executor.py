"""The remote executor: the local scheduler's tasks of some steps run as AWS Batch jobs.

It has the shape of the local process pool (``local/pool.py``) - ``start``, ``poll``,
``kill``, ``running``, ``has_capacity``, ``shutdown`` - so the scheduler dispatches a
task to one or the other and handles results, retries, ``@catch`` and resume the same way.

A remote task's result is what the task stored: the job runs the real ``sfncompile task``
against the run's S3 datastore and DynamoDB table, so when the job ends the executor reads
the attempt back (its commit record when it succeeded, its attempt record when the step
raised). A job that ended with nothing stored (a host that died, an image that could not
be pulled, a termination, a job Batch forgot) is reported like a task process that died:
the scheduler records the attempt as failed and @retry / @catch apply.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from ..compiler.jobparams import fill_command, job_parameters
from ..local.pool import signals_held
from ..runtime.inputs import InputError
from ..runtime.task import TaskResult
from ..storage.interfaces import FAILED, SUCCEEDED
from .jobs import BatchJobs, Job, JobSpec

TERMINATE_REASON = "stopped by sfncompile: the run was stopped"


@dataclass
class StepJob:
    """How one step's tasks are submitted: everything but the task's own identity."""

    name: str
    queue: str
    definition: str
    environment: Dict[str, str] = field(default_factory=dict)
    resources: List[Dict[str, str]] = field(default_factory=list)
    timeout_seconds: Optional[int] = None
    tags: Dict[str, str] = field(default_factory=dict)
    env_id: Optional[str] = None  # a package environment: the command gets --environment ID


class RemoteTask:
    """A task running as a Batch job (the pool's TaskProcess, for the scheduler)."""

    __slots__ = ("task", "started", "deadline", "job", "message", "refused")

    def __init__(self, task: Any, message: Tuple[str, str, int, Optional[str]]) -> None:
        self.task = task
        self.message = message
        self.started = time.time()
        self.deadline: Optional[float] = None  # Batch enforces @timeout (attemptDurationSeconds)
        self.job: Optional[Job] = None
        self.refused: Optional[str] = None  # SubmitJob failed: why


def task_command(parameters: Dict[str, str], env_id: Optional[str]) -> List[str]:
    """The job definition's task command with every value filled in, plus ``--environment ID``.

    Always sent as the job's command override: the stack's base job definition may come
    from an older infra whose command names its ``Ref::`` parameters differently.
    """
    words = fill_command(parameters)
    return words + ["--environment", env_id] if env_id else words


class BatchExecutor:
    """Runs the tasks of ``steps`` as Batch jobs, up to ``size`` at a time."""

    def __init__(self, steps: Dict[str, StepJob], jobs: BatchJobs, size: int) -> None:
        self.steps = steps
        self.jobs = jobs
        self.size = max(1, int(size))
        self.running: List[RemoteTask] = []
        self.flow = ""
        self.run_id = ""
        self.stores: Any = None

    def bind(self, flow: str, run_id: str, stores: Any) -> None:
        """The run whose tasks this executor submits (known once the scheduler created it)."""
        self.flow, self.run_id, self.stores = flow, run_id, stores

    def wants(self, step: str, forced: Optional[str]) -> bool:
        """Remote steps run here, except a forced failure path (it only stores the exception: no user code)."""
        return step in self.steps and not forced

    def has_capacity(self) -> bool:
        return len(self.running) < self.size

    def job_spec(self, step: str, run_id: str, task_id: str, attempt: int) -> JobSpec:
        """The SubmitJob of one task of ``step``."""
        settings = self.steps[step]
        parameters = job_parameters(step, run_id, task_id, attempt)
        return JobSpec(
            name=settings.name, queue=settings.queue, definition=settings.definition,
            parameters=parameters, command=task_command(parameters, settings.env_id),
            environment=settings.environment, resources=settings.resources,
            timeout_seconds=settings.timeout_seconds, tags=settings.tags,
        )

    def check_sizes(self) -> None:
        """ConfigError before any job when a step's SubmitJob could not run (``compiler/batch_limits``)."""
        from ..compiler.batch_limits import LATEST_ATTEMPT, LONGEST_RUN_ID, LONGEST_TASK_ID, submit_job_problem
        from ..exceptions import ConfigError

        for step in self.steps:
            problem = submit_job_problem(self.job_spec(step, LONGEST_RUN_ID, LONGEST_TASK_ID, LATEST_ATTEMPT).request())
            if problem is not None:
                raise ConfigError(f"the Batch job of step '{step}' cannot run: {problem}",
                                  fix="pass fewer or shorter --with decorators, or run the step locally")

    def start(self, task: Any, message: Tuple[str, str, int, Optional[str]], timeout: Optional[float] = None,
              grace: float = 0.0, python: Optional[str] = None) -> RemoteTask:
        step, task_id, attempt, _ = message
        handle = RemoteTask(task, message)
        spec = self.job_spec(step, self.run_id, task_id, attempt)
        self.running.append(handle)
        try:
            # Ctrl-C waits for SubmitJob's answer: a job submitted is always known, so it can be terminated.
            with signals_held():
                handle.job = self.jobs.submit(handle, self._pathspec(step, task_id), spec)
        except Exception as exc:  # e.g. a queue that does not exist, sizes the queue cannot run: this attempt fails
            handle.refused = f"AWS Batch did not accept the job: {_one_line(exc)}"
        return handle

    def next_wait(self) -> float:
        if any(h.refused for h in self.running):
            return 0.0
        return self.jobs.next_poll_in() if self.running else 3600.0

    def poll(self, timeout: float = 0.0) -> List[Tuple[RemoteTask, Any, Optional[str]]]:
        """Results of ended jobs: [(handle, (task, TaskResult), None)] or [(handle, None, how it ended)]."""
        if not self.running:
            return []
        out: List[Tuple[RemoteTask, Any, Optional[str]]] = []
        for handle in [h for h in self.running if h.refused]:
            self.running.remove(handle)
            out.append((handle, None, handle.refused))
        for job in self.jobs.poll():
            handle = job.key
            if handle in self.running:
                self.running.remove(handle)
            out.append(self._outcome(handle, job))
        return out

    def kill(self, handle: RemoteTask) -> str:
        if handle in self.running:
            self.running.remove(handle)
        if handle.job is not None:
            self.jobs.terminate(handle.job, TERMINATE_REASON)
            return f"Batch job {handle.job.job_id} terminated"
        return "Batch job terminated"

    def shutdown(self) -> None:
        for handle in list(self.running):
            self.kill(handle)

    # ------------------------------------------------------------------ results
    def _pathspec(self, step: str, task_id: str) -> str:
        return f"{self.flow}/{self.run_id}/{step}/{task_id}"

    def _outcome(self, handle: RemoteTask, job: Job) -> Tuple[RemoteTask, Any, Optional[str]]:
        step, task_id, attempt, _ = handle.message
        result = stored_result(self.stores, self.flow, self.run_id, step, task_id, attempt, handle.started)
        if job.log_lines == 0 and result is not None:
            self._echo_stored_logs(job, step, task_id, attempt, None if result.ok else result.error)
        if result is not None:
            return handle, (handle.task, result), None
        if job.gone:
            return handle, None, job.reason or f"Batch job {job.job_id} is gone"
        how = f"the Batch job {job.job_id} {job.status}"
        if job.reason:
            how += f": {job.reason}"
        if job.status == SUCCEEDED:
            how += " but the task stored no result"
        return handle, None, how

    def _echo_stored_logs(self, job: Job, step: str, task_id: str, attempt: int, error: Optional[str]) -> None:
        """The job's CloudWatch stream had nothing (no log driver, or not delivered yet): show what it stored
        (without the failure's traceback, which the scheduler prints)."""
        from ..runtime.artifacts import ArtifactIO

        aio = ArtifactIO(self.stores.artifacts, self.flow)
        for stream in ("stdout", "stderr"):
            try:
                text = aio.get_log(self.run_id, step, task_id, attempt, stream)
            except Exception:
                continue
            if error and text.endswith(error):
                text = text[: -len(error)]
            self.jobs.echo_text(job, text)


def _seconds(iso: Optional[str], default: float) -> float:
    if not iso:
        return default
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return default


def stored_result(stores: Any, flow: str, run_id: str, step: str, task_id: str, attempt: int,
                  started: float) -> Optional[TaskResult]:
    """The outcome an attempt stored: its commit record (success), its attempt record (the step raised), or None."""
    from ..runtime.artifacts import ArtifactIO

    now = time.time()
    doc = ArtifactIO(stores.artifacts, flow, stores.metadata).attempt(run_id, step, task_id, attempt)
    if doc is not None:
        cardinality = doc.get("cardinality")
        return TaskResult(flow, run_id, step, task_id, attempt, SUCCEEDED,
                          _seconds(doc.get("started_at"), started), _seconds(doc.get("finished_at"), now),
                          cardinality=int(cardinality) if cardinality is not None else None,
                          choice=doc.get("choice"), caught=bool(doc.get("caught")))
    record = next((a for a in stores.metadata.list_attempts(flow, run_id, step, task_id)
                   if int(a.get("attempt") or 0) == attempt), None)
    if record is None or record.get("status") != FAILED or not record.get("error"):
        return None
    raised = _raised(record["error"])
    return TaskResult(flow, run_id, step, task_id, attempt, FAILED, _seconds(record.get("started_at"), started),
                      _seconds(record.get("finished_at"), now), error=record["error"],
                      error_type=raised.rsplit(".", 1)[-1] or None,
                      retryable=raised != _INPUT_ERROR)  # as locally: retrying cannot bring missing inputs back


_INPUT_ERROR = f"{InputError.__module__}.{InputError.__qualname__}"


def _raised(text: str) -> str:
    """The exception class a traceback's last line names, qualified as printed
    (``ValueError: ...`` -> ``ValueError``; ``pkg.mod.Error: ...`` -> ``pkg.mod.Error``), or ''."""
    last = text.strip().splitlines()[-1] if text.strip() else ""
    name = last.split(":", 1)[0].strip()
    return name if all(part.isidentifier() for part in name.split(".")) else ""


def _one_line(exc: Exception) -> str:
    """An AWS error as one line (botocore's text names the operation, the code and the message)."""
    return " ".join(str(exc).split()) or type(exc).__name__
