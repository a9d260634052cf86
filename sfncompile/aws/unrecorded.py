"""Step Functions executions that never got a run record, as runs readers can see.

A run's record is written by its start task (``runtime/task.py``), or by ``trigger`` before
StartExecution. An execution that a schedule, an event rule or the console started, and whose
start job never ran far enough to write the record (a deregistered job definition, a disabled
queue, an image that cannot be pulled, a role that cannot write the metadata table), would
leave no run at all: a nightly flow that fails at launch every night would be invisible. So
readers (``reconcile.ReconciledMetadata``) also look at the flow's recent executions:

- which: the newest :data:`WINDOW` executions of each of the flow's deployments in this
  stage (every deploy manifest under ``<Flow>/deployments/``: the default one and every
  @project branch); ListExecutions lists "the most recent execution first";
- an unrecorded execution that ended FAILED, TIMED_OUT or ABORTED becomes a FAILED run
  (``failed_step`` start, created/finished at the execution's start/stop, the parameters of
  its input, the error saying it failed before its start task ran and what Step Functions
  and Batch said) and is written back, so the next reader makes no call for it. The write
  is ``create_run``, which only creates: a record the start task wrote first is kept, and a
  start task that comes later (after a redrive) keeps the written one, as it keeps
  ``trigger``'s;
- one still running is shown RUNNING and not written: its start task writes the real record;
- one that SUCCEEDED without a record is left out (nothing of it can be read).

API calls of a listing: one S3 ListObjectsV2 of the flow's manifests (a flow with no
deployment costs nothing more); then one ListExecutions per deployment (``maxResults``
:data:`WINDOW`), which also spares ``reconcile`` its DescribeExecution of each RUNNING
record whose execution is listed as running; then, once per ended unrecorded execution,
one DescribeExecution (its ``error``, ``cause`` and ``input``) and the write-back (the flow
item and the run item, then the error: three DynamoDB writes); and one S3 GetObject of a
deployment's manifest (its deployer and @project tags) the first time one of its executions
is shown without a record. ``get_run`` of an unrecorded run id: the S3 listing, then
DescribeExecution against each deployment until one knows the execution.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Set, Tuple

from ..exceptions import AwsError, StorageError
from ..logs import get_logger
from ..storage.interfaces import FAILED, RUNNING
from ..tags import SFN_RUNTIME
from .reconcile import UNSUCCESSFUL, execution_error, iso_time

log = get_logger(__name__)

WINDOW = 100  # executions listed per deployment: one ListExecutions page
RUN_PREFIX = "sfn-"  # a Step Functions run id is sfn-<execution name>
START_STEP = "start"
STILL_RUNNING = ("RUNNING", "PENDING_REDRIVE")


def unrecorded_error(execution: Mapping[str, Any]) -> str:
    """The one-line error of a run whose execution ended before its start task recorded it."""
    if not execution.get("error"):  # e.g. stopped from the console: its status is all there is
        return f"failed before its start task ran: execution {execution.get('status')}"
    return f"failed before its start task ran (execution {execution.get('status')}): {execution_error(execution)}"


@dataclass
class Listing:
    """What one look at a flow's recent executions found."""

    unrecorded: List[Dict[str, Any]] = field(default_factory=list)  # runs made from executions without a record
    running: Set[str] = field(default_factory=set)  # recorded run ids whose execution is listed as running


