"""A Step Functions run's status, as readers see it, reconciled with its execution.

The failing task records the run's failure itself before its job exits non-zero
(``runtime/task.py``); the state machine has no failure chain that could record it
(docs/internals.md, "Failures and redrive"). Some failures never reach a task: a
platform failure Batch gave up on, an execution stopped from the console, a state
the machine fails itself (an unknown switch case), a timeout. So a run record that
still says RUNNING is checked against ``DescribeExecution``: when the execution has
ended unsuccessfully, the record is marked FAILED (written back, so the next reader
does not ask again) with the execution's error. Executions that never got a record at all
(their start job never ran) are found by ``unrecorded.py``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..exceptions import NotFoundError
from ..storage.interfaces import FAILED, RUNNING, page_of_runs
from ..storage.records import iso_of, now_iso, sort_runs
from .job_reason import job_in_cause, job_summary

UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")


def iso_time(value: Any) -> str:
    """An API timestamp (``startDate``, ``stopDate``) in the run records' format (UTC, ms, ``Z``)."""
    return iso_of(value.timestamp()) if hasattr(value, "timestamp") else (str(value) if value else now_iso())


def execution_error(execution: Mapping[str, Any]) -> str:
    """What Step Functions said about an unsuccessful execution, on one line: ``error: cause``.

    A failed ``.sync`` Batch Task's cause is the job's whole description as JSON; only the
    job's name and why it failed (``Task failed to start; CannotPullContainerError: ...``) are kept.
    """
    error = execution.get("error") or f"execution {execution.get('status')}"
    cause = execution.get("cause")
    job = job_in_cause(cause)
    if job is not None:
        cause = job_summary(job)
    cause = " ".join(str(cause or "").split())
    return f"{error}: {cause}" if cause else error


def reconciled_fields(execution: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The run fields an ended-unsuccessfully execution implies, or None when it has not."""
    if execution.get("status") not in UNSUCCESSFUL:
        return None
    return {"status": FAILED, "error": execution_error(execution), "finished_at": iso_time(execution.get("stopDate"))}


class ReconciledMetadata:
    """The metadata store as readers should see Step Functions runs: RUNNING records checked against
    their execution, and executions that never got a record shown as runs (``unrecorded.py``)."""

    def __init__(self, metadata: Any, config: Mapping[str, Any]) -> None:
        from .unrecorded import UnrecordedRuns

        self._metadata = metadata
        self._config = dict(config)
        self._unrecorded = UnrecordedRuns(metadata, self._config)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._metadata, name)

    def get_run(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        record = self._metadata.get_run(flow, run_id)
        if record is None:
            return self._unrecorded.get(flow, run_id)
        return self._reconcile(flow, record)

    def list_runs(self, flow: str) -> List[Dict[str, Any]]:
        recorded = self._metadata.list_runs(flow)
        listing = self._unrecorded.list(flow, (record["run_id"] for record in recorded))
        # A record whose execution is listed as running needs no DescribeExecution; the runs made
        # from executions are fresh from them.
        reconciled = [record if record["run_id"] in listing.running else self._reconcile(flow, record)
                      for record in recorded]
        return sort_runs([record for record in reconciled if record is not None] + listing.unrecorded)

    def list_runs_page(self, flow: str, **filters: Any) -> Tuple[List[Dict[str, Any]], int]:
        """A page of :meth:`list_runs` (the DynamoDB store reads every run to page anyway)."""
        return page_of_runs(self.list_runs(flow), **filters)

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
