"""Executions that never got a run record are runs readers see (aws/unrecorded.py).

Executions here are started the way a schedule or an event rule starts them: StartExecution
with a UUID name and the parameters input, no ``trigger`` (which writes the record first).
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from sfncompile.aws import config as cfg
from sfncompile.aws.deploy import deploy
from sfncompile.aws.session import client
from sfncompile.aws.statemachine import deployment_name, execution_arn

pytest_plugins = ["tests.support.fixtures"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOW_FILE = os.path.join(ROOT, "tests", "aws", "flows", "sleepy.py")
FLOW = "SleepyFlow"
PULL_FAILURE = "CannotPullContainerError: pull access denied for sfncompile-test, repository does not exist"


@pytest.fixture
def readers(aws_config) -> Iterator[None]:
    """The client reads the emulated stack afresh in this test, in every namespace."""
    from sfncompile import namespace
    from sfncompile.client import backend, core

    backend.reset()
    namespace(None)
    yield
    backend.reset()
    core._current_namespace = core._UNSET


class Calls:
    """The API operations a boto3 client makes (botocore's before-call event)."""

    def __init__(self, *clients: Any) -> None:
        self.made: Counter = Counter()
        for each in clients:
            each.meta.events.register("before-call", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.made[model.name] += 1

    def take(self) -> Counter:
        made, self.made = self.made, Counter()
        return made


def _start_like_a_schedule(moto_aws, state_machine_arn: str, **parameters: Any) -> str:
    """StartExecution as EventBridge Scheduler does it: a UUID name, no run record written first."""
    return moto_aws.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn, name=str(uuid.uuid4()),
        input=json.dumps({"parameters": parameters}))["executionArn"]


def _failed_at_launch(aws_config, moto_aws, **parameters: Any) -> str:
    """Deploy, then start an execution whose start job cannot pull its image (every attempt fails
    before its container runs); its run id once the execution has failed."""
    result = deploy(FLOW_FILE, config=aws_config)
    moto_aws.batch.inject_platform_failure("start", times=3, status_reason="Task failed to start",
                                           reason=PULL_FAILURE)
    arn = _start_like_a_schedule(moto_aws, result.state_machine_arn, **parameters)
    assert moto_aws.wait_for_execution(arn)["status"] == "FAILED"
    return "sfn-" + arn.rsplit(":", 1)[1]


def _cli(*args: str, exit_code: int = 0) -> str:
    from sfncompile.cli.group import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_an_execution_that_failed_at_launch_is_a_failed_run_written_back_once(aws_config, moto_aws, readers):
    from sfncompile import Flow, Run

    run_id = _failed_at_launch(aws_config, moto_aws, seconds=1)
    stores = cfg.stores(aws_config)
    assert stores.metadata.get_run(FLOW, run_id) is None  # nothing recorded it

    calls = Calls(client("stepfunctions", aws_config))
    listed = _cli("runs", FLOW, "--all-namespaces")
    row = next(line for line in listed.splitlines() if line.startswith(run_id))
    assert row.split()[1] == "FAILED"
    assert calls.take() == Counter({"ListExecutions": 1, "DescribeExecution": 1})

    record = stores.metadata.get_run(FLOW, run_id)  # written back
    assert record["status"] == "FAILED" and record["failed_step"] == "start"
    assert record["error"] == (
        "failed before its start task ran (execution FAILED): States.TaskFailed: "
        f"Batch job start: Task failed to start; {PULL_FAILURE}")
    assert record["parameters"] == {"seconds": 1}
    assert record["created_at"] < record["finished_at"]

    shown = _cli("show", f"{FLOW}/{run_id}")
    assert f"Run {FLOW}/{run_id}: FAILED" in shown and "parameters: seconds=1" in shown and "(no task ran)" in shown
    assert "error: start: failed before its start task ran (execution FAILED)" in shown and PULL_FAILURE in shown
    no_logs = _cli("logs", f"{FLOW}/{run_id}/start/0", exit_code=1)
    assert f"run {FLOW}/{run_id} has no step 'start': no task of the run ran, so it has no logs" in no_logs
    assert PULL_FAILURE in no_logs and f"`sfncompile show {FLOW}/{run_id}`" in no_logs

    # Read again, by the client: the record is all it needs, no execution is described again.
    calls.take()
    runs = {run.id: run for run in Flow(FLOW).runs()}
    assert runs[run_id].status == "FAILED" and PULL_FAILURE in runs[run_id].error
    assert Run(f"{FLOW}/{run_id}").failed_step == "start"
    assert calls.take() == Counter({"ListExecutions": 1})

    from sfncompile.ui.data import run_status, runs_page

    page = runs_page(FLOW)
    assert [(row["id"], row["status"]) for row in page["runs"]] == [(run_id, "FAILED")] and page["total"] == 1
    status = run_status(FLOW, run_id)
    assert status["status"] == "FAILED" and PULL_FAILURE in status["failing"]["error"]
    assert status["execution"]["status"] == "FAILED"


def test_a_run_recorded_by_a_reader_is_redriven_like_any_failed_run(aws_config, moto_aws, readers):
    from sfncompile import Run

    run_id = _failed_at_launch(aws_config, moto_aws, seconds=0)
    arn = execution_arn(aws_config, deployment_name(aws_config, FLOW), run_id[len("sfn-"):])
    assert Run(f"{FLOW}/{run_id}").status == "FAILED"  # and written back

    # The image is fixed: the redriven start task finds the written record and keeps it.
    assert _cli("redrive", f"{FLOW}/{run_id}") == f"redriving {FLOW}/{run_id}\n"
    assert moto_aws.wait_for_execution(arn)["status"] == "SUCCEEDED"
    record = cfg.stores(aws_config).metadata.get_run(FLOW, run_id)
    assert record["status"] == "SUCCEEDED" and record["error"] is None and record["parameters"] == {"seconds": 0}
    assert [r["run_id"] for r in cfg.stores(aws_config).metadata.list_runs(FLOW)] == [run_id]


def test_a_run_recorded_by_a_reader_can_be_resumed(aws_config, moto_aws, readers, monkeypatch, tmp_path):
    from sfncompile import Run

    run_id = _failed_at_launch(aws_config, moto_aws, seconds=0)
    assert Run(f"{FLOW}/{run_id}").status == "FAILED"  # and written back
    monkeypatch.chdir(tmp_path)
    resumed = _cli("resume", FLOW_FILE, "--origin-run-id", run_id, "--datastore", "s3")
    assert " SUCCEEDED in " in resumed
    runs = {r["run_id"]: r for r in cfg.stores(aws_config).metadata.list_runs(FLOW)}
    [new] = [r for r in runs.values() if r["origin_run_id"] == run_id]
    assert new["status"] == "SUCCEEDED" and new["parameters"] == {"seconds": 0}  # the origin's parameters
    assert runs[run_id]["status"] == "FAILED"


def test_get_run_finds_an_unrecorded_execution_by_its_run_id(aws_config, moto_aws, readers):
    from sfncompile import Run

    run_id = _failed_at_launch(aws_config, moto_aws)

    calls = Calls(client("stepfunctions", aws_config))
    run = Run(f"{FLOW}/{run_id}")
    assert run.status == "FAILED" and PULL_FAILURE in run.error
    assert calls.take() == Counter({"DescribeExecution": 1})
    assert cfg.stores(aws_config).metadata.get_run(FLOW, run_id)["status"] == "FAILED"
    from sfncompile.exceptions import NotFoundError

    with pytest.raises(NotFoundError, match=f"run {FLOW}/sfn-no-such-execution does not exist"):
        Run(f"{FLOW}/sfn-no-such-execution")


def test_a_reader_that_cannot_write_the_table_still_sees_the_run(aws_config, moto_aws, readers, monkeypatch):
    from sfncompile.aws.client_backend import open_backend
    from sfncompile.exceptions import StorageError

    run_id = _failed_at_launch(aws_config, moto_aws)
    stores = cfg.stores(aws_config)

    def denied(*args: Any, **kwargs: Any) -> bool:
        raise StorageError("dynamodb:sfncompile-test-metadata: create run: access denied")

    monkeypatch.setattr(stores.metadata, "create_run", denied)
    listed = {r["run_id"]: r for r in open_backend().metadata.list_runs(FLOW)}
    assert listed[run_id]["status"] == "FAILED" and PULL_FAILURE in listed[run_id]["error"]
    assert stores.metadata.get_run(FLOW, run_id) is None


@pytest.mark.batch_mode("instant")
def test_a_flow_whose_executions_all_have_records_gets_nothing_added(aws_config, moto_aws, readers):
    from sfncompile.aws.client_backend import open_backend
    from sfncompile.aws.trigger import trigger

    result = deploy(FLOW_FILE, config=aws_config)
    stores = cfg.stores(aws_config)
    triggered = trigger(FLOW, {}, config=aws_config)  # trigger records the run before it starts it
    moto_aws.wait_for_execution(triggered.execution_arn)
    stores.metadata.update_run(FLOW, triggered.run_id, status="SUCCEEDED")  # as its end task would
    # A flow that was never deployed: its runs are read without a single Step Functions call.
    stores.metadata.create_run("LocalOnlyFlow", "sfn-elsewhere", username="u", namespace="user:u")
    assert result.state_machine_arn

    metadata = open_backend().metadata
    calls = Calls(client("stepfunctions", aws_config), stores.metadata.client)
    assert metadata.list_runs(FLOW) == stores.metadata.list_runs(FLOW)
    made = calls.take()
    assert made["ListExecutions"] == 1 and made["Query"] == 2  # the listing above and the one compared
    assert not {"DescribeExecution", "PutItem", "UpdateItem"} & set(made)
    assert [r["run_id"] for r in metadata.list_runs("LocalOnlyFlow")] == ["sfn-elsewhere"]
    assert calls.take() == Counter({"Query": 1})


def test_a_running_execution_without_a_record_shows_running_and_is_not_written(aws_config, moto_aws, readers):
    from sfncompile.aws.client_backend import open_backend
    from sfncompile.aws.trigger import trigger

    result = deploy(FLOW_FILE, config=aws_config)
    launched = threading.Semaphore(0)
    release = threading.Event()

    def held_at_launch(job: Any, attempt: int) -> int:
        launched.release()
        release.wait(60)
        return 1  # then its container exits non-zero before the task recorded anything

    moto_aws.batch.on_job = held_at_launch
    arn = _start_like_a_schedule(moto_aws, result.state_machine_arn)
    run_id = "sfn-" + arn.rsplit(":", 1)[1]
    triggered = trigger(FLOW, {}, config=aws_config)  # recorded RUNNING by trigger, its job held too
    assert launched.acquire(timeout=30) and launched.acquire(timeout=30), "the start jobs were never launched"
    stores = cfg.stores(aws_config)
    metadata = open_backend().metadata
    calls = Calls(client("stepfunctions", aws_config))
    try:
        listed = {r["run_id"]: r for r in metadata.list_runs(FLOW)}
        assert listed[run_id]["status"] == "RUNNING" and listed[run_id]["finished_at"] is None
        assert listed[triggered.run_id]["status"] == "RUNNING"
        # The listing says both still run: neither is described.
        assert calls.take() == Counter({"ListExecutions": 1})
        assert metadata.get_run(FLOW, run_id)["status"] == "RUNNING"
        assert stores.metadata.get_run(FLOW, run_id) is None, "a running one is not written back"
    finally:
        release.set()
    moto_aws.wait_for_execution(arn)
    moto_aws.wait_for_execution(triggered.execution_arn)
    ended = {r["run_id"]: r for r in metadata.list_runs(FLOW)}
    assert ended[run_id]["status"] == "FAILED" and "Essential container in task exited" in ended[run_id]["error"]
    assert ended[triggered.run_id]["status"] == "FAILED"  # its record reconciled as before
    assert stores.metadata.get_run(FLOW, run_id)["status"] == "FAILED"


def test_every_branch_of_a_project_flow_is_looked_at(aws_config, moto_aws, readers):
    from sfncompile import Flow, namespace

    feature = os.path.join(ROOT, "tests", "aws", "flows", "triggers", "feature.py")
    mine = deploy(feature, config=aws_config)  # the deploying user's branch
    staging = deploy(feature, config=aws_config, branch="staging")
    moto_aws.batch.inject_platform_failure("start", times=6, status_reason="Task failed to start",
                                           reason=PULL_FAILURE)
    run_ids = {}
    for deployed in (mine, staging):
        arn = _start_like_a_schedule(moto_aws, deployed.state_machine_arn)
        moto_aws.wait_for_execution(arn)
        run_ids[deployed.name] = "sfn-" + arn.rsplit(":", 1)[1]

    calls = Calls(client("stepfunctions", aws_config))
    namespace("project:churn")
    assert {r.id for r in Flow("FeatureFlow").runs()} == set(run_ids.values())
    assert calls.take() == Counter({"ListExecutions": 2, "DescribeExecution": 2})
    namespace("project_branch:test.staging")
    [run] = Flow("FeatureFlow").runs()
    assert run.id == run_ids[staging.name] and run.status == "FAILED"
    assert {"project:churn", "project_branch:test.staging", "runtime:sfn"} <= run.tags


def test_an_execution_stopped_before_its_start_task_ran_is_a_failed_run(aws_config, moto_aws, readers):
    from sfncompile import Flow

    result = deploy(FLOW_FILE, config=aws_config)
    launched = threading.Event()
    release = threading.Event()

    def held_at_launch(job: Any, attempt: int) -> int:
        launched.set()
        release.wait(60)
        return 1

    moto_aws.batch.on_job = held_at_launch
    arn = _start_like_a_schedule(moto_aws, result.state_machine_arn)
    try:
        assert launched.wait(30), "the start job was never launched"
        moto_aws.client("stepfunctions").stop_execution(executionArn=arn, error="Console.Stop",
                                                        cause="stopped by an operator")
        assert moto_aws.wait_for_execution(arn)["status"] == "ABORTED"
    finally:
        release.set()
    [run] = Flow(FLOW).runs()
    assert run.id == "sfn-" + arn.rsplit(":", 1)[1] and run.status == "FAILED" and run.finished_at
    assert run.error.startswith("failed before its start task ran")
    assert "execution ABORTED" in run.error and run.error.count("ABORTED") == 1


def test_runs_nobody_triggered_are_their_deployers(aws_config, moto_aws, monkeypatch):
    """A schedule's run, recorded by its start task, and one that failed before any task ran,
    recorded by a reader, are both the deployer's: `runs` lists them in the deployer's namespace
    (the task's own login would be the container's, which is nobody's namespace)."""
    run_id = _failed_at_launch(aws_config, moto_aws, seconds=0)
    from sfncompile.aws.manifest import read_manifest

    manifest = read_manifest(cfg.stores(aws_config).objects, FLOW, deployment_name(aws_config, FLOW))
    assert manifest["deployed_by"] == {"username": "tester", "namespace": "user:tester"}
    arn = _start_like_a_schedule(moto_aws, manifest["state_machine_arn"], seconds=0)
    assert moto_aws.wait_for_execution(arn)["status"] == "SUCCEEDED"
    scheduled = "sfn-" + arn.rsplit(":", 1)[1]

    monkeypatch.setenv("SFNCOMPILE_USERNAME", "someone-else")  # a teammate sees neither by default...
    assert run_id not in _cli("runs", FLOW) and scheduled not in _cli("runs", FLOW)
    monkeypatch.setenv("SFNCOMPILE_USERNAME", "tester")  # ...the deployer sees both
    listed = _cli("runs", FLOW)
    assert run_id in listed and scheduled in listed
    stores = cfg.stores(aws_config)
    for each in (run_id, scheduled):
        record = stores.metadata.get_run(FLOW, each)
        assert (record["username"], record["namespace"]) == ("tester", "user:tester")
        assert "user:tester" in record["tags"]
