"""``Task.metadata``: the attempt records of a task as Metaflow-style metadata entries.

Metaflow users read ``task.metadata_dict["attempt"]``, ``["origin-run-id"]`` and
the environment a task ran in. Here those come from the attempt records the runtime
writes (``start_attempt(info=...)``, see ``runtime/environment_info.py``); nothing
extra is stored.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional

if TYPE_CHECKING:
    from .core import Task

# Keys of an attempt's info that describe its environment (Task.environment_info).
ENVIRONMENT_KEYS = (
    "runtime", "python_version", "python_version_code", "python_implementation", "platform", "executable",
    "sfncompile_version", "host", "aws_batch_job_id", "aws_batch_job_queue", "aws_batch_compute_environment",
)


class Metadata(NamedTuple):
    """One metadata entry (Metaflow's shape): ``created_at`` is milliseconds since the epoch."""

    name: str
    value: str
    created_at: Optional[int]
    type: str
    task: "Task"


def _epoch_ms(value: Any) -> Optional[int]:
    from .core import _parse_time

    parsed = _parse_time(value)
    return int(parsed.timestamp() * 1000) if parsed is not None else None


def task_metadata(task: "Task") -> List[Metadata]:
    """Entries of every attempt of ``task``, oldest attempt first."""
    out: List[Metadata] = []
    origin_run = task.run.origin_run_id
    for record in task.attempts():
        started = _epoch_ms(record.get("started_at"))
        attempt = str(record.get("attempt", 0))

        def add(name: str, value: Any, kind: str, at: Optional[int] = started) -> None:
            out.append(Metadata(name, str(value), at, kind, task))

        add("attempt", attempt, "attempt")
        info = dict(record.get("info") or {})
        cloned_from = info.pop("cloned_from", None)
        if origin_run:
            add("origin-run-id", origin_run, "origin-run-id")
        if cloned_from:
            add("origin-task-id", str(cloned_from).rsplit("/", 1)[-1], "origin-task-id")
            add("origin-pathspec", cloned_from, "origin-task-id")
        for name, value in sorted(info.items()):
            add(name, value, name if name in ENVIRONMENT_KEYS else "task-info")
        status = record.get("status")
        if status in ("SUCCEEDED", "FAILED"):
            finished = _epoch_ms(record.get("finished_at")) or started
            add("attempt_ok", status == "SUCCEEDED", "internal_attempt_status", finished)
            add("attempt-done", attempt, "attempt-done", finished)
    return out


def environment_info(metadata_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The environment entries of a task's metadata (its latest attempt's)."""
    info = {k: metadata_dict[k] for k in ENVIRONMENT_KEYS if k in metadata_dict}
    info["type"] = "local" if info.get("runtime", "local") == "local" else "batch"
    return info
