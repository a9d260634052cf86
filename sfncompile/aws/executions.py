"""Operations on a deployed flow's executions: status, terminate, redrive, delete the deployment."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ..exceptions import NotFoundError
from ..storage.records import now_iso
from . import config as cfg
from . import events, schedule, statemachine
from .errors import aws_errors
from .manifest import branch_manifest, find_manifest, manifest_key
from .session import client


def _execution_arn(flow: str, run_id: str, config: Mapping[str, Any], name: Optional[str]) -> str:

    if not run_id.startswith("sfn-"):
        raise NotFoundError(
            f"{flow}/{run_id} is not a Step Functions run", fix="Step Functions run ids start with sfn-"
        )
    stores = cfg.stores(config)
    manifest = find_manifest(stores.objects, config, flow, name)
    return statemachine.execution_arn(config, manifest["name"], run_id[len("sfn-"):])


def _startable_execution_arn(flow: str, run_id: str, config: Mapping[str, Any], name: Optional[str]) -> str:
    """The execution ARN, once its state machine is shown to be this stage's (start_guard)."""
    from .start_guard import startable_arn

    arn = _execution_arn(flow, run_id, config, name)  # checks the run id, reads the manifest
    manifest = find_manifest(cfg.stores(config).objects, config, flow, name)
    startable_arn(client("stepfunctions", config), config, manifest)
    return arn


def execution_status(flow: str, run_id: str, *, config: Optional[Mapping[str, Any]] = None,
                     name: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """describe_execution of a run, or None when Step Functions does not know it."""
    config = dict(config or cfg.load_config())
    return describe_execution(client("stepfunctions", config), _execution_arn(flow, run_id, config, name))


def describe_execution(sfn: Any, arn: str) -> Optional[Dict[str, Any]]:
    """DescribeExecution of ``arn``, or None when Step Functions does not know it."""
    from botocore.exceptions import ClientError

    try:
        return sfn.describe_execution(executionArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
            return None
        raise


def describe_for_show(flow: str, run_id: str, recorded_status: str) -> Optional[str]:
    """One line on the Step Functions execution behind a run, merging its status with ours.

    The run record can lag (a platform failure the state machine could not record, an
    execution stopped from the console): the execution's own status then wins.
    """
    config = cfg.load_config(required=False)
    if config is None or not run_id.startswith("sfn-"):
        return None
    try:
        execution = execution_status(flow, run_id, config=config)
    except NotFoundError:
        return None
    if execution is None:
        return "  execution: not found in Step Functions (deleted or not started yet)"
    status = execution["status"]
    line = f"  execution: {status}"
    if status in ("FAILED", "TIMED_OUT", "ABORTED") and recorded_status != "FAILED":
        line += f" (the run record says {recorded_status}; Step Functions' status wins)"
    if execution.get("error"):
        line += f": {execution['error']}"
    if execution.get("redriveCount"):
        line += f", redriven {execution['redriveCount']} time(s)"
    if execution.get("executionArn"):
        from .progress import console_url

        line += f"\n  console:   {console_url(execution['executionArn'])}"
    return line


def terminate(flow: str, run_id: str, *, config: Optional[Mapping[str, Any]] = None,
              name: Optional[str] = None) -> str:

    config = dict(config or cfg.load_config())
    arn = _execution_arn(flow, run_id, config, name)
    with aws_errors(f"stop {flow}/{run_id}"):
        client("stepfunctions", config).stop_execution(
            executionArn=arn, error="sfncompile.Terminated", cause="terminated by the user"
        )
    stores = cfg.stores(config)
    try:
        stores.metadata.update_run(
            flow, run_id, status="FAILED", error="terminated by the user",
            finished_at=now_iso(),
        )
    except NotFoundError:
        pass  # stopped before its start task recorded the run: nothing to mark
    return arn


def redrive(flow: str, run_id: str, *, config: Optional[Mapping[str, Any]] = None,
            name: Optional[str] = None) -> str:
    """Step Functions' redrive: failed and unfinished states run again; finished ones do not."""

    config = dict(config or cfg.load_config())
    arn = _startable_execution_arn(flow, run_id, config, name)
    with aws_errors(f"redrive {flow}/{run_id}"):
        client("stepfunctions", config).redrive_execution(executionArn=arn)
    stores = cfg.stores(config)
    stores.metadata.update_run(flow, run_id, status="RUNNING", failed_step=None, error=None, finished_at=None)
    return arn


def delete_deployment(flow: str, *, config: Optional[Mapping[str, Any]] = None,
                      name: Optional[str] = None) -> Dict[str, bool]:
    """Remove the state machine, its schedule and its deploy manifest; runs and artifacts stay.

    Without ``name``, the deployment ``trigger`` would start: the default one, or for a @project
    flow the caller's own branch (``manifest.find_manifest``)."""
    config = dict(config or cfg.load_config())
    stores = cfg.stores(config)
    sm_name = _deployment_to_delete(stores.objects, config, flow, name)
    arn = statemachine.state_machine_arn(config, sm_name)
    removed_schedule = schedule.sync_schedule(client("scheduler", config), sm_name, None, arn, None) == "deleted"
    removed_machine = statemachine.delete_state_machine(client("stepfunctions", config), arn)
    removed_triggers = bool(events.delete_triggers(client("events", config), client("iam", config), config, sm_name))
    key = manifest_key(flow, sm_name)
    had_manifest = stores.objects.exists(key)
    if had_manifest:  # it describes a live deployment: without it the flow is "not deployed"
        stores.objects.delete(key)
    if not (removed_machine or removed_schedule or removed_triggers or had_manifest):
        raise NotFoundError(f"flow {flow} is not deployed as {sm_name}", fix="see `sfncompile deployments`")
    return {"state_machine": removed_machine, "schedule": removed_schedule, "triggers": removed_triggers}


def _deployment_to_delete(objects: Any, config: Mapping[str, Any], flow: str, name: Optional[str]) -> str:
    """``name``, else the deployment ``trigger`` would start: the default one or, for a @project flow,
    the caller's branch (the default name when no manifest is left: what a deploy stopped half way
    leaves can still be deleted)."""
    default = statemachine.deployment_name(config, flow, name)
    if name is not None or objects.exists(manifest_key(flow, default)):
        return default
    mine = branch_manifest(objects, flow)
    return str(mine["name"]) if mine else default
