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
    """Compile estimates the request; deploy measures its real one, user tags included: 2,900
    steps fit as compiled, and fifty 256-character tag values take the request past 1 MB."""
    import pytest

    from sfncompile.exceptions import CompileError
    from tests.compiler.test_limits import linear_flow

    path = tmp_path / "long.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + linear_flow(2900))
    tags = {f"team{i}": "v" * 256 for i in range(50)}
    with pytest.raises(CompileError) as err:
        deploy(str(path), config=aws_config, tags=tags)
    assert "escaped as a string in the CreateStateMachine request); Step Functions accepts at most 1,048,576" \
        in err.value.message
    assert moto_aws.client("stepfunctions").list_state_machines()["stateMachines"] == []
    assert deploy(str(path), config=aws_config).changes, "without the tags it fits"
