"""The two storage interfaces every backend implements (local dir / S3, SQLite / DynamoDB).

Everything above storage (runtime, scheduler, client, aws) talks only to these.
Record dicts use the attribute names listed in docs/internals.md ("Metadata").
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

# Run / task / attempt status values.
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"


class ObjectStore(ABC):
    """Bytes under '/'-separated keys relative to a root (a directory or s3://bucket/prefix).

    Writes are atomic: a reader sees the whole object or nothing (rename locally,
    one PUT / completed multipart upload on S3).
    """

    url: str

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def put_file(self, key: str, path: str) -> None:
        """Upload a local file (large objects: streamed, multipart in parallel on S3)."""

    @abstractmethod
    def create(self, key: str, data: bytes) -> bool:
        """Write-once: store ``data`` only if ``key`` does not exist, atomically; False (nothing
        written) when it exists. S3: a conditional PUT (``If-None-Match: *``)."""

    @abstractmethod
    def create_file(self, key: str, path: str) -> bool:
        """``create`` for a local file (large objects: multipart on S3, completed conditionally)."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; raises sfncompile.exceptions.NotFoundError if absent."""

    @abstractmethod
    def get_file(self, key: str, path: str) -> None:
        """Download to a local file (large objects: ranged GETs in parallel on S3)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Keys that start with ``prefix`` (relative to the root), in no particular order."""

    def local_path(self, key: str) -> Optional[str]:
        """A path readable in place (local backend), else None. Lets readers avoid copies.

        The path is returned whether or not the object exists (opening it may raise
        FileNotFoundError)."""
        return None

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object (absent: no error). Only deploy manifests are ever deleted."""

    def temp_dir(self) -> Optional[str]:
        """A directory on the store's own filesystem for staging large writes that
        ``put_file`` can then publish without copying (local backend), else None."""
        return None


class MetadataStore(ABC):
    """Runs, tasks and attempts. Listing a flow's runs or a run's tasks is one query."""

    url: str
    # True when opening the store costs a process more than its calls (a local database): a local
    # run's task processes then make their calls through the scheduler's open store (local/relay.py).
    relay_from_task_processes = False

    @abstractmethod
    def create_run(
        self,
        flow: str,
        run_id: str,
        *,
        username: str,
        namespace: str,
        tags: Sequence[str] = (),
        parameters: Optional[Dict[str, Any]] = None,
        origin_run_id: Optional[str] = None,
        status: str = RUNNING,
        created_at: Optional[str] = None,
    ) -> bool:
        """Create the run (idempotent: creating an existing run id keeps the first record).

        True when this call created it, False when the run already existed (so a caller
        that needs the record reads it back only then)."""

    @abstractmethod
    def update_run(self, flow: str, run_id: str, **fields: Any) -> None:
        """Set fields: status, finished_at, failed_step, error, tags (a None value clears one).

        Raises NotFoundError for an unknown run, ValueError for an unknown attribute."""

    @abstractmethod
    def get_run(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]: ...

    @abstractmethod
    def list_runs(self, flow: str) -> List[Dict[str, Any]]:
        """The flow's runs, newest first."""

    def list_runs_page(
        self,
        flow: str,
        *,
        status: Optional[str] = None,
        tag: Optional[str] = None,
        namespace: Optional[str] = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Tuple[List[Dict[str, Any]], int]:
        """One page of a flow's runs, newest first, and how many match in all.

        Filters: ``status``; ``tag`` (the run has it); ``namespace`` (the run's namespace
        is it, or it is one of the run's tags, as the client's namespaces work). Stores
        that can filter and page in their query override this; this default filters
        ``list_runs``."""
        return page_of_runs(self.list_runs(flow), status=status, tag=tag, namespace=namespace, limit=limit,
                            offset=offset)

    @abstractmethod
    def list_flows(self) -> List[str]: ...

    @abstractmethod
    def start_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        *,
        started_at: Optional[str] = None,
        info: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Record an attempt as RUNNING (and the task, if new)."""

    @abstractmethod
    def finish_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        *,
        status: str,
        finished_at: Optional[str] = None,
        cardinality: Optional[int] = None,
        choice: Optional[str] = None,
        next_visit: Optional[int] = None,
        error: Optional[str] = None,
    ) -> None:
        """Close an attempt; the task takes its status, attempt and finished_at.

        On SUCCEEDED the task's successful_attempt is set, and cardinality, choice
        and next_visit when given."""

    @abstractmethod
    def get_task(self, flow: str, run_id: str, step: str, task_id: str) -> Optional[Dict[str, Any]]: ...

    @abstractmethod
    def list_tasks(self, flow: str, run_id: str, step: Optional[str] = None) -> List[Dict[str, Any]]:
        """Task records of a run (optionally one step), each with flow, run_id, step, task_id."""

    @abstractmethod
    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> List[Dict[str, Any]]: ...


def page_of_runs(runs: List[Dict[str, Any]], *, status: Optional[str] = None, tag: Optional[str] = None,
                 namespace: Optional[str] = None, limit: int = 50, offset: int = 0) -> Tuple[List[Dict[str, Any]], int]:
    """``MetadataStore.list_runs_page`` over runs already read (newest first): the page, and how many match."""
    rows = [
        r for r in runs
        if (status is None or r.get("status") == status)
        and (tag is None or tag in (r.get("tags") or ()))
        and (namespace is None or r.get("namespace") == namespace or namespace in (r.get("tags") or ()))
    ]
    return rows[offset: offset + limit], len(rows)
