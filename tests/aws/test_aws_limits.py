"""Names and sizes deploy sends are within what each AWS API accepts (emulated AWS)."""
from __future__ import annotations

import os

from sfncompile.aws import names
from sfncompile.aws.deploy import deploy
from sfncompile.aws.executions import delete_deployment

pytest_plugins = ["tests.support.fixtures"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEDULED = os.path.join(ROOT, "tests", "aws", "flows", "scheduled.py")


def test_a_long_deployment_name_gets_a_schedule_name_scheduler_accepts(aws_config, moto_aws):
    # A state machine name may have 80 characters, a schedule's 64 (API_CreateSchedule).
    long_name = "sfncompile-test-ScheduledFlow-" + "x" * 45
    assert len(long_name) == 75
    result = deploy(SCHEDULED, config=aws_config, name=long_name)
    assert result.name == long_name
    scheduler = moto_aws.client("scheduler")
    (schedule,) = scheduler.list_schedules()["Schedules"]
    assert len(schedule["Name"]) == 64 and schedule["Name"].startswith("sfncompile-test-ScheduledFlow-x")
    assert schedule["Name"] == names.schedule_name(long_name)
    assert deploy(SCHEDULED, config=aws_config, name=long_name).changes == [], "a redeploy finds its schedule"
    assert delete_deployment("ScheduledFlow", config=aws_config, name=long_name)["schedule"] is True
    assert scheduler.list_schedules()["Schedules"] == []


def test_names_within_64_characters_are_kept():
    name = "sfncompile-test-ScheduledFlow"
    assert names.schedule_name(name) == name


def test_deploy_measures_the_request_it_sends_with_its_tags(aws_config, moto_aws, tmp_path):
    """Compile estimates the request; deploy measures its real one, user tags included: 2,880
    steps fit as compiled, and 48 tags of 256-character values take the request past 1 MB."""
    import pytest

    from sfncompile.exceptions import CompileError
    from tests.compiler.test_limits import linear_flow

    path = tmp_path / "long.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + linear_flow(2880))
    tags = {f"team{i}": "v" * 256 for i in range(48)}
    with pytest.raises(CompileError) as err:
        deploy(str(path), config=aws_config, tags=tags)
    assert "escaped as a string in the CreateStateMachine request); Step Functions accepts at most 1,048,576" \
        in err.value.message
    assert moto_aws.client("stepfunctions").list_state_machines()["stateMachines"] == []
    assert deploy(str(path), config=aws_config).changes, "without the tags it fits"


def test_event_parameters_are_what_the_rules_template_makes_of_an_event():
    """The size check of `event publish` measures the parameters the trigger rule really produces."""
    import json

    from sfncompile.aws.events import event_parameters, event_rule
    from tests.support.eventbridge import transform

    rule = event_rule("TrainFlow", "bus", 0, {"name": "data_ready"})
    event = {"id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "time": "2026-11-30T08:44:47Z",
             "source": "sfncompile", "detail-type": "data_ready", "detail": {"lr": 0.5, "name": "é"}}
    sent = json.loads(transform(rule.input_paths, rule.input_template, event, "arn", rule.name))
    expected = event_parameters("data_ready", event["detail"])["__trigger__"]
    got = sent["parameters"]["__trigger__"]
    assert {k: got[k] for k in ("type", "event", "payload")} == {k: expected[k] for k in ("type", "event", "payload")}
    assert len(got["id"]) == len(expected["id"]) and len(got["time"]) == len(expected["time"])


def test_publish_refuses_a_payload_past_eventbridges_entry_or_step_functions_input_limit(aws_config, moto_aws):
    """The payload reaches a triggered flow's start task in its execution's input: EventBridge takes an
    entry under 256 KB and Step Functions an input of 256 KiB, so `publish` refuses more before PutEvents."""
    import pytest

    from sfncompile.aws.events import EVENT_ENTRY_LIMIT, publish
    from sfncompile.aws.start_guard import EXECUTION_INPUT_LIMIT
    from sfncompile.exceptions import ParameterError
    from tests.support.eventbridge import STATE

    with pytest.raises(ParameterError, match=r"makes an event entry of 262,1\d\d bytes; EventBridge accepts only "
                                             r"entries under 262,144") as refused:
        publish("data_ready", {"rows": "x" * EVENT_ENTRY_LIMIT}, config=aws_config)
    assert refused.value.fix.startswith("publish a reference to the data")
    # Fits EventBridge, but the rule's transformer adds the trigger's fields to the execution's input.
    near = EXECUTION_INPUT_LIMIT - len('{"rows": ""}') - len("sfncompile") - len("data_ready") - 1
    with pytest.raises(ParameterError, match=r"in the input of a flow it starts: the execution input would be "
                                             r"262,\d\d\d bytes; Step Functions starts an execution only with at most"):
        publish("data_ready", {"rows": "x" * near}, config=aws_config)
    assert STATE.deliveries == []
    publish("data_ready", {"rows": "x" * 200_000}, config=aws_config)  # past any command line: published


def test_state_machine_tags_step_functions_would_refuse_are_named():
    import pytest

    from sfncompile.aws.statemachine import check_tags
    from sfncompile.exceptions import CompileError

    check_tags({"team": "ml", "cost centre": "é/42", "k" * 128: "v" * 256})
    cases = [
        ({"team": "v" * 257}, "the value of tag 'team' has 257 characters; Step Functions allows 256"),
        ({"k" * 129: "x"}, "has 129 characters; Step Functions allows 128"),
        ({"team": "a,b"}, "the value of tag 'team' contains ','"),
        ({"aws:team": "x"}, "starts with 'aws:'"),
        ({f"t{i}": "x" for i in range(51)}, "would have 51 tags"),
    ]
    for tags, message in cases:
        with pytest.raises(CompileError) as err:
            check_tags(tags)
        assert message in err.value.message, err.value.message


def test_deploy_refuses_a_tag_before_it_changes_anything(aws_config, moto_aws):
    import pytest

    from sfncompile.exceptions import CompileError

    with pytest.raises(CompileError, match="the value of tag 'note' has 300 characters"):
        deploy(SCHEDULED, config=aws_config, tags={"note": "n" * 300})
    assert moto_aws.client("stepfunctions").list_state_machines()["stateMachines"] == []
    registered = moto_aws.client("batch").describe_job_definitions(status="ACTIVE")["jobDefinitions"]
    assert not [d for d in registered if "ScheduledFlow" in d["jobDefinitionName"]]


START_ENV_FLOW = '''
from sfncompile import FlowSpec, Parameter, environment, step


class StartEnvFlow(FlowSpec):
    label = Parameter("label", default="x")

    @environment(vars={"CONFIG": "c" * 5000})
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


def test_the_start_jobs_environment_leaves_the_parameters_their_own_room(aws_config, moto_aws, tmp_path):
    """The deployed start Task's @environment variables travel in its container overrides; the
    parameters do not (the start task reads them from the execution's input), so 5,000 characters
    of variables and 40,000 of parameters start a run."""
    from sfncompile.aws.trigger import trigger

    path = tmp_path / "start_env.py"
    path.write_text(START_ENV_FLOW)
    deploy(str(path), config=aws_config)
    assert trigger("StartEnvFlow", {"label": "x" * 40_000}, config=aws_config).run_id.startswith("sfn-")
