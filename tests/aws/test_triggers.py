"""@trigger / @trigger_on_finish on emulated AWS: the rules, patterns, transformers and IAM deploy creates,
the patterns against sample events, and an upstream run's success starting the downstream flow.

Pattern matching is moto's ``EventPattern.matches_event`` - the code moto's rule routing runs
for every PutEvents (its TestEventPattern API is a stub). Delivery to Step Functions, the input
transformer and Step Functions' status-change events come from tests/support/eventbridge.py,
which follows AWS's documentation where moto has nothing.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, List

import pytest

from sfncompile.aws.deploy import deploy

from ..conftest import ROOT


FLOWS = os.path.join(ROOT, "tests", "aws", "flows", "triggers")
FEATURE, TRAIN, SCORER, REPORT = (os.path.join(FLOWS, f) for f in ("feature.py", "train.py", "scorer.py", "report.py"))
BUS = "sfncompile-test"


@pytest.fixture
def user(monkeypatch):
    monkeypatch.setenv("SFNCOMPILE_USERNAME", "alice")
    return "alice"


def _rules(events: Any, bus: str) -> Dict[str, Dict[str, Any]]:
    out = {}
    for rule in events.list_rules(EventBusName=bus)["Rules"]:
        [target] = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
        out[rule["Name"]] = {"pattern": json.loads(rule["EventPattern"]), "target": target}
    return out


def _role(iam: Any, arn: str) -> Dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=name)["Role"]
    [policy] = iam.list_role_policies(RoleName=name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
    return {"role": role, "policy": json.loads(document) if isinstance(document, str) else document}


def test_an_event_trigger_is_a_rule_on_the_stage_bus_with_a_role_for_this_machine_only(aws_config, moto_aws):
    result = deploy(SCORER, config=aws_config)
    events, iam = moto_aws.client("events"), moto_aws.client("iam")
    rules = _rules(events, BUS)
    assert len(rules) == 2 and not _rules(events, "default")
    by_event = {r["pattern"]["detail-type"][0]: r for r in rules.values()}
    assert by_event["data_ready"]["pattern"] == {"source": ["sfncompile"], "detail-type": ["data_ready"]}
    target = by_event["data_ready"]["target"]
    assert target["Arn"] == result.state_machine_arn
    assert target["InputTransformer"] == {
        "InputPathsMap": {"id": "$.id", "time": "$.time", "payload": "$.detail"},
        "InputTemplate": '{"parameters": {"__trigger__": {"type": "event", "event": "data_ready", '
                         '"id": "<id>", "time": "<time>", "payload": <payload>}}}',
    }
    role = _role(iam, target["RoleArn"])
    assert role["policy"]["Statement"] == [{"Sid": "StartThisStateMachine", "Effect": "Allow",
                                            "Action": "states:StartExecution", "Resource": result.state_machine_arn}]
    [trust] = json.loads(role["role"]["AssumeRolePolicyDocument"]) ["Statement"] \
        if isinstance(role["role"]["AssumeRolePolicyDocument"], str) else role["role"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    account = moto_aws.account_id
    prefix = f"arn:aws:events:{moto_aws.region}:{account}:rule/"
    rule_prefix = next(iter(rules)).rsplit(".", 1)[0] + "."
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                  "ArnLike": {"aws:SourceArn": [f"{prefix}{rule_prefix}*", f"{prefix}{BUS}/{rule_prefix}*"]}}
    assert role["role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == aws_config["trigger_role_boundary_arn"]
    assert deploy(SCORER, config=aws_config).changes == [], "an unchanged redeploy leaves the rules alone"


def test_a_finish_trigger_listens_on_the_default_bus_for_the_upstream_branch(aws_config, moto_aws, user):
    upstream = deploy(FEATURE, config=aws_config)
    assert upstream.name == "sfncompile-test-churn-user-alice-FeatureFlow"
    downstream = deploy(TRAIN, config=aws_config)
    [rule] = _rules(moto_aws.client("events"), "default").values()
    assert rule["pattern"] == {
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["SUCCEEDED"], "stateMachineArn": [upstream.state_machine_arn]}}
    assert rule["target"]["Arn"] == downstream.state_machine_arn
    assert rule["target"]["InputTransformer"]["InputPathsMap"] == {
        "id": "$.id", "time": "$.time", "name": "$.detail.name", "execution": "$.detail.executionArn"}
    assert '"run": "sfn-<name>"' in rule["target"]["InputTransformer"]["InputTemplate"]
    assert _role(moto_aws.client("iam"), rule["target"]["RoleArn"])["policy"]["Statement"][0]["Resource"] == \
        downstream.state_machine_arn
    # A flow that loses its trigger loses its rule and role on the next deploy; delete removes them too.
    from sfncompile.aws.executions import delete_deployment

    removed = delete_deployment("TrainFlow", config=aws_config, name=downstream.name)
    assert removed["triggers"] and not _rules(moto_aws.client("events"), "default")


def _sample_events(machine_arn: str) -> Dict[str, Dict[str, Any]]:
    base = {"version": "0", "id": "e-1", "account": "123456789012", "time": "2026-11-29T10:00:00Z",
            "region": "us-east-1", "resources": []}
    return {
        "event": {**base, "source": "sfncompile", "detail-type": "data_ready", "detail": {"lr": 0.25}},
        "other event": {**base, "source": "sfncompile", "detail-type": "data_late", "detail": {"lr": 0.25}},
        "spoofed source": {**base, "source": "someone.else", "detail-type": "data_ready", "detail": {}},
        "succeeded": {**base, "source": "aws.states", "detail-type": "Step Functions Execution Status Change",
                      "detail": {"status": "SUCCEEDED", "stateMachineArn": machine_arn, "name": "x1",
                                 "executionArn": machine_arn.replace(":stateMachine:", ":execution:") + ":x1"}},
        "failed": {**base, "source": "aws.states", "detail-type": "Step Functions Execution Status Change",
                   "detail": {"status": "FAILED", "stateMachineArn": machine_arn, "name": "x2",
                              "executionArn": machine_arn.replace(":stateMachine:", ":execution:") + ":x2"}},
        "another machine": {**base, "source": "aws.states", "detail-type": "Step Functions Execution Status Change",
                            "detail": {"status": "SUCCEEDED", "stateMachineArn": machine_arn + "2", "name": "x3",
                                       "executionArn": "arn:aws:states:us-east-1:123456789012:execution:o:x3"}},
    }


def test_the_patterns_match_only_their_events_and_the_transformer_writes_our_input(aws_config):
    from moto.events.models import EventPattern

    from sfncompile.aws.events import event_rule, finish_rule
    from sfncompile.flow.project import ProjectInfo
    from tests.support.eventbridge import transform

    info = ProjectInfo("churn", "user.alice", "TrainFlow")
    upstream_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sfncompile-test-churn-user-alice-FeatureFlow"
    samples = _sample_events(upstream_arn)
    on_event = event_rule("d", BUS, 0, {"name": "data_ready", "parameters": {"alpha": "lr"}})
    on_finish = finish_rule(aws_config, "d", 0, "FeatureFlow", info)
    matches = {name: [rule.name for rule in (on_event, on_finish)
                      if EventPattern.load(json.dumps(rule.pattern)).matches_event(sample)]
               for name, sample in samples.items()}
    assert matches == {"event": [on_event.name], "other event": [], "spoofed source": [],
                       "succeeded": [on_finish.name], "failed": [], "another machine": []}
    assert json.loads(transform(on_event.input_paths, on_event.input_template, samples["event"], "arn", "r")) == {
        "parameters": {"__trigger__": {"type": "event", "event": "data_ready", "id": "e-1",
                                       "time": "2026-11-29T10:00:00Z", "payload": {"lr": 0.25}}}}
    assert json.loads(transform(on_finish.input_paths, on_finish.input_template, samples["succeeded"], "arn", "r")) == {
        "parameters": {"__trigger__": {"type": "run", "flow": "FeatureFlow",
                                       "deployment": "sfncompile-test-churn-user-alice-FeatureFlow", "id": "e-1",
                                       "time": "2026-11-29T10:00:00Z", "run": "sfn-x1",
                                       "execution_arn": samples["succeeded"]["detail"]["executionArn"]}}}


def _executions(moto_aws: Any, arn: str, status: str = "", count: int = 1, timeout: float = 120) -> List[Dict]:
    sfn = moto_aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        found = sfn.list_executions(stateMachineArn=arn)["executions"]
        done = [e for e in found if not status or e["status"] == status]
        if len(done) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_upstream_success_starts_the_downstream_flow_with_its_run_as_current_trigger(aws_config, moto_aws, user):
    from sfncompile import Run, namespace
    from sfncompile.aws.trigger import trigger, wait_for
    from sfncompile.client import backend

    upstream = deploy(FEATURE, config=aws_config)
    downstream = deploy(TRAIN, config=aws_config)
    started = trigger("FeatureFlow", {}, name=upstream.name, config=aws_config)
    assert wait_for(started, config=aws_config, poll_seconds=0.2, say=lambda _m: None) == "SUCCEEDED"
    [execution] = _executions(moto_aws, downstream.state_machine_arn, "SUCCEEDED")
    assert execution["status"] == "SUCCEEDED", execution
    backend.reset()
    namespace(None)
    run = Run(f"TrainFlow/sfn-{execution['name']}")
    assert run.data.upstream == f"FeatureFlow/{started.run_id}"
    assert run.data.total == 6 and run.data.trigger_type == "run"
    assert run.data.branch == "user.alice"
    assert run.data.project_flow_name == "churn.user.alice.TrainFlow"
    assert {"project:churn", "project_branch:user.alice"} <= set(run.system_tags)


def test_events_start_runs_and_a_payload_that_does_not_fit_starts_nothing(aws_config, moto_aws):
    from sfncompile import Run, namespace
    from sfncompile.aws.events import publish
    from sfncompile.client import backend
    from sfncompile.runtime.run_context import rejected_triggers
    from tests.support.eventbridge import STATE

    machine = deploy(SCORER, config=aws_config).state_machine_arn
    publish("unrelated", {"lr": 0.1}, config=aws_config)
    from sfncompile import publish_event

    publish_event("data_ready", {"lr": 0.25}, config=aws_config)  # the Python API
    [good] = _executions(moto_aws, machine, "SUCCEEDED")
    assert [d.rule for d in STATE.deliveries if d.error is None] and len(STATE.deliveries) == 1
    backend.reset()
    namespace(None)
    run = Run(f"ScoreFlow/sfn-{good['name']}")
    assert run.data.seen_alpha == 0.25 and run.data.event == "data_ready"
    publish("data_ready", {"lr": "high"}, config=aws_config)
    executions = _executions(moto_aws, machine, "FAILED")
    [bad] = [e for e in executions if e["status"] == "FAILED"]
    from sfncompile.aws import config as cfg

    [rejected] = rejected_triggers(cfg.stores(aws_config).objects, "ScoreFlow")
    assert rejected["run_id"] == f"sfn-{bad['name']}" and "'high' is not of type number" in rejected["error"]
    assert cfg.stores(aws_config).metadata.get_run("ScoreFlow", f"sfn-{bad['name']}") is None
    # Any one of the flow's triggers starts it: the other event does too, with the defaults.
    publish("refresh", {}, config=aws_config)
    succeeded = [e for e in _executions(moto_aws, machine, "SUCCEEDED", count=2) if e["status"] == "SUCCEEDED"]
    [other] = [e for e in succeeded if e["name"] != good["name"]]
    backend.reset()
    assert Run(f"ScoreFlow/sfn-{other['name']}").data.event == "refresh"
    assert Run(f"ScoreFlow/sfn-{other['name']}").data.seen_alpha == 0.5


def test_an_event_payload_past_a_command_lines_limit_reaches_the_start_task(aws_config, moto_aws):
    """ECS takes 8,192 characters of container overrides; the payload travels in the execution's input."""
    from sfncompile import Run, namespace
    from sfncompile.aws.events import publish
    from sfncompile.client import backend

    machine = deploy(REPORT, config=aws_config).state_machine_arn
    payload = {"text": "line ü \"quoted\" {braces} $$.x\n" * 1_200, "pages": 3}
    assert len(json.dumps(payload)) > 40_000
    publish("report_ready", payload, config=aws_config)
    [execution] = _executions(moto_aws, machine, "SUCCEEDED")
    assert execution["status"] == "SUCCEEDED", execution
    backend.reset()
    namespace(None)
    run = Run(f"ReportFlow/sfn-{execution['name']}")
    assert run.data.text_read == payload["text"] and run.data.payload_read == payload


