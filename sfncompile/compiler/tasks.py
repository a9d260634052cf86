"""The Batch Task state of a step: SubmitJob parameters, overrides, timeout and retries.

The job definition's command is ``sfncompile task Ref::s --run-id Ref::r
--task-id Ref::t --attempt Ref::a`` (:mod:`.jobparams`, docs/internals.md); the state
fills the ``Ref::`` values through SubmitJob's ``Parameters`` (all strings), leaving out
``t`` (task id) and ``a`` (attempt) when they equal the job definition's defaults. The start
step also needs the run's parameters: it gets the execution's ARN (``--execution-arn
$$.Execution.Id``) and reads the input itself (``runtime/execution_input.py``), since the
input may be 256 KiB and ECS takes 8,192 characters of overrides (``batch_limits``). Batch
substitutes ``Ref::`` only in the job definition's command, so the start step overrides the
command with the same words plus ``--execution-arn``, every value resolved by Step Functions.

Every job is tagged ``sfncompile:stack=<stack>``: the stage's state machine role may
stop (TerminateJob) only jobs carrying its own stack's tag. TerminateJob's only
condition key is the job's own ``aws:ResourceTag``, and a job gets tags only from its
SubmitJob request: job definition tags are not propagated to jobs, ``propagateTags``
copies them to the job's ECS task
(https://docs.aws.amazon.com/batch/latest/userguide/batch-supported-iam-actions-resources.html,
https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html,
https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDefinition.html). So each
Task passes the tags, by one short path.

A job is named after its step (``JobName``: ``train``); the flow is the job's
``sfncompile:flow`` tag, shared by all steps, so the flow name is not paid per step. The
job's step and run are its parameters (``s``, ``r``) and its command.

Job descriptions never flow into state (``ResultPath: null``): state stays
``{"r", "q", "d", "t", "c", "ctl"}``, a few hundred bytes. The queue, job definition
and tags every step shares are read from ``$.q``/``$.d``/``$.t``
(:func:`shared_job_values`, stored once by the first state), so a step costs the same
bytes whatever the ARNs' and the flow name's length.
"""
from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Optional

from ..exceptions import CompileError
from ..graph.ir import FRAME_FOREACH, StepNode
from . import intrinsics as asl
from . import jobparams as job
from .batch_limits import (CONTAINER_OVERRIDES_LIMIT, LATEST_ATTEMPT, LONGEST_EXECUTION_ARN, LONGEST_RUN_ID,
                           LONGEST_TASK_ID, batch_overrides, overrides_characters)
from .context import task_id_expression
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
# The flow a job belongs to: the key deploy also tags state machines with (aws/statemachine.py).
FLOW_TAG = "sfncompile:flow"

# The attempt number as the string Batch parameters must be.
ATTEMPT = asl.format_call("{}", [asl.RETRY_COUNT])
# The start task's option naming the execution whose input holds the run's parameters.
EXECUTION_OPTION = "--execution-arn"

def shared_job_values() -> Dict[str, Any]:
    """``$.q``/``$.d``/``$.t``: the SubmitJob values of every step without its own queue or image."""
    return {
        asl.JOB_QUEUE_KEY: asl.placeholder(asl.JOB_QUEUE),
        asl.JOB_DEFINITION_KEY: asl.placeholder(asl.JOB_DEFINITION),
        asl.JOB_TAGS_KEY: {STACK_TAG: asl.placeholder(asl.STACK), FLOW_TAG: asl.placeholder(asl.FLOW_NAME)},
    }


def job_name(*parts: str) -> str:
    """``parts`` joined by ``-`` as a valid Batch job name (a compiled Task's job: its step)."""
    name = _JOB_NAME_BAD.sub("_", "-".join(parts))
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


def in_map(step: StepNode) -> bool:
    """Whether the step runs in a foreach's Map, i.e. possibly many of its jobs at once."""
    return any(frame.kind == FRAME_FOREACH for frame in step.scope)


