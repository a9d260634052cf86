"""Recording a failed run before the execution ends.

Every state that can fail catches ``States.ALL`` into ``$.failure`` and goes to a
tiny per-step Pass (``<step> failed``) that names the step, then to one recorder per
ASL container (top level, each Parallel branch, each Map iteration). The recorder
``dynamodb:updateItem``s the run item (status FAILED, failed_step, finished_at,
error, cause) and ends in a ``Fail`` whose error is :data:`RECORDED`. A Parallel or
Map whose branch failed that way only re-raises (the run is already recorded);
anything else that fails a Parallel or Map (an unreadable manifest, say) is recorded
as a failure of the split step. A successful run's status is the end task's to write.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from . import intrinsics as asl

RECORDED = "sfncompile.StepFailed"
ALL = "States.ALL"
# A Distributed Map reports a failed child execution under this name; the child has
# recorded the run's failure itself.
MAP_CHILD_FAILED = "States.ExceedToleratedFailureThreshold"



# ASL's defaults, left out of the JSON to keep it small.
DEFAULT_INTERVAL, DEFAULT_ATTEMPTS, DEFAULT_BACKOFF = 1, 3, 2.0


def retrier(
    errors: List[str],
    *,
    interval: int = DEFAULT_INTERVAL,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    max_delay: Optional[int] = None,
    jitter: bool = False,
) -> Dict[str, Any]:
    """A Retry entry, with only the fields that differ from ASL's defaults."""
    entry: Dict[str, Any] = {"ErrorEquals": errors}
    if interval != DEFAULT_INTERVAL:
        entry["IntervalSeconds"] = interval
    if attempts != DEFAULT_ATTEMPTS:
        entry["MaxAttempts"] = attempts
    if backoff != DEFAULT_BACKOFF:
        entry["BackoffRate"] = float(backoff)  # statelint wants a float
    if max_delay is not None:
        entry["MaxDelaySeconds"] = max_delay
    if jitter:
        entry["JitterStrategy"] = "FULL"
    return entry


def idempotent_retry() -> List[Dict[str, Any]]:
    """DynamoDB calls here are idempotent (a read, or a SET of the same values): retry anything briefly."""
    return [retrier([ALL], jitter=True)]


def catch_to(failed_state: str) -> List[Dict[str, Any]]:
    """The Catch of a state whose failure is the step's: keep the error in ``$.failure``."""
    return [{"ErrorEquals": [ALL], "ResultPath": asl.FAILURE, "Next": failed_state}]


def container_catch(fail_state: str, failed_state: str, *, distributed: bool) -> List[Dict[str, Any]]:
    """The Catch of a Parallel or Map: re-raise recorded failures, record anything else."""
    recorded = [RECORDED, MAP_CHILD_FAILED] if distributed else [RECORDED]
    return [
        {"ErrorEquals": recorded, "ResultPath": asl.FAILURE, "Next": fail_state},
        {"ErrorEquals": [ALL], "ResultPath": asl.FAILURE, "Next": failed_state},
    ]


def failed_pass(step: str, recorder: str) -> Dict[str, Any]:
    """``<step> failed``: name the failed step for the recorder."""
    return {"Type": "Pass", "Result": step, "ResultPath": asl.FAILED_STEP, "Next": recorder}


def error_pass(error: str, cause_template: str, args: List[str], failed_state: str) -> Dict[str, Any]:
    """A failure the state machine detects itself (an unknown switch case, a too-wide foreach)."""
    failure: Dict[str, Any] = {"Error": error}
    asl.put(failure, "Cause", cause_template, args)
    return {"Type": "Pass", "Parameters": failure, "ResultPath": asl.FAILURE, "Next": failed_state}


_RUN_ATTRIBUTES = {
    "#status": "status",
    "#failed_step": "failed_step",
    "#finished_at": "finished_at",
    "#error": "error",
    "#cause": "cause",
}


def recorder(fail_state: str) -> Dict[str, Any]:
    """Write the failure onto the run item (pk ``FLOW#<flow>``, sk ``RUN#<run>``)."""
    return {
        "Type": "Task",
        "Resource": asl.DYNAMODB_UPDATE_ITEM,
        "Parameters": {
            "TableName": asl.placeholder(asl.METADATA_TABLE),
            "Key": {
                "pk": {"S": f"FLOW#{asl.placeholder(asl.FLOW_NAME)}"},
                "sk": {"S.$": asl.format_call("RUN#{}", [asl.RUN])},
            },
            "UpdateExpression": "SET " + ", ".join(f"{n} = :{n[1:]}" for n in _RUN_ATTRIBUTES),
            "ExpressionAttributeNames": dict(_RUN_ATTRIBUTES),
            "ExpressionAttributeValues": {
                ":status": {"S": "FAILED"},
                ":failed_step": {"S.$": asl.FAILED_STEP},
                ":finished_at": {"S.$": "$$.State.EnteredTime"},
                ":error": {"S.$": f"{asl.FAILURE}.Error"},
                ":cause": {"S.$": f"{asl.FAILURE}.Cause"},
            },
        },
        "ResultPath": None,
        "Retry": idempotent_retry(),
        "Catch": [{"ErrorEquals": [ALL], "ResultPath": "$.recorder_failure", "Next": fail_state}],
        "Next": fail_state,
    }


def fail_state() -> Dict[str, Any]:
    """End the container (and so the execution) with the original cause."""
    return {"Type": "Fail", "Error": RECORDED, "CausePath": f"{asl.FAILURE}.Cause"}
