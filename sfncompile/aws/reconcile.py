"""A Step Functions run's status, as readers see it, reconciled with its execution.

The failing task records the run's failure itself before its job exits non-zero
(``runtime/task.py``); the state machine has no failure chain that could record it
(docs/internals.md, "Failures and redrive"). Some failures never reach a task: a
platform failure Batch gave up on, an execution stopped from the console, a state
the machine fails itself (an unknown switch case), a timeout. So a run record that
still says RUNNING is checked against ``DescribeExecution``: when the execution has
ended unsuccessfully, the record is marked FAILED (written back, so the next reader
does not ask again) with the execution's error.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ..exceptions import NotFoundError
from ..storage.interfaces import FAILED, RUNNING
from ..storage.records import now_iso

UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value else now_iso())


def reconciled_fields(execution: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The run fields an ended-unsuccessfully execution implies, or None when it has not."""
    status = execution.get("status")
    if status not in UNSUCCESSFUL:
        return None
    error = execution.get("error") or f"execution {status}"
    cause = execution.get("cause")
    return {
        "status": FAILED,
        "error": f"{error}: {cause}" if cause else error,
        "finished_at": _iso(execution.get("stopDate")),
    }


class ReconciledMetadata:
    """The metadata store, except that RUNNING Step Functions runs are checked against their execution."""

    def __init__(self, metadata: Any, config: Mapping[str, Any]) -> None:
        self._metadata = metadata
        self._config = dict(config)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._metadata, name)

    def get_run(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        return self._reconcile(flow, self._metadata.get_run(flow, run_id))

    def list_runs(self, flow: str) -> List[Dict[str, Any]]:
        reconciled = (self._reconcile(flow, record) for record in self._metadata.list_runs(flow))
        return [record for record in reconciled if record is not None]

    def _reconcile(self, flow: str, record: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        if record is None or record.get("status") != RUNNING:
            return record
        run_id = record.get("run_id") or ""
        if not run_id.startswith("sfn-"):
            return record
        from .executions import execution_status

        try:
            execution = execution_status(flow, run_id, config=self._config)
        except NotFoundError:  # no deployment to ask: the record is all there is
            return record
        fields = reconciled_fields(execution) if execution else None
        if fields is None:
            return record
        self._metadata.update_run(flow, run_id, **fields)
        return {**record, **fields}
