"""What must hold before `trigger` or `redrive` starts anything on a deployment.

The deploy manifest lives in S3, where anyone who can write the datastore could
change it; so a manifest is trusted for parameters and names, never for *which*
state machine to start. A machine may be started only when it is the one this
stage's config names (``<state_machine_prefix><name>`` in the configured account and
region) and its tags say deploy made it for this flow.

The run's parameters travel as the execution's input, which the start task reads itself
(``runtime/execution_input.py``), never on a job's command line. Step Functions takes an
input of at most 256 KiB, counted in bytes of UTF-8
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum input or
output size for a task, state, or execution"): :func:`check_input_size` says so before
anything starts, where StartExecution would refuse with a bare validation error.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from ..exceptions import ConfigError, ParameterError
from . import statemachine
from .errors import aws_errors

EXECUTION_INPUT_LIMIT = 256 * 1024


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


def execution_input(parameters: Mapping[str, Any]) -> str:
    """The execution input a run's parameters make, as StartExecution sends it."""
    return json.dumps({"parameters": dict(parameters)})


LARGE_PARAMETERS_FIX = "pass large values as an IncludeFile parameter (stored in the datastore, passed by reference)"


def check_input_size(flow: str, input_text: str, what: Optional[str] = None, fix: str = LARGE_PARAMETERS_FIX) -> None:
    """ParameterError when Step Functions would refuse ``input_text`` as an execution's input."""
    size = len(input_text.encode("utf-8"))
    if size > EXECUTION_INPUT_LIMIT:
        raise ParameterError(f"{what or f'the parameters of {flow}'}: the execution input would be {size:,} bytes; "
                             f"Step Functions starts an execution only with at most {EXECUTION_INPUT_LIMIT:,}", fix=fix)