def test_a_role_that_may_not_start_the_machine_starts_nothing(aws_config, moto_aws):
    from sfncompile.aws.events import publish
    from tests.support.eventbridge import STATE

    result = deploy(SCORER, config=aws_config)
    iam = moto_aws.client("iam")
    target = next(iter(_rules(moto_aws.client("events"), BUS).values()))["target"]
    name = target["RoleArn"].rsplit("/", 1)[-1]
    iam.put_role_policy(RoleName=name, PolicyName="start-state-machine", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "states:StartExecution",
                                                "Resource": result.state_machine_arn + "-other"}]}))
    publish("refresh", {}, config=aws_config)
    assert [d.error for d in STATE.deliveries] == [
        f"role {target['RoleArn']} may not states:StartExecution on {result.state_machine_arn}"]
    assert moto_aws.client("stepfunctions").list_executions(stateMachineArn=result.state_machine_arn)["executions"] == []


def test_event_commands(aws_config_file, aws_subprocess_env):
    import subprocess
    import sys

    env = {**aws_subprocess_env, "PYTHONPATH": ROOT}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sfncompile", "event", *args], capture_output=True, text=True,
                              timeout=120, env=env)

    published = cli("publish", "data_ready", "--payload", '{"lr": 0.5}')
    assert published.returncode == 0 and published.stdout.startswith("published data_ready (event "), published.stderr
    assert cli("publish", "data_ready", "--payload", "[1]").returncode == 2  # not a JSON object: a usage error
    listed = cli("rejected", "ScoreFlow")
    assert listed.returncode == 0 and listed.stdout.strip() == "no rejected triggers for ScoreFlow"
