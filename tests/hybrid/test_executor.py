"""The remote executor turns ended jobs into task results from what the task stored (local stores,
scripted Batch: see test_jobs_loop.py)."""
from __future__ import annotations

from sfncompile.hybrid.executor import BatchExecutor, StepJob
from sfncompile.hybrid.jobs import BatchJobs
from sfncompile.runtime.artifacts import ArtifactIO
from sfncompile.storage.factory import open_stores

from .test_jobs_loop import Clock, FakeBatch, FakeLogs


def _executor(tmp_path, env_id=None):
    stores = open_stores(f"local:{tmp_path / 'data'}", f"sqlite:{tmp_path / 'meta.sqlite'}")
    stores.metadata.create_run("F", "r1", username="u", namespace="user:u", tags=[], parameters={},
                               origin_run_id=None, status="RUNNING", created_at="2026-01-01T00:00:00.000Z")
    clock, batch, logs, lines = Clock(), FakeBatch(), FakeLogs(), []
    jobs = BatchJobs(batch, logs, "/group", lines.append, clock=clock)
    steps = {"train": StepJob(name="F-train", queue="q", definition="jd", environment={"SFNCOMPILE_PRODUCTION": "0"},
                              env_id=env_id)}
    executor = BatchExecutor(steps, jobs, size=2)
    executor.bind("F", "r1", stores)
    return executor, stores, clock, batch, lines


def _end(batch, clock, job_id, status, **fields):
    batch.states[job_id] = {"jobId": job_id, "status": status, **fields}
    clock.now += 1


def test_submits_the_task_command_as_parameters_and_as_the_command_override(tmp_path):
    """The command is always overridden: a stack's base job definition from an older infra may name
    its ``Ref::`` parameters otherwise."""
    executor, _, _, batch, _ = _executor(tmp_path)
    assert executor.wants("train", None) and not executor.wants("train", "killed") and not executor.wants("end", None)
    executor.start("pending", ("train", "3", 1, None))
    request = batch.submitted[0]
    assert request["parameters"] == {"s": "train", "r": "r1", "t": "3", "a": "1"}
    assert request["containerOverrides"]["command"] == [
        "sfncompile", "task", "train", "--run-id", "r1", "--task-id", "3", "--attempt", "1"]
    assert len(executor.running) == 1 and executor.has_capacity()
    executor2, _, _, batch2, _ = _executor(tmp_path / "env", env_id="abc")
    executor2.start("pending", ("train", "0", 0, None))
    assert batch2.submitted[0]["containerOverrides"]["command"] == [
        "sfncompile", "task", "train", "--run-id", "r1", "--task-id", "0", "--attempt", "0", "--environment", "abc"]


def test_a_committed_attempt_is_the_result(tmp_path):
    executor, stores, clock, batch, lines = _executor(tmp_path)
    handle = executor.start("pending", ("train", "0", 0, None))
    aio = ArtifactIO(stores.artifacts, "F", stores.metadata)
    aio.commit("r1", "train", "0", 0, {}, extra={"cardinality": 4, "choice": None, "caught": False,
                                               "started_at": "2026-01-01T00:00:01.000Z",
                                               "finished_at": "2026-01-01T00:00:03.500Z"})
    aio.put_logs("r1", "train", "0", 0, "hello from the job\n", "")
    _end(batch, clock, "job-0", "SUCCEEDED", container={"exitCode": 0})
    [(got, payload, died)] = executor.poll()
    assert got is handle and died is None and executor.running == []
    task, result = payload
    assert task == "pending" and result.ok and result.cardinality == 4 and result.duration == 2.5
    assert "[F/r1/train/0] hello from the job" in lines  # no CloudWatch stream: the stored log is shown


