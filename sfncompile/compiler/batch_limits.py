"""What one Batch SubmitJob may carry, measured as it is sent: two limits, the tighter first.

* AWS Batch rejects a SubmitJob payload over 30 KiB
  (https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html, "Maximum job
  payload size (for SubmitJob API operations)"). Measured as botocore's REST-JSON body:
  ``json.dumps`` with its defaults (spaces after separators, non-ASCII as ``\\uXXXX``).
* A job on ECS runs as an ECS task whose container overrides are the job's, and ECS allows
  "a total of 8192 characters [...] for overrides. This limit includes the JSON formatting
  characters of the override structure"
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html). Batch
  accepts such a job and it fails later, ``Container Overrides length must be at most
  8192``. Measured in characters of the compact override JSON, plus the variables Batch
  adds to every job (https://docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html)
  at their longest (:data:`BATCH_VARIABLES`).

The run's parameters are not in any job's overrides: the start job gets the execution's ARN
(``--execution-arn``) and reads them from the execution's input (``runtime/execution_input.py``),
which Step Functions allows up to 256 KiB. What remains is measured at its longest, at compile
time (a step's command, @environment variables, resources) and before a hybrid run's jobs.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

from .size import request_bytes

SUBMIT_JOB_PAYLOAD_LIMIT = 30 * 1024
CONTAINER_OVERRIDES_LIMIT = 8192

# The longest values a run puts in a job's command, for measuring before there is a run: the run id of an
# execution EventBridge or Scheduler started (``sfn-`` and the UUID Step Functions names an execution it is
# given no name for, https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html;
# `trigger`'s and local runs' ids are shorter), a task id a few foreaches deep, a late attempt.
LONGEST_RUN_ID = "sfn-" + "0" * 36
LONGEST_TASK_ID = "0" * 20
LATEST_ATTEMPT = 10
# The start job's ``--execution-arn``: DescribeExecution's executionArn is at most 256 characters
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
LONGEST_EXECUTION_ARN = "a" * 256

# The variables Batch sets in a single-node job's container, with values as long as they get:
# a job id (a UUID), a 10-attempt retry, queue and compute environment names (128 each).
BATCH_VARIABLES: List[Dict[str, str]] = [
    {"name": "AWS_BATCH_JOB_ID", "value": "0" * 36},
    {"name": "AWS_BATCH_JOB_ATTEMPT", "value": "10"},
    {"name": "AWS_BATCH_JQ_NAME", "value": "q" * 128},
    {"name": "AWS_BATCH_CE_NAME", "value": "c" * 128},
]


def batch_overrides(asl: Mapping[str, Any], command: Optional[List[str]] = None) -> Dict[str, Any]:
    """A compiled Task's static ``ContainerOverrides`` (ASL's PascalCase) as Batch's ``containerOverrides``."""
    out: Dict[str, Any] = {"command": list(command)} if command else {}
    out["environment"] = [{"name": e["Name"], "value": e["Value"]} for e in asl.get("Environment", ())]
    out["resourceRequirements"] = [{"type": r["Type"], "value": r["Value"]}
                                   for r in asl.get("ResourceRequirements", ())]
    return out


def overrides_characters(overrides: Mapping[str, Any]) -> int:
    """Characters of the ECS container override a job's ``containerOverrides`` become."""
    merged = dict(overrides, environment=[*overrides.get("environment", ()), *BATCH_VARIABLES])
    return len(json.dumps(merged, separators=(",", ":"), ensure_ascii=False))


def submit_job_problem(request: Mapping[str, Any], extra_bytes: int = 0) -> Optional[str]:
    """What about this SubmitJob request Batch or ECS would refuse (``None``: nothing).

    ``extra_bytes``: what the caller knows the request will hold besides ``request``."""
    characters = overrides_characters(request.get("containerOverrides") or {})
    if characters > CONTAINER_OVERRIDES_LIMIT:
        return (f"its container overrides (command and environment) come to about {characters:,} characters; "
                f"ECS runs a Batch job only with at most {CONTAINER_OVERRIDES_LIMIT:,}")
    size = request_bytes(request) + extra_bytes
    if size > SUBMIT_JOB_PAYLOAD_LIMIT:
        return f"the request would be about {size:,} bytes; AWS Batch accepts at most {SUBMIT_JOB_PAYLOAD_LIMIT:,}"
    return None
