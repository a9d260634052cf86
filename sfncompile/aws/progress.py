"""What `trigger --wait` and `show` say about a Step Functions run: progress per step in
graph order, elapsed time, the execution's console URL, and the failed tasks' pathspecs."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Sequence
from urllib.parse import quote


def console_url(execution_arn: str) -> str:
    """The execution's page in the AWS console (region and partition taken from the ARN)."""
    parts = execution_arn.split(":")
    partition, region = parts[1], parts[3]
    host = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}.get(
        partition, "console.aws.amazon.com")
    return f"https://{region}.{host}/states/home?region={region}#/v2/executions/details/{quote(execution_arn, safe=':')}"


def step_counts(tasks: Iterable[Mapping[str, Any]]) -> Dict[str, Dict[str, int]]:
    """step -> {"done", "failed", "running"} task counts."""
    counts: Dict[str, Dict[str, int]] = {}
    key = {"SUCCEEDED": "done", "FAILED": "failed"}
    for task in tasks:
        per = counts.setdefault(task["step"], {"done": 0, "failed": 0, "running": 0})
        per[key.get(task.get("status") or "", "running")] += 1
    return counts


def progress_state(status: str, steps: Sequence[str], tasks: Iterable[Mapping[str, Any]]) -> str:
    """``RUNNING: 4 done, 0 failed, 1 running | start done, fit 2/3 done 1 running``."""
    counts = step_counts(tasks)
    order = [s for s in steps if s in counts] + sorted(s for s in counts if s not in steps)
    total = {k: sum(c[k] for c in counts.values()) for k in ("done", "failed", "running")}
    parts: List[str] = []
    for step in order:
        c = counts[step]
        n = sum(c.values())
        if n == 1:
            parts.append(f"{step} {next(k for k in ('failed', 'running', 'done') if c[k])}")
        else:
            words = [f"{c['done']}/{n} done"] + [f"{c[k]} {k}" for k in ("failed", "running") if c[k]]
            parts.append(f"{step} {' '.join(words)}")
    line = f"{status}: {total['done']} done, {total['failed']} failed, {total['running']} running"
    return line + (" | " + ", ".join(parts) if parts else " | starting")


def progress_line(elapsed: float, state: str) -> str:
    """The state prefixed with the elapsed time: ``12.0 s RUNNING: ...``."""
    from ..local.output import fmt_duration

    return f"{fmt_duration(elapsed)} {state}"


def failed_pathspecs(flow: str, run_id: str, tasks: Iterable[Mapping[str, Any]]) -> List[str]:
    return [f"{flow}/{run_id}/{t['step']}/{t['task_id']}" for t in tasks if t.get("status") == "FAILED"]