def test_a_failed_attempt_record_is_a_step_failure(tmp_path):
    executor, stores, clock, batch, lines = _executor(tmp_path)
    executor.start("pending", ("train", "0", 0, None))
    stores.metadata.start_attempt("F", "r1", "train", "0", 0)
    stores.metadata.finish_attempt("F", "r1", "train", "0", 0, status="FAILED",
                                   error="Traceback ...\nValueError: bad input\n")
    _end(batch, clock, "job-0", "FAILED", statusReason="Essential container in task exited",
         container={"exitCode": 1})
    aio = ArtifactIO(stores.artifacts, "F", stores.metadata)
    aio.put_logs("r1", "train", "0", 0, "", "reading input\nTraceback ...\nValueError: bad input\n")
    [(_, (_, result), died)] = executor.poll()
    assert died is None and not result.ok and result.error_type == "ValueError" and "bad input" in result.error
    assert result.retryable
    # the stored log is shown without the traceback: the scheduler prints that with the failure
    assert [line for line in lines if "on batch" not in line] == ["[F/r1/train/0] reading input"]


def test_missing_inputs_on_batch_are_not_retried_as_locally(tmp_path):
    executor, stores, clock, batch, _ = _executor(tmp_path)
    executor.start("pending", ("train", "0", 0, None))
    stores.metadata.start_attempt("F", "r1", "train", "0", 0)
    stores.metadata.finish_attempt("F", "r1", "train", "0", 0, status="FAILED", error=(
        "Traceback (most recent call last):\nsfncompile.runtime.inputs.InputError: train/0 has no input\n"))
    _end(batch, clock, "job-0", "FAILED", container={"exitCode": 1})
    [(_, (_, result), _)] = executor.poll()
    assert result.error_type == "InputError" and not result.retryable
    # a flow's own class of the same name is the step's failure: it is retried
    executor.start("pending", ("train", "1", 0, None))
    stores.metadata.start_attempt("F", "r1", "train", "1", 0)
    stores.metadata.finish_attempt("F", "r1", "train", "1", 0, status="FAILED",
                                   error="Traceback (most recent call last):\nflow.InputError: bad row\n")
    _end(batch, clock, "job-1", "FAILED", container={"exitCode": 1})
    [(_, (_, result), _)] = executor.poll()
    assert result.error_type == "InputError" and result.retryable


def test_a_host_failure_with_nothing_stored_is_a_lost_attempt(tmp_path):
    executor, stores, clock, batch, _ = _executor(tmp_path)
    executor.start("pending", ("train", "0", 0, None))
    _end(batch, clock, "job-0", "FAILED", statusReason="Host EC2 (instance i-0abc) terminated.")
    [(_, payload, died)] = executor.poll()
    assert payload is None and died == "the Batch job job-0 FAILED: Host EC2 (instance i-0abc) terminated."


def test_kill_terminates_the_job(tmp_path):
    executor, _, _, batch, _ = _executor(tmp_path)
    handle = executor.start("pending", ("train", "0", 0, None))
    assert executor.kill(handle) == "Batch job job-0 terminated"
    assert batch.terminated == ["job-0"] and executor.running == []
    executor.start("pending", ("train", "1", 0, None))
    executor.shutdown()
    assert batch.terminated == ["job-0", "job-1"]


def test_a_refused_submission_fails_the_attempt_with_aws_s_reason(tmp_path):
    executor, _, _, batch, _ = _executor(tmp_path)

    def refuse(**request):
        raise RuntimeError("An error occurred (ClientException) when calling the SubmitJob operation:\n"
                           "job queue q does not exist")

    batch.submit_job = refuse
    handle = executor.start("pending", ("train", "0", 0, None))
    assert executor.next_wait() == 0.0
    [(got, payload, died)] = executor.poll()
    assert got is handle and payload is None and executor.running == []
    assert died == ("AWS Batch did not accept the job: An error occurred (ClientException) when calling the "
                    "SubmitJob operation: job queue q does not exist")


def test_a_step_whose_job_ecs_could_not_run_is_refused_before_any_submission(tmp_path):
    """ECS takes 8,192 characters of container overrides: past them Batch accepts the job and it fails."""
    import pytest

    from sfncompile.exceptions import ConfigError

    executor, _, _, batch, _ = _executor(tmp_path)
    executor.check_sizes()
    executor.steps["train"].environment["SFNCOMPILE_WITH"] = "x" * 8000
    with pytest.raises(ConfigError) as err:
        executor.check_sizes()
    assert err.value.message.startswith("the Batch job of step 'train' cannot run: its container overrides")
    assert "ECS runs a Batch job only with at most 8,192" in err.value.message
    assert batch.submitted == []
