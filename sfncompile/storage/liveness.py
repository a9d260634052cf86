"""Is a local run's scheduler still there? Run liveness, written by the scheduler, read by everyone.

A local run is RUNNING in the metadata store until its scheduler records how it
ended. A scheduler that cannot (``kill -9``, a crash, a lost machine) would leave
the run RUNNING for ever, so the scheduler also records where it runs and that it
is alive (docs/internals.md, "Run liveness"):

- ``scheduler_pid`` / ``scheduler_host``: the scheduler's process id and host name;
- ``heartbeat_at``: refreshed every ``HEARTBEAT_SECONDS`` while the run goes on.

Every reader (``runs``, ``show``, the client, ``resume``) passes run records
through :func:`reconcile`: a RUNNING run whose scheduler process is gone (same
host), or whose heartbeat is older than ``STALE_SECONDS`` (any host), reads as
FAILED with the error "scheduler lost: ...". Readers never write; ``resume``
records the verdict on the origin run when it resumes one.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional

from .interfaces import FAILED, RUNNING
from .tempfiles import process_alive

HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 120.0
LOST = "scheduler lost"


def this_host() -> str:
    try:
        return os.uname().nodename
    except Exception:  # pragma: no cover - no uname
        return ""


def scheduler_fields(heartbeat_at: str) -> Dict[str, Any]:
    """What a scheduler records on its run when it starts (and ``heartbeat_at`` alone afterwards)."""
    return {"scheduler_pid": os.getpid(), "scheduler_host": this_host(), "heartbeat_at": heartbeat_at}


def _parse(value: Any) -> Optional[datetime]:
    if not value:
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def lost_reason(record: Mapping[str, Any], now: Optional[datetime] = None,
                stale_after: float = STALE_SECONDS) -> Optional[str]:
    """Why a RUNNING run's scheduler is known to be gone, or None (finished, alive, or no liveness fields).

    ``stale_after``: how old a heartbeat may be before the scheduler counts as lost (readers: 120 s;
    a Batch job deciding whether to stop itself waits longer, runtime/scheduler_watch.py)."""
    if (record.get("status") or RUNNING) != RUNNING or not record.get("scheduler_pid"):
        return None
    pid = int(record["scheduler_pid"])
    host = record.get("scheduler_host") or "?"
    beat = _parse(record.get("heartbeat_at"))
    if host == this_host() and not process_alive(pid):
        return f"{LOST}: its scheduler (process {pid} on {host}) is gone"
    if beat is not None:
        age = ((now or datetime.now(timezone.utc)) - beat).total_seconds()
        if age > stale_after:
            return f"{LOST}: no heartbeat from its scheduler (process {pid} on {host}) for {age:.0f} s"
    return None


def reconcile(record: Dict[str, Any]) -> Dict[str, Any]:
    """The run record as readers should see it: a run whose scheduler is lost is FAILED (ended at its last heartbeat)."""
    reason = lost_reason(record)
    if reason is None:
        return record
    out = dict(record)
    out.update(status=FAILED, error=reason, finished_at=record.get("heartbeat_at") or record.get("created_at"))
    return out