class UnrecordedRuns:
    """Finds, shows and records the runs of ``flow`` whose executions have no run record."""

    def __init__(self, metadata: Any, config: Mapping[str, Any]) -> None:
        self._metadata = metadata
        self._config = config
        self._manifests: Dict[Tuple[str, str], Dict[str, Any]] = {}

    def list(self, flow: str, recorded: Iterable[str]) -> Listing:
        """Records for the recent executions of ``flow`` whose run id is not in ``recorded``, and which
        recorded runs the listing shows still running (their records need no DescribeExecution)."""
        known: Set[str] = set(recorded)
        listing = Listing()
        for name in self._deployments(flow):
            for execution in self._recent(name):
                run_id = RUN_PREFIX + execution["name"]
                if run_id in known:
                    if execution.get("status") in STILL_RUNNING:
                        listing.running.add(run_id)
                    continue
                record = self._record(flow, name, execution, described=False)
                if record is not None:
                    listing.unrecorded.append(record)
        return listing

    def get(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        """The record of ``run_id`` made from its execution, or None when no deployment knows it."""
        if not run_id.startswith(RUN_PREFIX):
            return None
        from .statemachine import execution_arn

        for name in self._deployments(flow):
            execution = self._describe(execution_arn(self._config, name, run_id[len(RUN_PREFIX):]))
            if execution is not None:
                return self._record(flow, name, execution, described=True)
        return None

    # -- AWS ----------------------------------------------------------------------------
    def _deployments(self, flow: str) -> List[str]:
        from . import config as cfg
        from .manifest import deployment_names

        return deployment_names(cfg.stores(self._config).objects, flow)

    def _sfn(self) -> Any:
        from .session import client

        return client("stepfunctions", self._config)

    def _recent(self, name: str) -> Iterator[Dict[str, Any]]:
        """The deployment's newest executions (none when its state machine is gone or unreadable)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from .statemachine import state_machine_arn

        pages = self._sfn().get_paginator("list_executions").paginate(
            stateMachineArn=state_machine_arn(self._config, name),
            PaginationConfig={"MaxItems": WINDOW, "PageSize": min(WINDOW, 1000)},
        )
        try:
            for page in pages:
                yield from page["executions"]
        except (BotoCoreError, ClientError) as exc:
            # Readers still show the recorded runs: a missing machine or permission hides only these.
            log.warning("runs without a record are not shown: cannot list the executions of %s (%s)", name, exc)

    def _describe(self, arn: str) -> Optional[Dict[str, Any]]:
        from .errors import aws_errors
        from .executions import describe_execution

        with aws_errors(f"describe execution {arn}"):
            return describe_execution(self._sfn(), arn)

    # -- records ------------------------------------------------------------------------
    def _record(self, flow: str, name: str, execution: Mapping[str, Any], *, described: bool) -> Optional[Dict[str, Any]]:
        status = execution.get("status")
        run_id = RUN_PREFIX + str(execution["name"])
        if status in STILL_RUNNING:
            return self._base(flow, name, run_id, execution, RUNNING, {})
        if status not in UNSUCCESSFUL:
            return None
        listed = execution
        try:
            execution = execution if described else (self._describe(str(execution["executionArn"])) or execution)
        except AwsError as exc:  # shown from the listing alone, and not written: the next reader asks again
            log.warning("%s/%s is shown without its error: %s", flow, run_id, exc)
            return self._failed(self._base(flow, name, run_id, listed, FAILED, {}), listed)
        record = self._failed(self._base(flow, name, run_id, execution, FAILED, _parameters(execution)), execution)
        try:
            created = self._metadata.create_run(
                flow, run_id, username=record["username"], namespace=record["namespace"], tags=record["tags"],
                parameters=record["parameters"], status=FAILED, created_at=record["created_at"])
            if created:
                self._metadata.update_run(flow, run_id, failed_step=record["failed_step"], error=record["error"],
                                          finished_at=record["finished_at"])
        except StorageError as exc:  # e.g. a reader who may not write the table: shown, not recorded
            log.warning("%s/%s is shown but could not be recorded: %s", flow, run_id, exc)
            return record
        # Not created: the start task (or trigger) recorded it meanwhile, and that record is the run.
        return record if created else self._metadata.get_run(flow, run_id)

    @staticmethod
    def _failed(record: Dict[str, Any], execution: Mapping[str, Any]) -> Dict[str, Any]:
        return {**record, "failed_step": START_STEP, "error": unrecorded_error(execution),
                "finished_at": iso_time(execution.get("stopDate"))}

    def _base(self, flow: str, name: str, run_id: str, execution: Mapping[str, Any], status: str,
              parameters: Dict[str, Any]) -> Dict[str, Any]:
        """The run as its start task would have recorded it: its deployer's (the job definition
        says so to the task), with the deployment's @project tags."""
        from ..storage.records import RUN_FIELDS, complete
        from .manifest import deployer
        from .trigger import manifest_project_tags

        manifest = self._manifest(flow, name)
        owner = deployer(manifest)
        return complete({
            "flow": flow, "run_id": run_id, "status": status, "created_at": iso_time(execution.get("startDate")),
            "username": owner["username"], "namespace": owner["namespace"],
            "tags": [f"user:{owner['username']}", f"runtime:{SFN_RUNTIME}", *manifest_project_tags(manifest)],
            "parameters": parameters,
        }, RUN_FIELDS)

    def _manifest(self, flow: str, name: str) -> Dict[str, Any]:
        """The deployment's manifest, read once (a name is one deployment)."""
        from . import config as cfg
        from .manifest import read_manifest

        if (flow, name) not in self._manifests:
            self._manifests[(flow, name)] = read_manifest(cfg.stores(self._config).objects, flow, name)
        return self._manifests[(flow, name)]


def _parameters(execution: Mapping[str, Any]) -> Dict[str, Any]:
    """The run's parameters as its start task would have read them from the execution's input
    (``runtime.params.parameters_from_json``); empty when there are none or they are not readable."""
    from ..exceptions import ParameterError
    from ..runtime.params import parameters_from_json

    try:
        return dict(parameters_from_json(execution.get("input"), "the execution's input") or {})
    except ParameterError:
        return {}