def throttle_retrier(settings: DeploySettings, *, jitter: bool) -> Dict[str, Any]:
    """Retry of a throttled SubmitJob; ``jitter`` spreads the retries of many concurrent submissions."""
    t = settings.throttle_retry
    return retrier(
        list(t.errors),
        interval=t.interval_seconds,
        attempts=t.max_attempts,
        backoff=t.backoff_rate,
        max_delay=t.max_delay_seconds,
        jitter=jitter,
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


def task_command(step: StepNode, task_id: Optional[str], is_start: bool, environment: Optional[str] = None) -> str:
    """``States.Array`` of the task command with every value resolved.

    The start step's override adds ``--execution-arn``; a step with a package environment
    adds ``--environment ID`` (the job definition's command has neither).
    """
    values = {job.STEP: asl.literal(step.name), job.RUN: asl.RUN,
              job.TASK: task_id or asl.literal(job.JOB_PARAMETER_DEFAULTS[job.TASK]), job.ATTEMPT: ATTEMPT}
    words = job.fill_command(values, asl.literal)
    if is_start:
        words += [asl.literal(EXECUTION_OPTION), asl.EXECUTION_ID]
    if environment is not None:
        words += [asl.literal("--environment"), asl.literal(environment)]
    return asl.call("Array", *words)


def check_overrides(step: StepNode, environment: Optional[str], is_start: bool, overrides: Dict[str, Any]) -> None:
    """CompileError when the step's container overrides could not reach ECS (``batch_limits``).

    Everything a run puts in them is measured at its longest: the run's parameters are not among it."""
    command = None
    if is_start or environment:
        command = job.fill_command(job.job_parameters(step.name, LONGEST_RUN_ID, LONGEST_TASK_ID, LATEST_ATTEMPT))
        command += [EXECUTION_OPTION, LONGEST_EXECUTION_ARN] if is_start else []
        command += ["--environment", environment] if environment else []
    characters = overrides_characters(batch_overrides(overrides, command))
    if characters > CONTAINER_OVERRIDES_LIMIT:
        raise CompileError(
            f"{step.file}:{step.line} (step '{step.name}'): its Batch job's container overrides (command, "
            f"@environment variables) come to about {characters:,} characters; ECS runs a Batch job only with "
            f"at most {CONTAINER_OVERRIDES_LIMIT:,}",
            fix="keep large values out of @environment: store them as an artifact or an IncludeFile, "
                "and pass their name",
        )


def batch_task(
    step: StepNode,
    settings: DeploySettings,
    *,
    is_start: bool,
    warnings: List[CompileWarning],
) -> Dict[str, Any]:
    """The Task state of ``step`` (without Catch and Next: the builder links those)."""
    batch = step.decorator("batch") or {}
    image = batch.get("image")
    task_id = task_id_expression(step)  # None: the root task id, the job definition's default
    user = user_retrier(step)
    job_parameters: Dict[str, Any] = {job.STEP: step.name, f"{job.RUN}.$": asl.RUN}
    if task_id is not None:
        job_parameters[f"{job.TASK}.$"] = task_id
    if user:
        # Without @retry the only retrier is the throttle one, and it retries only a
        # SubmitJob that Batch refused, so no job ran under the previous count: every
        # job of the state runs as attempt 0 (the default). Should a job have run
        # anyway (the .sync poll failing after the submission), the task stores its
        # try under the next free attempt number (runtime/task.py), and with no
        # @retry, @catch treats every try as the last one whatever its number.
        job_parameters[f"{job.ATTEMPT}.$"] = ATTEMPT
    parameters: Dict[str, Any] = {"JobName": job_name(step.name)}
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
        overrides["Command.$"] = task_command(step, task_id, is_start, environment)
    requirements = resource_requirements(step)
    if requirements:
        overrides["ResourceRequirements"] = requirements
    env = container_environment(step)
    if env:
        overrides["Environment"] = env
    check_overrides(step, environment, is_start, overrides)
    if overrides:
        parameters["ContainerOverrides"] = overrides
    seconds = attempt_seconds(step, warnings)
    if seconds is not None:
        parameters["Timeout"] = {"AttemptDurationSeconds": seconds}
    state: Dict[str, Any] = {"Type": "Task", "Resource": asl.BATCH_SUBMIT_SYNC, "Parameters": parameters}
    if seconds is not None:
        state["TimeoutSeconds"] = seconds * settings.platform_attempts + settings.timeout_queue_margin_seconds
    state["ResultPath"] = None
    # Outside a foreach's Map an execution has one job of the step to submit (a static
    # branch adds a handful, fixed by the code): full jitter would only spread retries
    # that nothing competes with. Map iterations submit together, so they keep it.
    retriers = [throttle_retrier(settings, jitter=in_map(step))]
    if user:
        retriers.append(user)
    state["Retry"] = retriers
    return state
