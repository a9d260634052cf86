"""deploy + trigger + wait + read back, on emulated AWS, with the real CLI as a subprocess.

Every Batch job runs our real `sfncompile task` entrypoint as a local subprocess,
against moto's S3 and DynamoDB (see tests/support). The client in this process
reads the same stores through the config file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict

import pytest

from sfncompile.compiler import jobparams

from ..conftest import EXAMPLES, FLOWS, ROOT

AWS_FLOWS = os.path.join(ROOT, "tests", "aws", "flows")


@pytest.fixture
def aws(aws_config_file, aws_subprocess_env, aws_environ, moto_aws, monkeypatch):
    """The emulated stack, configured; a CLI runner and a fresh client for this test."""
    from sfncompile.aws.session import reset_clients
    from sfncompile.client import backend

    reset_clients()
    backend.reset()
    env = dict(aws_subprocess_env)
    env["PYTHONPATH"] = ROOT

    class Aws:
        server = moto_aws
        config_path = aws_config_file

        def cli(self, *args: str, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
            out = subprocess.run(
                [sys.executable, "-m", "sfncompile", *args], env=env, capture_output=True, text=True, timeout=timeout
            )
            if check and out.returncode != 0:
                raise AssertionError(f"sfncompile {' '.join(args)} exited {out.returncode}\n{out.stdout}\n{out.stderr}")
            return out

        def deploy_and_run(self, flow_file: str, flow: str, *params: str, expect: str = "SUCCEEDED") -> str:
            self.cli("deploy", flow_file)
            out = self.cli("trigger", flow, *params, "--wait", "--poll", "0.2", check=False)
            assert f"started {flow}/" in out.stdout, out.stdout + out.stderr
            run_id = out.stdout.split(f"started {flow}/", 1)[1].split()[0]
            assert f"{flow}/{run_id}: {expect}" in out.stdout, out.stdout + out.stderr
            assert (out.returncode == 0) == (expect == "SUCCEEDED"), out.stderr
            return run_id

        def run(self, flow: str, run_id: str):
            from sfncompile import Run, namespace

            namespace(None)
            return Run(f"{flow}/{run_id}")

    yield Aws()
    backend.reset()


def _end_data(run) -> Dict[str, Any]:
    return {a.id: a.data for a in run["end"].task.artifacts}


def _local_end_data(flow_file: str, flow: str, *params: str) -> Dict[str, Any]:
    """A local run of the same flow (no AWS config in its environment), read back the same way."""
    from sfncompile import Flow, namespace
    from sfncompile.client import backend

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "SFNCOMPILE_CONFIG"}
    env["PYTHONPATH"] = ROOT
    out = subprocess.run([sys.executable, "-m", "sfncompile", "run", flow_file, *params], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    backend.reset()
    namespace(None)
    local_runs = [r for r in Flow(flow).runs() if not r.id.startswith("sfn-")]
    return _end_data(local_runs[0])


CASES = [
    ("linear", os.path.join(FLOWS, "linear.py"), "LinearFlow", [], {"final": 20}),
    ("branch", os.path.join(EXAMPLES, "branch.py"), "BranchFlow", [], {"results": {"double": 20, "square": 100}}),
    ("foreach-inline", os.path.join(EXAMPLES, "foreach.py"), "ForeachFlow", ["--width", "3"],
     {"squares": [0, 1, 4]}),
    ("foreach-distributed", os.path.join(AWS_FLOWS, "wide.py"), "WideFlow", ["--width", "4"], {"total": 14}),
    ("nested-foreach", os.path.join(EXAMPLES, "nested_foreach.py"), "NestedForeachFlow", [],
     {"table": {"linear": [(6, 0, 0), (6, 1, 0), (6, 2, 0)], "tree": [(4, 0, 1), (4, 1, 1), (4, 2, 1)]}}),
    ("switch-loop", os.path.join(EXAMPLES, "loop.py"), "LoopFlow", ["--target", "3"], {"rounds": 3}),
    ("parameters", os.path.join(EXAMPLES, "parameters.py"), "ParametersFlow",
     ["--label", "nightly", "--alpha", "0.5", "--grid", '{"depth": [3]}', "--verbose", "true",
      "--notes", os.path.join(AWS_FLOWS, "notes.txt")],
     {"summary": {"alpha": 0.5, "epochs": 2, "verbose": True, "grid": {"depth": [3]}, "label": "nightly",
                  "notes": "Run notes: read on the caller's machine, stored with the run.\n"}}),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_flow_runs_on_emulated_aws_like_locally(aws, case):
    _, flow_file, flow, params, expected = case
    run_id = aws.deploy_and_run(flow_file, flow, *params)
    assert run_id.startswith("sfn-")
    run = aws.run(flow, run_id)
    assert run.successful and run.finished
    cloud = _end_data(run)
    for name, value in expected.items():
        assert cloud[name] == value, name
    assert cloud == _local_end_data(flow_file, flow, *params)


@pytest.mark.slow
def test_loop_visits_are_distinct_tasks(aws):
    run_id = aws.deploy_and_run(os.path.join(EXAMPLES, "loop.py"), "LoopFlow", "--target", "3")
    run = aws.run("LoopFlow", run_id)
    assert sorted(t.id for t in run["work"].tasks()) == ["v0", "v1", "v2"]
    jobs = [(j.parameters[jobparams.STEP], j.parameters[jobparams.TASK]) for j in aws.server.batch_jobs()]
    assert jobs == [("start", "0"), ("work", "v0"), ("check", "v0"), ("work", "v1"), ("check", "v1"),
                    ("work", "v2"), ("check", "v2"), ("end", "0")]


@pytest.mark.slow
def test_retry_fixes_a_flaky_step_with_its_interval(aws):
    run_id = aws.deploy_and_run(os.path.join(AWS_FLOWS, "flaky.py"), "FlakyFlow")
    task = aws.run("FlakyFlow", run_id)["shaky"].task
    assert task.data.attempt_that_worked == 1
    attempts = [j.parameters[jobparams.ATTEMPT] for j in aws.server.batch_jobs() if j.parameters[jobparams.STEP] == "shaky"]
    assert attempts == ["0", "1"]
    assert 3.0 in aws.server.retry_sleeps.requested  # 0.05 minutes between retries


@pytest.mark.slow
def test_catch_stores_the_exception_and_goes_on(aws):
    run_id = aws.deploy_and_run(os.path.join(AWS_FLOWS, "caught.py"), "CaughtFlow")
    run = aws.run("CaughtFlow", run_id)
    assert "bad input row 7" in run.data.summary
    assert "bad input row 7" in str(run["risky"].task.data.problem)


@pytest.mark.slow
def test_failing_step_fails_the_execution_and_is_named(aws):
    run_id = aws.deploy_and_run(os.path.join(AWS_FLOWS, "failing.py"), "FailingFlow", expect="FAILED")
    run = aws.run("FailingFlow", run_id)
    assert not run.successful and run.finished
    shown = aws.cli("show", f"FailingFlow/{run_id}").stdout
    assert "explode" in shown and "FAILED" in shown and "execution: FAILED" in shown
    logs = aws.cli("logs", f"FailingFlow/{run_id}/explode/0", "--stderr").stdout
    assert "KeyError" in logs and "missing column 'price'" in logs and "Traceback" in logs
    out = aws.cli("logs", f"FailingFlow/{run_id}/explode/0").stdout
    assert "about to fail" in out


@pytest.mark.slow
def test_redeploying_an_unchanged_flow_changes_nothing(aws):
    flow = os.path.join(FLOWS, "linear.py")
    first = aws.cli("deploy", flow)
    assert "deployed arn:aws:states:" in first.stdout and "created state machine" in first.stdout
    second = aws.cli("deploy", flow)
    assert second.stdout.startswith("unchanged:"), second.stdout
    versions = aws.server.client("stepfunctions").list_state_machines()["stateMachines"]
    assert [m["name"] for m in versions] == ["sfncompile-test-LinearFlow"]
    dry = aws.cli("deploy", flow, "--dry-run")
    assert "dry run: nothing changed" in dry.stdout


@pytest.mark.slow
def test_schedule_follows_the_decorator(aws, tmp_path):
    src = open(os.path.join(AWS_FLOWS, "scheduled.py")).read()
    flow = tmp_path / "scheduled.py"
    flow.write_text(src)
    scheduler = aws.server.client("scheduler")
    out = aws.cli("deploy", str(flow)).stdout
    assert "created schedule cron(0 6 * * ? *) Europe/Paris" in out
    got = scheduler.get_schedule(Name="sfncompile-test-ScheduledFlow")
    assert got["ScheduleExpression"] == "cron(0 6 * * ? *)" and got["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert got["Target"]["Arn"].endswith(":stateMachine:sfncompile-test-ScheduledFlow")
    assert json.loads(got["Target"]["Input"]) == {"parameters": {}}

    flow.write_text(src.replace('cron="0 6 * * ? *", timezone="Europe/Paris"', 'cron="30 7 * * ? *", timezone="Asia/Tokyo"'))
    assert "updated schedule cron(30 7 * * ? *) Asia/Tokyo" in aws.cli("deploy", str(flow)).stdout
    assert scheduler.get_schedule(Name="sfncompile-test-ScheduledFlow")["ScheduleExpressionTimezone"] == "Asia/Tokyo"

    flow.write_text(src.replace('@schedule(cron="0 6 * * ? *", timezone="Europe/Paris")\n', ""))
    assert "deleted schedule" in aws.cli("deploy", str(flow)).stdout
    assert scheduler.list_schedules()["Schedules"] == []
    listed = aws.cli("deployments").stdout
    assert "ScheduledFlow" in listed and "sfncompile-test-ScheduledFlow" in listed and "no schedule" in listed


@pytest.mark.slow
def test_delete_removes_the_deployment_and_keeps_runs(aws):
    run_id = aws.deploy_and_run(os.path.join(FLOWS, "linear.py"), "LinearFlow")
    listed = aws.cli("deployments").stdout
    assert "LinearFlow" in listed and "sfncompile-test-LinearFlow" in listed
    out = aws.cli("delete", "LinearFlow", "--yes")
    assert "deleted state machine of LinearFlow; runs and artifacts are kept" in out.stdout
    assert aws.server.client("stepfunctions").list_state_machines()["stateMachines"] == []
    assert "no deployed flows" in aws.cli("deployments").stdout
    assert aws.run("LinearFlow", run_id).data.final == 20  # runs and artifacts stay
    again = aws.cli("trigger", "LinearFlow", check=False)
    assert again.returncode == 1 and "is not deployed as sfncompile-test-LinearFlow" in again.stderr
    gone = aws.cli("delete", "LinearFlow", "--yes", check=False)
    assert gone.returncode == 1 and "is not deployed" in gone.stderr


@pytest.mark.parametrize(
    "params,message",
    [
        (["--alpha", "abc"], "parameter 'alpha': 'abc' is not a valid float"),
        ([], "parameter 'label' is required"),
        (["--label", "x", "--grid", "[1,"], "parameter 'grid'"),
        (["--label", "x", "--nope", "1"], "Additional properties are not allowed ('nope' was unexpected)"),
    ],
)
def test_bad_parameters_are_rejected_before_any_execution(aws, params, message):
    aws.cli("deploy", os.path.join(EXAMPLES, "parameters.py"))
    out = aws.cli("trigger", "ParametersFlow", *params, check=False)
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr
    sfn = aws.server.client("stepfunctions")
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


def test_missing_config_says_how_to_get_one(tmp_path):
    env = dict(os.environ, SFNCOMPILE_CONFIG=str(tmp_path / "nowhere.json"), PYTHONPATH=ROOT)
    for command in (["deploy", os.path.join(FLOWS, "linear.py")], ["trigger", "LinearFlow"], ["deployments"]):
        out = subprocess.run([sys.executable, "-m", "sfncompile", *command], env=env, capture_output=True, text=True)
        assert out.returncode == 1
        assert "no AWS configuration at" in out.stderr and "sfncompile configure --stack" in out.stderr


def test_configure_reads_the_stack_outputs(aws, tmp_path):
    config = json.loads(open(aws.config_path).read())
    outputs = {
        "DatastoreBucketName": config["bucket"], "DatastorePrefix": config["prefix"],
        "MetadataTableName": config["table"], "JobQueueArn": config["job_queue"],
        "JobDefinitionArn": config["job_definition"], "JobRoleArn": config["job_role_arn"],
        "ExecutionRoleArn": config["execution_role_arn"], "StateMachineRoleArn": config["state_machine_role_arn"],
        "SchedulerRoleArn": config["scheduler_role_arn"], "BatchLogGroupName": config["batch_log_group"],
        "StateMachineLogGroupArn": config["state_machine_log_group"], "RuntimeImageUri": config["image"],
        "StateMachinePrefix": config["state_machine_prefix"], "Region": config["region"],
        "EventBusName": config["event_bus"], "TriggerRoleBoundaryArn": config["trigger_role_boundary_arn"],
    }
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {k: {"Value": v} for k, v in outputs.items()},
    }
    aws.server.client("cloudformation").create_stack(StackName="sfncompile-e2e", TemplateBody=json.dumps(template))
    target = tmp_path / "configured.json"
    aws.cli("configure", "--stack", "sfncompile-e2e", "--config-file", str(target))
    written = json.loads(target.read_text())
    assert written == {**config, "stack": "sfncompile-e2e"}
    # Keys set by hand survive a new configure; the stack's keys are replaced.
    target.write_text(json.dumps({**written, "run": {"datastore": "s3"}, "architecture": "arm64",
                                  "bucket": "stale-bucket"}))
    again = aws.cli("configure", "--stack", "sfncompile-e2e", "--config-file", str(target))
    assert "kept run, architecture, set by hand" in again.stdout
    assert json.loads(target.read_text()) == {**config, "stack": "sfncompile-e2e", "run": {"datastore": "s3"},
                                              "architecture": "arm64"}
    missing = aws.cli("configure", "--stack", "no-such-stack", "--config-file", str(target), check=False)
    assert missing.returncode == 1 and "no CloudFormation stack named no-such-stack" in missing.stderr


@pytest.mark.slow
def test_runs_lists_cloud_runs(aws):
    aws.cli("deploy", os.path.join(FLOWS, "linear.py"))
    before = aws.cli("runs", "LinearFlow", check=False)
    assert before.returncode == 1 and "has no runs" in before.stderr
    aws.deploy_and_run(os.path.join(FLOWS, "linear.py"), "LinearFlow")
    listed = aws.cli("runs", "LinearFlow").stdout
    assert "sfn-" in listed and "SUCCEEDED" in listed


def _wait_for_execution(flow: str, run_id: str, timeout: float = 60.0) -> Dict[str, Any]:
    """Poll DescribeExecution (through sfncompile) until the run's execution leaves RUNNING."""
    from sfncompile.aws.executions import execution_status

    deadline = time.monotonic() + timeout
    while True:
        execution = execution_status(flow, run_id)
        if execution is not None and execution["status"] not in ("RUNNING", "PENDING_REDRIVE"):
            return execution
        assert time.monotonic() < deadline, f"{flow}/{run_id} still {execution and execution['status']}"
        time.sleep(0.1)


