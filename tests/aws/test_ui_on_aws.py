"""`sfncompile ui` on a deployed run (emulated AWS): status from the execution, logs and cards from S3,
links to the execution in the Step Functions console."""
from __future__ import annotations

import json
import os

import pytest

from sfncompile.compiler import jobparams

from ..support.browser import UiServer
from .test_end_to_end import AWS_FLOWS, ROOT, aws  # noqa: F401 - the deployed-stack fixture


@pytest.fixture
def ui_env(aws, aws_subprocess_env):  # noqa: F811
    env = dict(aws_subprocess_env)
    env["PYTHONPATH"] = ROOT
    return env


@pytest.mark.slow
def test_the_ui_shows_a_deployed_run_with_its_card_and_logs(aws, ui_env):  # noqa: F811
    run_id = aws.deploy_and_run(os.path.join(AWS_FLOWS, "carded.py"), "CardedFlow")
    server = UiServer(ui_env)
    try:
        status = json.loads(server.get(f"/api/flows/CardedFlow/runs/{run_id}"))
        assert status["status"] == "SUCCEEDED"
        execution = status["execution"]
        assert execution["status"] == "SUCCEEDED"
        assert execution["arn"].endswith(":" + run_id[len("sfn-"):])
        assert execution["console_url"] == (
            f"https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
            f"#/v2/executions/details/{execution['arn']}")
        page = server.get(f"/flows/CardedFlow/runs/{run_id}")
        assert 'id="console-link"' in page and execution["arn"] in page
        assert 'id="node-start"' in page and "st-SUCCEEDED" in page
        task = server.get(f"/flows/CardedFlow/runs/{run_id}/steps/start/tasks/0")
        assert "computing the answer on Batch" in task  # stdout, stored in S3 by the Batch job
        # The attempt's Batch job leads to its CloudWatch log stream.
        job = next(j for j in aws.server.batch_jobs() if j.parameters[jobparams.STEP] == "start")
        assert 'class="log-link"' in task
        assert "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/" in task
        assert job.job_id in json.dumps(aws.run("CardedFlow", run_id)["start"].task.attempts())
        card = server.get(f"/flows/CardedFlow/runs/{run_id}/steps/start/tasks/0/cards/default")
        assert "<h1>Rendered on Batch</h1>" in card and "<strong>42</strong>" in card
        assert "flows" in server.get("/") and "CardedFlow" in server.get("/")
    finally:
        server.stop()


@pytest.mark.slow
def test_the_execution_status_wins_over_a_stale_run_record(aws, ui_env):  # noqa: F811
    run_id = aws.deploy_and_run(os.path.join(AWS_FLOWS, "failing.py"), "FailingFlow", expect="FAILED")
    from sfncompile.aws import config as cfg

    # A platform failure the state machine could not record leaves the run RUNNING in DynamoDB.
    cfg.stores(cfg.load_config()).metadata.update_run("FailingFlow", run_id, status="RUNNING", finished_at=None)
    server = UiServer(ui_env)
    try:
        status = json.loads(server.get(f"/api/flows/FailingFlow/runs/{run_id}"))
        assert status["execution"]["status"] == "FAILED"
        assert status["status"] == "FAILED" and status["finished"] is True
        assert status["failing"]["step"] == "explode"
        assert "KeyError" in status["failing"]["error"] and "price" in status["failing"]["error"]
        assert status["steps"]["explode"]["status"] == "FAILED"
        task = server.get(f"/flows/FailingFlow/runs/{run_id}/steps/explode/tasks/0")
        assert "about to fail" in task
        # Reading reconciled the stale record with the execution and wrote it back (aws/reconcile.py).
        assert cfg.stores(cfg.load_config()).metadata.get_run("FailingFlow", run_id)["status"] == "FAILED"
    finally:
        server.stop()
