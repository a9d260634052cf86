"""Why a Batch job failed, in one line, from its description.

Two callers read the same description in two spellings: DescribeJobs answers in Batch's
lowerCamel (``statusReason``, ``attempts[].container.reason``), and Step Functions' ``.sync``
Batch integration hands the same job to a failed execution as the PascalCase JSON of its
``cause`` (``StatusReason``, ``Attempts[].Container.Reason``). The container's reason is where
ECS puts ``CannotPullContainerError: ...`` or ``ResourceInitializationError: ...``.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional


def _field(mapping: Mapping[str, Any], name: str) -> Any:
    """``name`` as Batch spells it (lowerCamel), else as Step Functions re-cases it (PascalCase)."""
    value = mapping.get(name)
    return value if value is not None else mapping.get(name[:1].upper() + name[1:])


def job_reason(description: Mapping[str, Any]) -> Optional[str]:
    """The job's statusReason and its container's reason ("Task failed to start; CannotPull...")."""
    attempts = _field(description, "attempts") or []
    last = attempts[-1] if attempts else {}
    status_reason = _field(description, "statusReason") or _field(last, "statusReason")
    container_reason = (_field(_field(last, "container") or {}, "reason")
                        or _field(_field(description, "container") or {}, "reason"))
    return "; ".join(p for p in (status_reason, container_reason) if p) or None


def job_summary(description: Mapping[str, Any]) -> str:
    """``Batch job <name>: <why it failed>``, for a run's one-line error."""
    return f"Batch job {_field(description, 'jobName') or '?'}: {job_reason(description) or 'failed'}"


def job_in_cause(cause: Optional[str]) -> Optional[Mapping[str, Any]]:
    """The Batch job a failed ``.sync`` Task's cause describes, or None when the cause is other text."""
    if not cause or not cause.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(cause)
    except ValueError:
        return None
    return document if isinstance(document, dict) and _field(document, "jobId") else None
