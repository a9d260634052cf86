"""Where a run belongs and what started it: its @project branch and its trigger.

* Project: a @project flow's runs carry the system tags ``project:<name>`` and
  ``project_branch:<branch>`` (Metaflow's), so ``namespace("project:churn")`` or
  ``Flow(...).runs("project_branch:prod")`` select them. The branch comes from
  ``SFNCOMPILE_PROJECT_BRANCH`` (set by deploy in the job definition, by ``run --branch``
  locally), else the user's own branch ``user.<username>``.
* Trigger: a run started by an event or an upstream run has ``__trigger__`` in its
  parameters (the EventBridge input transformer writes it: aws/events.py).
  :func:`admit` maps the event payload to parameters and validates them against the
  flow's JSON Schema in the start task; a payload that does not validate starts nothing
  (no run is created, no user code runs) and is recorded as a *rejected trigger*
  (``<Flow>/triggers/rejected/<run>.json``, write-once), listed by
  ``sfncompile event rejected Flow`` / :func:`rejected_triggers`.

Why the start task and not an EventBridge dead-letter queue: a rule's DLQ receives only
events that could not be *delivered* (StartExecution refused), while a payload of the
wrong type is delivered fine; only code that knows the flow's parameters can judge it,
and the start task is where the flow's code and JSON Schema already are.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..exceptions import ParameterError
from ..flow.decorators import FLOW_DECORATORS_ATTR
from ..flow.project import ProjectInfo, branch_name, project_of
from .params import TRIGGER_KEY

PROJECT_BRANCH_ENV = "SFNCOMPILE_PROJECT_BRANCH"
REJECTED_PREFIX = "triggers/rejected"


def run_project(flow: str, flow_decorators: Mapping[str, Any], username: str) -> Optional[ProjectInfo]:
    """The project and branch of a run of ``flow`` started here (None without @project)."""
    name = project_of(flow_decorators)
    if name is None:
        return None
    return ProjectInfo(name, os.environ.get(PROJECT_BRANCH_ENV) or branch_name(username), flow)


def project_tags(flow: str, flow_cls: type, username: str) -> Tuple[str, ...]:
    info = run_project(flow, getattr(flow_cls, FLOW_DECORATORS_ATTR, {}), username)
    return info.tags if info else ()


class Trigger:
    """``current.trigger``: what started this run.

    ``type`` is ``"event"`` (``event``: its name, ``payload``: its fields) or ``"run"``
    (``run``: the upstream run as a client ``Run``, ``pathspec``: ``Flow/run``).
    """

    def __init__(self, info: Mapping[str, Any]) -> None:
        self.type: str = str(info.get("type"))
        self.event: Optional[str] = info.get("event")
        self.payload: Dict[str, Any] = dict(info.get("payload") or {})
        self.flow: Optional[str] = info.get("flow")
        self.run_id: Optional[str] = info.get("run")
        self.event_id: Optional[str] = info.get("id")
        self.time: Optional[str] = info.get("time")

    @property
    def pathspec(self) -> Optional[str]:
        return f"{self.flow}/{self.run_id}" if self.type == "run" else None

    @property
    def run(self) -> Any:
        """The upstream run (a client ``Run``, in every namespace), or None for an event."""
        if self.pathspec is None:
            return None
        # The one reference from a task to the client layer: current.trigger.run is a client Run by contract.
        # Read in every namespace (as Metaflow does): the upstream run was started by someone else.
        from ..client.backend import backend_for_run
        from ..client.core import Run
        from ..exceptions import NotFoundError

        backend = backend_for_run(str(self.run_id))
        record = backend.metadata.get_run(self.flow, self.run_id)
        if record is None:
            raise NotFoundError(f"the upstream run {self.pathspec} that triggered this run is not in the metadata store")
        return Run._from_record(str(self.flow), record, backend)

    def __repr__(self) -> str:
        return f"Trigger({self.pathspec or 'event ' + str(self.event)})"


def trigger_of(run_params: Optional[Mapping[str, Any]]) -> Optional[Trigger]:
    info = (run_params or {}).get(TRIGGER_KEY)
    if info is None:  # most runs: no ABC check (its first use in a fresh task process costs ~0.4 ms)
        return None
    return Trigger(info) if isinstance(info, Mapping) else None


def _event_spec(flow_decorators: Mapping[str, Any], name: Any) -> Optional[Mapping[str, Any]]:
    for spec in (flow_decorators.get("trigger") or {}).get("events") or ():
        if spec["name"] == name:
            return spec
    return None


def map_payload(flow_decorators: Mapping[str, Any], event: str, payload: Any) -> Dict[str, Any]:
    """Flow parameters from an event payload, as ``@trigger(parameters={param: field})`` maps them."""
    spec = _event_spec(flow_decorators, event)
    if spec is None:
        names = [e["name"] for e in (flow_decorators.get("trigger") or {}).get("events") or ()]
        raise ParameterError(f"event {event!r} is not one this flow's @trigger names ({', '.join(names) or 'none'})",
                             fix="publish one of those events, or redeploy the flow")
    if not isinstance(payload, Mapping):
        raise ParameterError(f"the payload of event {event!r} is {type(payload).__name__}, not a JSON object",
                             fix="""publish a JSON object: sfncompile event publish NAME --payload '{"field": ...}'""")
    return {param: payload[field] for param, field in spec["parameters"].items() if field in payload}


def admit(graph: Any, run_params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The run's parameters once its trigger is applied: payload fields mapped, all checked by the JSON Schema.

    Raises ParameterError (the rejection's reason) when the event or its payload does not fit.
    """
    from ..graph.schema import parameters_schema, validate_parameters

    params = dict(run_params or {})
    trigger = params.get(TRIGGER_KEY)
    if not isinstance(trigger, Mapping):
        return params
    if trigger.get("type") == "event":
        mapped = map_payload(graph.flow_decorators, str(trigger.get("event")), trigger.get("payload"))
        params.update(mapped)
    values = {k: v for k, v in params.items() if not k.startswith("__")}
    validate_parameters(parameters_schema(graph), values, graph.name)
    return params