def _run_record(flow: str, run_id: str) -> Dict[str, Any]:
    from sfncompile.aws import config as cfg

    return cfg.stores(cfg.load_config()).metadata.get_run(flow, run_id)


@pytest.mark.slow
def test_redrive_reruns_only_what_failed(aws, tmp_path):
    counter, marker = tmp_path / "ran.txt", tmp_path / "fixed"
    flow = "RedrivableFlow"
    run_id = aws.deploy_and_run(os.path.join(AWS_FLOWS, "redrivable.py"), flow,
                                "--counter", str(counter), "--marker", str(marker), expect="FAILED")
    assert counter.read_text().split() == ["start", "prepare", "fragile"]
    assert _run_record(flow, run_id)["failed_step"] == "fragile"
    first_jobs = len(aws.server.batch_jobs())

    marker.write_text("")  # the fix the failed step was waiting for
    out = aws.cli("redrive", f"{flow}/{run_id}")
    assert f"redriving {flow}/{run_id}" in out.stdout
    execution = _wait_for_execution(flow, run_id)
    assert execution["status"] == "SUCCEEDED" and execution["redriveCount"] == 1

    # The same run, now successful; the steps that had finished ran their code once.
    assert counter.read_text().split() == ["start", "prepare", "fragile", "fragile", "end"]
    run = aws.run(flow, run_id)
    assert run.successful and run.finished
    assert run.data.result == "answer=42" and run["prepare"].task.data.doubled == 40
    record = _run_record(flow, run_id)
    assert (record["status"], record.get("failed_step"), record.get("error")) == ("SUCCEEDED", None, None)
    shown = aws.cli("show", f"{flow}/{run_id}").stdout
    assert "execution: SUCCEEDED, redriven 1 time(s)" in shown and f"Run {flow}/{run_id}: SUCCEEDED" in shown

    # As on AWS (tests/support/sfn_redrive.py), the redrive resumes at the failed Task
    # state: only fragile's job and the steps after it were submitted again.
    redriven = aws.server.batch_jobs()[first_jobs:]
    assert [j.parameters[jobparams.STEP] for j in redriven] == ["fragile", "end"]
    assert [j.parameters[jobparams.RUN] for j in redriven] == [run_id] * 2
    assert all(j.exit_code == 0 and "already succeeded" not in j.stdout for j in redriven)


