"""Metadata record shapes shared by the SQLite and DynamoDB backends.

Records are plain dicts with the attribute names of docs/internals.md ("Metadata")
plus ``flow``, ``run_id``, ``step``, ``task_id`` (and ``attempt`` for attempts).
Every known attribute is present (``None`` when unset), so both backends return
identical dicts for the same history.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Tuple

RUN_FIELDS = (
    "flow", "run_id", "status", "created_at", "finished_at", "tags", "namespace", "username",
    "parameters", "origin_run_id", "failed_step", "error",
    # liveness of a local run's scheduler (sfncompile/storage/liveness.py)
    "scheduler_pid", "scheduler_host", "heartbeat_at",
)
TASK_FIELDS = (
    "flow", "run_id", "step", "task_id", "status", "attempt", "successful_attempt", "cardinality",
    "choice", "next_visit", "started_at", "finished_at",
)
ATTEMPT_FIELDS = (
    "flow", "run_id", "step", "task_id", "attempt", "status", "started_at", "finished_at", "error", "info",
)
# Run attributes update_run may set (the identity fields are fixed).
RUN_UPDATABLE = frozenset(RUN_FIELDS) - {"flow", "run_id"}

_ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def now_iso() -> str:
    """Current time, ISO-8601 UTC with milliseconds: ``2024-05-01T12:00:00.123Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_of(timestamp: float) -> str:
    """A ``time.time()`` value in the same format as ``now_iso``."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def complete(record: Dict[str, Any], fields: Tuple[str, ...]) -> Dict[str, Any]:
    """The record with every field of ``fields`` present (None when unset), known fields first."""
    out = {name: record.get(name) for name in fields}
    for name, value in record.items():
        if name not in out:
            out[name] = value
    return out


def check_run_fields(fields: Iterable[str]) -> None:
    unknown = sorted(set(fields) - RUN_UPDATABLE)
    if unknown:
        raise ValueError(f"update_run: unknown run attribute(s) {', '.join(unknown)}; known: {', '.join(sorted(RUN_UPDATABLE))}")


def _task_component(part: str) -> Tuple[int, int, str]:
    if part.isdigit():
        return (0, int(part), "")
    if part[:1] == "v" and part[1:].isdigit():
        return (1, int(part[1:]), "")
    return (2, 0, part)


def task_sort_key(record: Dict[str, Any]) -> Tuple[Any, ...]:
    """Tasks by step name, then task id in natural order (2 before 10, 3.1 before 3.10)."""
    return (record.get("step") or "", tuple(_task_component(p) for p in str(record.get("task_id", "")).split(".")))


def sort_runs(records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Newest first: by created_at, then run id (local run ids are sortable)."""
    return sorted(records, key=lambda r: (r.get("created_at") or "", r.get("run_id") or ""), reverse=True)
