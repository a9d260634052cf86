"""The Batch Task state of a step: SubmitJob parameters, overrides, timeout and retries.

The job definition's command is ``sfncompile task Ref::step --run-id Ref::run
--task-id Ref::task --attempt Ref::attempt`` (docs/internals.md); the state fills the
four ``Ref::`` values through SubmitJob's ``Parameters`` (all strings). The start
step also needs the run's parameters: Batch substitutes ``Ref::`` only in the job
definition's command, so the start step overrides the command with the same words
plus ``--params-json``, every value resolved by Step Functions itself.

Every job is tagged ``sfncompile:stack=<stack>``: the stage's state machine role may
stop (TerminateJob) only jobs carrying its own stack's tag.

Job descriptions never flow into state (``ResultPath: null``): state stays
``{"run", "job", "ctx", "ctl"}``, a few hundred bytes. The queue, job definition and
tags every step shares are read from ``$.job`` (:func:`shared_job_values`, stored once
by the first state), so a step costs the same bytes whatever the ARNs' length.
"""
from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Optional, Tuple

from ..graph.ir import StepNode
from . import intrinsics as asl
from .context import task_id_template
from .failures import retrier
from .result import CompileWarning
from .settings import DeploySettings

# Batch: an attempt may not be shorter than 60 seconds.
MIN_ATTEMPT_SECONDS = 60
# Batch job names: up to 128 letters, digits, hyphens and underscores, starting with
# a letter or digit.
_JOB_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]")
MAX_JOB_NAME = 128

TASK_FAILED = "States.TaskFailed"
STATE_TIMEOUT = "States.Timeout"

# The tag that scopes the state machine role's batch:TerminateJob to this stage's jobs.
STACK_TAG = "sfncompile:stack"

# The attempt number as the string Batch parameters must be.
ATTEMPT = asl.format_call("{}", [asl.RETRY_COUNT])


def shared_job_values() -> Dict[str, Any]:
    """``$.job``: the SubmitJob values of every step without its own queue or image."""
    return {
        "q": asl.placeholder(asl.JOB_QUEUE),
        "d": asl.placeholder(asl.JOB_DEFINITION),
        "t": {STACK_TAG: asl.placeholder(asl.STACK)},
    }


def job_name(flow: str, step: str) -> str:
    """``<Flow>-<step>``: readable in a job queue many flows share, and always a valid Batch name."""
    name = _JOB_NAME_BAD.sub("_", f"{flow}-{step}")
    if not name[0].isalnum():
        name = "f" + name
    return name[:MAX_JOB_NAME]


