"""@schedule → an EventBridge Scheduler schedule (time zones work), kept in step with the decorator.

Functions here take the deployment's name; its schedule is ``names.schedule_name`` of it
(Scheduler allows 64 characters where a state machine name has 80).
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from .errors import aws_errors
from .names import schedule_name

GROUP = "default"


def _get(scheduler: Any, deployment: str) -> Optional[Mapping[str, Any]]:
    """The schedule of ``deployment``, or None."""
    from botocore.exceptions import ClientError

    with aws_errors(f"read schedule {schedule_name(deployment)}"):
        try:
            return scheduler.get_schedule(Name=schedule_name(deployment), GroupName=GROUP)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise


def desired_schedule(
    name: str, schedule: Mapping[str, Any], state_machine_arn: str, role_arn: str
) -> Mapping[str, Any]:
    return {
        "Name": schedule_name(name),
        "GroupName": GROUP,
        "ScheduleExpression": f"cron({schedule['cron']})",
        "ScheduleExpressionTimezone": schedule.get("timezone") or "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Description": f"sfncompile schedule of {name}",
        "Target": {
            "Arn": state_machine_arn,
            "RoleArn": role_arn,
            "Input": json.dumps({"parameters": {}}),
        },
    }


def _json_or_text(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _same(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Every field deploy sets: expression, zone, time window, description, state, and the target's input."""
    target = current.get("Target", {})
    window = current.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    return (
        current.get("ScheduleExpression") == desired["ScheduleExpression"]
        and (current.get("ScheduleExpressionTimezone") or "UTC") == desired["ScheduleExpressionTimezone"]
        and window == desired["FlexibleTimeWindow"]
        and current.get("Description") == desired["Description"]
        and target.get("Arn") == desired["Target"]["Arn"]
        and target.get("RoleArn") == desired["Target"]["RoleArn"]
        and _json_or_text(target.get("Input")) == _json_or_text(desired["Target"]["Input"])
        and current.get("State", "ENABLED") == "ENABLED"
    )


def sync_schedule(
    scheduler: Any,
    name: str,
    schedule: Optional[Mapping[str, Any]],
    state_machine_arn: str,
    role_arn: Optional[str],
) -> str:
    """Create, update or delete the flow's schedule; returns 'created'/'updated'/'deleted'/'unchanged'/'none'."""
    current = _get(scheduler, name)
    if schedule is None:
        if current is None:
            return "none"
        with aws_errors(f"delete schedule {schedule_name(name)}"):
            scheduler.delete_schedule(Name=schedule_name(name), GroupName=GROUP)
        return "deleted"
    if not role_arn:
        from ..exceptions import ConfigError

        raise ConfigError(
            "the flow has @schedule but the config has no scheduler_role_arn",
            fix="rerun `sfncompile configure --stack ...` with the current infra stack",
        )
    desired = desired_schedule(name, schedule, state_machine_arn, role_arn)
    if current is None:
        with aws_errors(f"create schedule {desired['Name']}"):
            scheduler.create_schedule(**desired)
        return "created"
    if _same(current, desired):
        return "unchanged"
    with aws_errors(f"update schedule {desired['Name']}"):
        scheduler.update_schedule(**desired)
    return "updated"


def describe_schedule(scheduler: Any, name: str) -> Optional[str]:
    """The schedule of deployment ``name`` as ``cron(...) zone``, or None."""
    current = _get(scheduler, name)
    if current is None:
        return None
    return f"{current.get('ScheduleExpression')} {current.get('ScheduleExpressionTimezone') or 'UTC'}"
