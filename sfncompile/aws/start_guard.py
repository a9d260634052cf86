"""What must hold before `trigger` or `redrive` starts anything on a deployment.

The deploy manifest lives in S3, where anyone who can write the datastore could
change it; so a manifest is trusted for parameters and names, never for *which*
state machine to start. A machine may be started only when it is the one this
stage's config names (``<state_machine_prefix><name>`` in the configured account and
region) and its tags say deploy made it for this flow.

The start step's SubmitJob request carries the run's parameters on its command line
(``--params-json``): past Batch's 30 KiB payload, or ECS's 8,192 characters of container
overrides (``batch_limits.py``), the run would fail only once it reached Batch.
:func:`check_submit_size` rejects such parameters before anything starts.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional

from ..compiler.batch_limits import LATEST_ATTEMPT, LONGEST_RUN_ID, submit_job_problem
from ..exceptions import ConfigError, ParameterError
from . import statemachine
from .errors import aws_errors

# What the start step's SubmitJob holds besides the command: resource and environment
# overrides, timeout, retry fields and JSON punctuation (generous, so the check errs safe).
SUBMIT_JOB_OVERHEAD = 2 * 1024


def startable_arn(sfn: Any, config: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """The manifest's state machine ARN, once it is shown to be this stage's sfncompile machine."""
    flow, name = manifest.get("flow"), str(manifest.get("name") or "")
    prefix = config.get("state_machine_prefix") or ""
    expected = statemachine.state_machine_arn(config, name)
    if not name.startswith(prefix) or manifest.get("state_machine_arn") != expected:
        raise ConfigError(
            f"the deploy manifest of {flow} names state machine {manifest.get('state_machine_arn')!r}, "
            f"not one of this stage's ({expected!r}, names starting with {prefix!r}); refusing to start it",
            fix="redeploy the flow (`sfncompile deploy`) to rewrite its manifest",
        )
    with aws_errors(f"read the tags of state machine {name}"):
        tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=expected).get("tags", [])}
    if tags.get(statemachine.FLOW_TAG) != flow:
        raise ConfigError(
            f"state machine {name} is not tagged {statemachine.FLOW_TAG}={flow}: it was not deployed by "
            "sfncompile for this flow; refusing to start it",
            fix="redeploy the flow with `sfncompile deploy`",
        )
    return expected


def start_overrides(definition: str) -> Dict[str, Any]:
    """The deployed start Task's static ``ContainerOverrides`` (@environment, resources), or {}."""
    from ..compiler.jobparams import STEP

    for state in json.loads(definition).get("States", {}).values():
        task = state.get("Parameters") or {}
        if state.get("Type") == "Task" and (task.get("Parameters") or {}).get(STEP) == "start":
            return task.get("ContainerOverrides") or {}
    return {}


def start_submit_request(config: Mapping[str, Any], flow: str, parameters: Mapping[str, Any],
                         static_overrides: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The start step's SubmitJob request, as far as the parameters (and the deployed Task's
    ``static_overrides``) make it grow."""
    from ..compiler.batch_limits import batch_overrides
    from ..compiler.jobparams import fill_command, job_parameters
    from ..compiler.tasks import job_name

    params_json = json.dumps(parameters, separators=(",", ":"), ensure_ascii=False)
    job_params = job_parameters("start", LONGEST_RUN_ID, "0", LATEST_ATTEMPT)  # the start step's task id is 0
    command = fill_command(job_params) + ["--params-json", params_json]
    return {
        "jobName": job_name("start"),
        "jobQueue": config.get("job_queue", ""),
        "jobDefinition": config.get("job_definition", ""),
        "parameters": job_params,
        "containerOverrides": batch_overrides(static_overrides or {}, command),
    }


LARGE_PARAMETERS_FIX = "pass large values as an IncludeFile parameter (stored in the datastore, passed by reference)"


def check_submit_size(config: Mapping[str, Any], flow: str, parameters: Mapping[str, Any],
                      what: Optional[str] = None, fix: str = LARGE_PARAMETERS_FIX,
                      static_overrides: Optional[Mapping[str, Any]] = None) -> None:
    """ParameterError when the start step's SubmitJob would pass what Batch or ECS accept."""
    request = start_submit_request(config, flow, parameters, static_overrides)
    problem = submit_job_problem(request, SUBMIT_JOB_OVERHEAD)
    if problem is not None:
        raise ParameterError(f"{what or f'the parameters of {flow}'} make the start step's Batch job too large: "
                             f"{problem}", fix=fix)
