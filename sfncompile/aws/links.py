"""What a reader shows about a Step Functions run: the execution's own status and console links.

The UI calls these (it makes no AWS call of its own); every function returns None
instead of raising when AWS is not configured or the execution is unknown.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional
from urllib.parse import quote

from . import config as cfg
from .executions import execution_status
from .session import client


def console_host(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com"


def execution_console_url(region: str, execution_arn: str) -> str:
    """The execution's page in the Step Functions console."""
    return f"{console_host(region)}/states/home?region={region}#/v2/executions/details/{execution_arn}"


def _cw_escape(text: str) -> str:
    # The CloudWatch console encodes path parts twice, with '%' written as '$25'.
    return quote(quote(text, safe=""), safe="").replace("%", "$25")


def log_stream_console_url(region: str, group: str, stream: str) -> str:
    """A log stream's page in the CloudWatch console."""
    return (f"{console_host(region)}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
            f"{_cw_escape(group)}/log-events/{_cw_escape(stream)}")


def execution_summary(flow: str, run_id: str, config: Optional[Mapping[str, Any]] = None) -> Optional[Dict[str, Any]]:
    """``{"status", "error", "cause", "arn", "console_url", "start", "stop"}`` of a run's execution, or None."""
    config = config if config is not None else cfg.load_config(required=False)
    if not config or not run_id.startswith("sfn-"):
        return None
    try:
        execution = execution_status(flow, run_id, config=config)
    except Exception:  # noqa: BLE001 - no deployment manifest, no credentials: show what the store has
        return None
    if execution is None:
        return None
    arn = execution["executionArn"]
    return {
        "status": execution.get("status"),
        "error": execution.get("error"),
        "cause": execution.get("cause"),
        "arn": arn,
        "console_url": execution_console_url(config["region"], arn),
        "start": execution.get("startDate"),
        "stop": execution.get("stopDate"),
    }


def job_log_url(job_id: str, config: Optional[Mapping[str, Any]] = None) -> Optional[str]:
    """The CloudWatch console URL of a Batch job's log stream (None when unknown)."""
    config = config if config is not None else cfg.load_config(required=False)
    if not config or not job_id:
        return None
    try:
        jobs = client("batch", config).describe_jobs(jobs=[job_id]).get("jobs") or []
    except Exception:  # noqa: BLE001
        return None
    if not jobs:
        return None
    job = jobs[0]
    stream = (job.get("container") or {}).get("logStreamName")
    for attempt in job.get("attempts") or ():
        stream = (attempt.get("container") or {}).get("logStreamName") or stream
    group = ((job.get("container") or {}).get("logConfiguration") or {}).get("options", {}).get("awslogs-group")
    group = group or config.get("batch_log_group") or "/aws/batch/job"
    return log_stream_console_url(config["region"], group, stream) if stream else None