def _number(value: Any) -> str:
    """Batch resource values are strings: ``1``, ``0.5``, ``2048``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def resource_requirements(step: StepNode) -> List[Dict[str, str]]:
    """VCPU / MEMORY / GPU from @resources and @batch (the larger wins, as in Metaflow)."""
    merged: Dict[str, Any] = {}
    for deco in ("resources", "batch"):
        for key, value in (step.decorator(deco) or {}).items():
            if key in ("cpu", "memory", "gpu") and value is not None:
                merged[key] = max(merged.get(key, value), value)
    out = []
    for key, kind in (("cpu", "VCPU"), ("memory", "MEMORY"), ("gpu", "GPU")):
        if merged.get(key):
            out.append({"Type": kind, "Value": _number(merged[key])})
    return out


def container_environment(step: StepNode) -> List[Dict[str, str]]:
    env = (step.decorator("environment") or {}).get("vars") or {}
    return [{"Name": name, "Value": value} for name, value in sorted(env.items())]


def attempt_seconds(step: StepNode, warnings: List[CompileWarning]) -> Optional[int]:
    """@timeout as a Batch attempt duration (whole seconds, at least 60), warning when it differs."""
    timeout = step.decorator("timeout")
    if not timeout:
        return None
    asked = timeout["seconds"]
    seconds = max(MIN_ATTEMPT_SECONDS, math.ceil(asked))
    if seconds != asked:
        warnings.append(
            CompileWarning(
                f"@timeout of {asked} s becomes a Batch attempt timeout of {seconds} s "
                f"(Batch counts whole seconds, {MIN_ATTEMPT_SECONDS} s at least)",
                step=step.name,
                fix=f"use @timeout(seconds={seconds}) or more to make this explicit",
            )
        )
    return seconds


def throttle_retrier(settings: DeploySettings) -> Dict[str, Any]:
    t = settings.throttle_retry
    return retrier(
        list(t.errors),
        interval=t.interval_seconds,
        attempts=t.max_attempts,
        backoff=t.backoff_rate,
        max_delay=t.max_delay_seconds,
        jitter=True,
    )


def user_retrier(step: StepNode) -> Optional[Dict[str, Any]]:
    """@retry: a constant interval (BackoffRate 1) and ``times`` retries of failed user code."""
    retry = step.decorator("retry")
    if not retry or retry["times"] == 0:
        return None
    errors = [TASK_FAILED] + ([STATE_TIMEOUT] if step.decorator("timeout") else [])
    return {
        "ErrorEquals": errors,
        "IntervalSeconds": max(1, math.ceil(retry["minutes_between_retries"] * 60)),
        "MaxAttempts": retry["times"],
        "BackoffRate": 1.0,  # a float: statelint insists
    }


def task_command(step: StepNode, task_template: Tuple[str, Tuple[str, ...]], params_json: Optional[str],
                 environment: Optional[str] = None) -> str:
    """``States.Array`` of the task command with every value resolved.

    The start step's override adds ``--params-json``; a step with a package environment
    adds ``--environment ID`` (the job definition's command has neither).
    """
    words = [
        asl.literal("sfncompile"),
        asl.literal("task"),
        asl.literal(step.name),
        asl.literal("--run-id"),
        asl.RUN,
        asl.literal("--task-id"),
        asl.argument(*task_template),
        asl.literal("--attempt"),
        ATTEMPT,
    ]
    if params_json is not None:
        words += [asl.literal("--params-json"), asl.call("JsonToString", params_json)]
    if environment is not None:
        words += [asl.literal("--environment"), asl.literal(environment)]
    return asl.call("Array", *words)


def batch_task(
    step: StepNode,
    settings: DeploySettings,
    *,
    flow: str,
    is_start: bool,
    warnings: List[CompileWarning],
) -> Dict[str, Any]:
    """The Task state of ``step`` (without Catch and Next: the builder links those)."""
    batch = step.decorator("batch") or {}
    image = batch.get("image")
    task_template = task_id_template(step)
    job_parameters: Dict[str, Any] = {"step": step.name, "run.$": asl.RUN}
    asl.put(job_parameters, "task", *task_template)
    job_parameters["attempt.$"] = ATTEMPT
    parameters: Dict[str, Any] = {"JobName": job_name(flow, step.name)}
    if batch.get("queue"):
        parameters["JobQueue"] = batch["queue"]
    else:
        parameters["JobQueue.$"] = asl.JOB_QUEUE_PATH
    if image:
        parameters["JobDefinition"] = asl.placeholder(asl.job_definition_placeholder(step.name))
    else:
        parameters["JobDefinition.$"] = asl.JOB_DEFINITION_PATH
    parameters["Parameters"] = job_parameters
    parameters["Tags.$"] = asl.JOB_TAGS_PATH
    overrides: Dict[str, Any] = {}
    environment = settings.environments.get(step.name)
    if is_start or environment:
        params_json = "$$.Execution.Input.parameters" if is_start else None
        overrides["Command.$"] = task_command(step, task_template, params_json, environment)
    requirements = resource_requirements(step)
    if requirements:
        overrides["ResourceRequirements"] = requirements
    env = container_environment(step)
    if env:
        overrides["Environment"] = env
    if overrides:
        parameters["ContainerOverrides"] = overrides
    seconds = attempt_seconds(step, warnings)
    if seconds is not None:
        parameters["Timeout"] = {"AttemptDurationSeconds": seconds}
    state: Dict[str, Any] = {"Type": "Task", "Resource": asl.BATCH_SUBMIT_SYNC, "Parameters": parameters}
    if seconds is not None:
        state["TimeoutSeconds"] = seconds * settings.platform_attempts + settings.timeout_queue_margin_seconds
    state["ResultPath"] = None
    retriers = [throttle_retrier(settings)]
    user = user_retrier(step)
    if user:
        retriers.append(user)
    state["Retry"] = retriers
    return state
