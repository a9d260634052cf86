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


def test_an_event_whose_payload_no_start_job_could_carry_is_not_published(aws_config, moto_aws):
    """The payload reaches a triggered flow's start job as its parameters: past ECS's 8,192 characters
    of overrides the run would fail at its first job, so `publish` refuses it before PutEvents."""
    import pytest

    from sfncompile.aws.events import publish
    from sfncompile.exceptions import ParameterError
    with pytest.raises(ParameterError) as err:
        publish("data_ready", {"rows": "x" * 9000}, config=aws_config)
    assert "the payload of event 'data_ready', as the parameters of a flow it starts, make the start step's " \
           "Batch job too large" in err.value.message and "8,192" in err.value.message
    assert err.value.fix.startswith("publish a reference to the data")
    publish("data_ready", {"rows": "x" * 6000}, config=aws_config)


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


def test_trigger_measures_the_start_jobs_environment_with_the_parameters(aws_config, moto_aws, tmp_path):
    """The deployed start Task's @environment variables travel in the same container overrides as
    the parameters: 5,000 characters of them plus 4,000 of parameters pass ECS's 8,192."""
    import pytest

    from sfncompile.aws.trigger import trigger
    from sfncompile.exceptions import ParameterError

    path = tmp_path / "start_env.py"
    path.write_text(START_ENV_FLOW)
    deploy(str(path), config=aws_config)
    with pytest.raises(ParameterError, match="ECS runs a Batch job only with at most 8,192"):
        trigger("StartEnvFlow", {"label": "x" * 4000}, config=aws_config)
    assert trigger("StartEnvFlow", {"label": "x" * 1000}, config=aws_config).run_id.startswith("sfn-")
