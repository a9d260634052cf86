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