def rejected_key(flow: str, run_id: str) -> str:
    return f"{flow}/{REJECTED_PREFIX}/{run_id}.json"


def record_rejection(objects: Any, flow: str, run_id: str, run_params: Mapping[str, Any], error: str) -> bool:
    """Write the rejected trigger once (a retried start task finds it there); True when written now."""
    from ..storage.records import now_iso

    record = {"flow": flow, "run_id": run_id, "trigger": run_params.get(TRIGGER_KEY), "error": error,
              "rejected_at": now_iso()}
    return objects.create(rejected_key(flow, run_id), json.dumps(record, sort_keys=True).encode())


def rejected_triggers(objects: Any, flow: str) -> List[Dict[str, Any]]:
    """The flow's rejected triggers, newest first."""
    records = [json.loads(objects.get_bytes(key)) for key in objects.list(f"{flow}/{REJECTED_PREFIX}/")
               if key.endswith(".json")]
    return sorted(records, key=lambda r: r.get("rejected_at") or "", reverse=True)


def admit_start_task(graph: Any, objects: Any, run_id: str,
                     run_params: Optional[Mapping[str, Any]]) -> Tuple[Optional[Dict[str, Any]], str]:
    """(parameters to start with, "") or (None, reason) after recording a rejected trigger.

    Parameters without a trigger pass through untouched (None stays None: the run record's are used)."""
    if not isinstance((run_params or {}).get(TRIGGER_KEY), Mapping):
        return (dict(run_params) if run_params is not None else None), ""
    try:
        return admit(graph, run_params), ""
    except ParameterError as exc:
        reason = exc.message
        record_rejection(objects, graph.name, run_id, dict(run_params or {}), reason)
        return None, reason


def current_fields(graph: Any, run_info: Mapping[str, Any], production: bool) -> Dict[str, Any]:
    """``current``'s project and trigger fields for a task of this run (from the run's own record)."""
    params = run_info.get("parameters") or {}
    if isinstance(params, str):
        params = json.loads(params) if params else {}
    fields: Dict[str, Any] = {"is_production": production, "trigger": trigger_of(params)}
    name = project_of(graph.flow_decorators)
    if name is not None:
        tags = run_info.get("tags") or ()
        branch = next((t.split(":", 1)[1] for t in tags if t.startswith("project_branch:")), None)
        info = ProjectInfo(name, branch or os.environ.get(PROJECT_BRANCH_ENV) or branch_name(
            str(run_info.get("username") or "unknown")), graph.name)
        fields.update(project_name=info.project, branch_name=info.branch, project_flow_name=info.flow_name,
                      is_production=info.is_production)
    return fields
