"""A redeploy notices every setting deploy owns that was changed behind its back."""
from __future__ import annotations

import json
import os

import pytest

from sfncompile.aws.deploy import deploy

pytest_plugins = ["tests.support.fixtures"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEDULED = os.path.join(ROOT, "tests", "aws", "flows", "scheduled.py")
NAME = "sfncompile-test-ScheduledFlow"


@pytest.fixture
def deployed(aws_config):
    config = aws_config
    first = deploy(SCHEDULED, config=config)
    assert deploy(SCHEDULED, config=config).changes == [], "a plain redeploy changes nothing"
    return config, first.state_machine_arn


def test_a_changed_logging_configuration_is_put_back(deployed, moto_aws):
    config, arn = deployed
    sfn = moto_aws.client("stepfunctions")
    sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration={"level": "OFF"})
    result = deploy(SCHEDULED, config=config)
    assert f"updated state machine {NAME}" in result.changes
    logging = sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"]
    assert logging["level"] == "ERROR"
    assert deploy(SCHEDULED, config=config).changes == []


@pytest.mark.parametrize("field, value", [
    ("Description", "edited in the console"),
    ("FlexibleTimeWindow", {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}),
    ("Input", json.dumps({"parameters": {"injected": 1}})),
])
def test_a_changed_schedule_is_put_back(deployed, moto_aws, field, value):
    config, arn = deployed
    scheduler = moto_aws.client("scheduler")
    current = scheduler.get_schedule(Name=NAME)
    request = {k: current[k] for k in ("Name", "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone",
                                       "FlexibleTimeWindow", "State", "Description")}
    request["Target"] = {k: current["Target"][k] for k in ("Arn", "RoleArn", "Input")}
    if field == "Input":
        request["Target"]["Input"] = value
    else:
        request[field] = value
    scheduler.update_schedule(**request)
    result = deploy(SCHEDULED, config=config)
    assert any(change.startswith("updated schedule") for change in result.changes), result.changes
    again = scheduler.get_schedule(Name=NAME)
    assert again["Description"] == current["Description"]
    assert again["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert json.loads(again["Target"]["Input"]) == {"parameters": {}}


def test_the_definition_is_sent_in_the_compact_form_the_size_check_measured(deployed, moto_aws):
    """Step Functions counts the bytes it receives: indentation or spaces after separators would
    add ~9% to what ``check_definition_size`` allowed, and a flow at 95% would fail at deploy."""
    from sfncompile.compiler import to_json

    _, arn = deployed
    sent = moto_aws.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    assert sent == to_json(json.loads(sent))
