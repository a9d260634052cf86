"""A task process's metadata store: each call is made by the scheduler, on the scheduler's connection.

Why: a task process is new for every task (pool.py), so a metadata connection of its own
is opened once per task and never reused. For SQLite that open (the connection, the
schema read, the WAL set-up) costs a task process about 2.5 ms of CPU and ~300 page
faults, more than the task's own three or four calls. The scheduler keeps its
connection open for the whole run, so it makes those calls instead.

A read waits for the scheduler's answer (``pool.request``); a write that returns nothing
(``start_attempt``, ``finish_attempt``, ``update_run``) is sent without waiting
(``pool.notify``): the scheduler makes the task's calls in the order they were sent, so a
read reflects the task's earlier writes, and it reads what a task sent even if the task is
killed or dies right after. A write the scheduler cannot make fails the attempt, as it
would on a connection of the task's own. A task record that succeeded never changes within
the run, so it is read once per task. Only stores that say so
(``MetadataStore.relay_from_task_processes``) are relayed: for a networked store (DynamoDB)
the scheduler would serialise every task's round trips.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..storage.interfaces import RUNNING, SUCCEEDED, MetadataStore
from .pool import in_task, notify, request

KIND = "metadata"


class RelayedMetadata(MetadataStore):
    """The scheduler's metadata store, seen from a task process."""

    relay_from_task_processes = False  # it is the relay

    def __init__(self, url: str) -> None:
        self.url = url
        self._succeeded: Dict[Tuple[str, str, str, str], Dict[str, Any]] = {}  # task records read

    def __repr__(self) -> str:
        return f"RelayedMetadata({self.url!r})"

    @staticmethod
    def _call(name: str, *args: Any, **kwargs: Any) -> Any:
        return request((KIND, name, args, kwargs))

    @staticmethod
    def _send(name: str, *args: Any, **kwargs: Any) -> None:
        notify((KIND, name, args, kwargs))

    def create_run(self, flow: str, run_id: str, *, username: str, namespace: str, tags: Sequence[str] = (),
                   parameters: Optional[Dict[str, Any]] = None, origin_run_id: Optional[str] = None,
                   status: str = RUNNING, created_at: Optional[str] = None) -> bool:
        return bool(self._call("create_run", flow, run_id, username=username, namespace=namespace, tags=list(tags),
                               parameters=parameters, origin_run_id=origin_run_id, status=status,
                               created_at=created_at))

    def update_run(self, flow: str, run_id: str, **fields: Any) -> None:
        self._send("update_run", flow, run_id, **fields)

    def get_run(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        return self._call("get_run", flow, run_id)

    def list_runs(self, flow: str) -> List[Dict[str, Any]]:
        return self._call("list_runs", flow)

    def list_runs_page(self, flow: str, *, status: Optional[str] = None, tag: Optional[str] = None,
                       namespace: Optional[str] = None, limit: int = 50,
                       offset: int = 0) -> Tuple[List[Dict[str, Any]], int]:
        return self._call("list_runs_page", flow, status=status, tag=tag, namespace=namespace, limit=limit,
                          offset=offset)

    def list_flows(self) -> List[str]:
        return self._call("list_flows")

    def start_attempt(self, flow: str, run_id: str, step: str, task_id: str, attempt: int, *,
                      started_at: Optional[str] = None, info: Optional[Dict[str, Any]] = None) -> None:
        self._send("start_attempt", flow, run_id, step, task_id, attempt, started_at=started_at, info=info)

    def finish_attempt(self, flow: str, run_id: str, step: str, task_id: str, attempt: int, *, status: str,
                       finished_at: Optional[str] = None, cardinality: Optional[int] = None,
                       choice: Optional[str] = None, next_visit: Optional[int] = None,
                       error: Optional[str] = None) -> None:
        self._send("finish_attempt", flow, run_id, step, task_id, attempt, status=status, finished_at=finished_at,
                   cardinality=cardinality, choice=choice, next_visit=next_visit, error=error)

    def get_task(self, flow: str, run_id: str, step: str, task_id: str) -> Optional[Dict[str, Any]]:
        key = (flow, run_id, step, task_id)
        record = self._succeeded.get(key)
        if record is None:
            record = self._call("get_task", *key)
            if record is not None and record.get("status") == SUCCEEDED:
                self._succeeded[key] = record
        return dict(record) if record is not None else None

    def list_tasks(self, flow: str, run_id: str, step: Optional[str] = None) -> List[Dict[str, Any]]:
        return self._call("list_tasks", flow, run_id, step)

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> List[Dict[str, Any]]:
        return self._call("list_attempts", flow, run_id, step, task_id)


# The MetadataStore methods a task process may call through the scheduler: those the relay makes.
RELAYED = frozenset(name for name, value in vars(RelayedMetadata).items()
                    if callable(value) and not name.startswith("_") and hasattr(MetadataStore, name))

_PREPARED: Dict[int, Any] = {}  # id(stores) -> the same stores with the metadata relayed


def prepare(stores: Any) -> None:
    """In a template: build the relayed stores once, so a task process finds them ready."""
    _PREPARED[id(stores)] = _relayed(stores)


def for_task(stores: Any) -> Any:
    """``stores`` with the metadata store relayed, in a task process whose scheduler can answer."""
    if not in_task():
        return stores
    prepared = _PREPARED.get(id(stores))
    return prepared if prepared is not None else _relayed(stores)


def _relayed(stores: Any) -> Any:
    metadata = getattr(stores, "metadata", None)
    if metadata is None or not metadata.relay_from_task_processes \
            or not dataclasses.is_dataclass(stores) or isinstance(stores, type):
        return stores
    return dataclasses.replace(stores, metadata=RelayedMetadata(metadata.url))


def serve(metadata: MetadataStore, payload: Any) -> Any:
    """In the scheduler: make a task process's call on ``metadata``."""
    kind, name, args, kwargs = payload
    if kind != KIND or name not in RELAYED:
        raise ValueError(f"a task process asked the scheduler for {kind}.{name}, which it does not answer")
    return getattr(metadata, name)(*args, **kwargs)