@pytest.mark.slow
def test_terminate_stops_a_run(aws, tmp_path):
    woke = tmp_path / "woke"
    flow = "SleepyFlow"
    aws.cli("deploy", os.path.join(AWS_FLOWS, "sleepy.py"))
    out = aws.cli("trigger", flow, "--seconds", "30", "--woke", str(woke))
    run_id = out.stdout.split(f"started {flow}/", 1)[1].split()[0]

    def nap_job():
        return next((j for j in aws.server.batch_jobs() if j.parameters.get(jobparams.STEP) == "nap"), None)

    deadline = time.monotonic() + 30
    while not (nap_job() and nap_job().status == "RUNNING"):
        assert time.monotonic() < deadline, f"step nap never started: {aws.server.batch_jobs()}"
        time.sleep(0.1)

    started = time.monotonic()
    out = aws.cli("terminate", f"{flow}/{run_id}")
    assert f"terminated {flow}/{run_id}" in out.stdout
    # Stopping the execution terminates its running Batch job (adapter J): the sleeping
    # process is killed now, not 30 s later, and never finishes its step.
    job = nap_job().wait(10)
    assert time.monotonic() - started < 10
    assert job.status == "FAILED" and job.status_reason.endswith("which was managing this resource was aborted")
    assert job.exit_code == 137 and not woke.exists()
    assert _wait_for_execution(flow, run_id, timeout=10)["status"] == "ABORTED"

    record = _run_record(flow, run_id)
    assert (record["status"], record["error"]) == ("FAILED", "terminated by the user")
    assert not aws.run(flow, run_id).successful
    shown = aws.cli("show", f"{flow}/{run_id}").stdout
    assert f"Run {flow}/{run_id}: FAILED" in shown and "execution: ABORTED" in shown
    assert "terminated by the user" in shown
