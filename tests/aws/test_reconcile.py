"""Readers see a Step Functions run's status reconciled with its execution (aws/reconcile.py)."""
from __future__ import annotations

import json
import os
import time

from sfncompile.aws import config as cfg
from sfncompile.aws.client_backend import open_backend
from sfncompile.aws.deploy import deploy
from sfncompile.aws.reconcile import execution_error, reconciled_fields

pytest_plugins = ["tests.support.fixtures"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLOW_FILE = os.path.join(ROOT, "tests", "aws", "flows", "sleepy.py")


def test_a_running_record_of_an_ended_execution_reads_as_failed(aws_config, moto_aws):
    config = aws_config
    result = deploy(FLOW_FILE, config=config)
    flow = result.name[len(config["state_machine_prefix"]):]
    stores = cfg.stores(config)
    sfn = moto_aws.client("stepfunctions")
    # An execution stopped from the console: nothing in sfncompile recorded its end.
    stores.metadata.create_run(flow, "sfn-stopped", username="u", namespace="user:u", tags=[], parameters={})
    stores.metadata.create_run(flow, "sfn-never", username="u", namespace="user:u", tags=[], parameters={})
    arn = sfn.start_execution(stateMachineArn=result.state_machine_arn, name="stopped",
                              input=json.dumps({"parameters": {"seconds": 30}}))["executionArn"]
    deadline = time.monotonic() + 30
    while not any(j.status == "RUNNING" for j in moto_aws.batch_jobs()):  # well under way first
        assert time.monotonic() < deadline, "the execution never started a job"
        time.sleep(0.05)
    sfn.stop_execution(executionArn=arn, error="Console.Stop", cause="stopped by an operator")
    moto_aws.wait_for_execution(arn)

    backend = open_backend()
    run = backend.metadata.get_run(flow, "sfn-stopped")
    assert run["status"] == "FAILED" and run["error"] and run["finished_at"].startswith("20")
    assert stores.metadata.get_run(flow, "sfn-stopped")["status"] == "FAILED", "written back"
    listed = {r["run_id"]: r["status"] for r in backend.metadata.list_runs(flow)}
    assert listed == {"sfn-stopped": "FAILED", "sfn-never": "RUNNING"}  # no execution to contradict it


def test_the_executions_error_and_cause_become_the_runs_error():
    from datetime import datetime, timezone

    stopped = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert reconciled_fields({"status": "TIMED_OUT", "error": "States.Timeout", "cause": "too slow",
                              "stopDate": stopped}) == {
        "status": "FAILED", "error": "States.Timeout: too slow", "finished_at": "2026-01-02T03:04:05.000Z"}
    assert reconciled_fields({"status": "ABORTED", "stopDate": stopped})["error"] == "execution ABORTED"
    assert reconciled_fields({"status": "RUNNING"}) is None and reconciled_fields({"status": "SUCCEEDED"}) is None


def test_a_failed_batch_tasks_cause_is_cut_to_the_jobs_reason():
    # Step Functions' .sync Batch integration puts the job's description (PascalCase) in the cause.
    cause = json.dumps({"JobName": "start", "JobId": "j-1", "Status": "FAILED", "StatusReason": "Task failed to start",
                        "Attempts": [{"Container": {"Reason": "CannotPullContainerError: no such image"},
                                      "StatusReason": "Task failed to start"}],
                        "Container": {"Command": ["sfncompile", "task", "start"]}})
    assert execution_error({"status": "FAILED", "error": "States.TaskFailed", "cause": cause}) == (
        "States.TaskFailed: Batch job start: Task failed to start; CannotPullContainerError: no such image")
    # Any other cause stays as Step Functions gave it, on one line.
    submit = "Job definition is INACTIVE.\n(Service: AWSBatch; Status Code: 400; Error Code: ClientException)"
    assert execution_error({"status": "FAILED", "error": "Batch.ClientException", "cause": submit}) == (
        "Batch.ClientException: Job definition is INACTIVE. (Service: AWSBatch; Status Code: 400; "
        "Error Code: ClientException)")
    assert execution_error({"status": "FAILED", "error": "States.TaskFailed", "cause": "{not json"}) == (
        "States.TaskFailed: {not json")
