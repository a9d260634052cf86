"""How a compiled machine fails: the failing state itself ends the execution.

Step Functions' redrive "continues the failed execution from the unsuccessful step"
and keeps the results of the steps that succeeded (docs/internals.md, "Failures and
redrive"). So nothing catches a step's failure: a Batch Task that fails (after its
``Retry``) is the execution's unsuccessful state, a Parallel or inline Map fails
because one of its branches or iterations did, and a redrive re-runs exactly those.
The task records its own failure in the metadata store before exiting non-zero;
readers reconcile a run's status from the execution's (``aws/reconcile.py``).

The only failures the machine detects itself (a switch choice that is none of its
cases, an inline foreach wider than an inline Map may be) end in a ``Fail`` state
named after the step, whose error and cause say what happened.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from . import intrinsics as asl

ALL = "States.ALL"

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


def detected_failure(error: str, cause_template: str, args: List[str]) -> Dict[str, Any]:
    """A failure the state machine detects itself: a ``Fail`` whose cause names the step and the value."""
    state: Dict[str, Any] = {"Type": "Fail", "Error": error}
    if args:
        state["CausePath"] = asl.format_call(cause_template, args)
    else:
        state["Cause"] = cause_template
    return state
