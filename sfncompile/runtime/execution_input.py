"""The run's parameters of a Step Functions execution, read by its start task.

The start job's command names the execution (``--execution-arn``, Step Functions'
``$$.Execution.Id``) instead of carrying the parameters: ECS runs a Batch job only with
8,192 characters of container overrides (``compiler/batch_limits.py``), while an
execution's input may be 256 KiB. One ``states:DescribeExecution`` call, made by the start
task only, returns the input (a redriven execution keeps the input it was started with),
and it is parsed like ``--params-json`` (:func:`runtime.params.parameters_from_json`).
The client is the storage layer's botocore-only one (``storage/retry.py``).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..exceptions import ConfigError, ParameterError
from ..storage.retry import error_code, is_boto_error, make_client, translate
from .params import parameters_from_json

# arn:<partition>:states:<region>:<account>:execution:<state machine>:<execution>
_ARN_FIELDS = 8
# What a stage deployed before start tasks read their execution's input lacks.
_DENIED = ("AccessDenied", "AccessDeniedException")
_UNREACHABLE = ("EndpointConnectionError", "ConnectTimeoutError")
OLD_INFRA_FIX = ("deploy the current infra stack (`cdk deploy`): its job role may read this stage's executions "
                 "(states:DescribeExecution), and an endpoints-only VPC gets a Step Functions endpoint")


def execution_region(execution_arn: str) -> str:
    """The region of a standard execution's ARN; ParameterError for anything else."""
    fields = execution_arn.split(":")
    if len(fields) != _ARN_FIELDS or fields[0] != "arn" or fields[2] != "states" or fields[5] != "execution" \
            or not fields[3]:
        raise ParameterError(
            f"--execution-arn {execution_arn!r} is not the ARN of a Step Functions execution",
            fix="pass arn:aws:states:<region>:<account>:execution:<state machine>:<name> "
                "(the compiled start step passes $$.Execution.Id)",
        )
    return fields[3]


def execution_parameters(execution_arn: str, client: Any = None) -> Optional[Dict[str, Any]]:
    """The parameters in the execution's input ``{"parameters": {...}}`` (None: no input)."""
    sfn = client or make_client("stepfunctions", execution_region(execution_arn), max_pool_connections=1)
    try:
        described = sfn.describe_execution(executionArn=execution_arn)
    except Exception as exc:
        if not is_boto_error(exc):
            raise
        what = f"read the input of execution {execution_arn}"
        if error_code(exc) in _DENIED or type(exc).__name__ in _UNREACHABLE:
            raise ConfigError(f"the start task cannot {what}: {error_code(exc) or type(exc).__name__}",
                              fix=OLD_INFRA_FIX) from exc
        raise translate(exc, what) from exc
    return parameters_from_json(described.get("input"), f"the input of execution {execution_arn}")
