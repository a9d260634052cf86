"""`sfncompile event publish|rejected`, and what `run` needs for projects and triggers.

`event publish NAME --payload JSON` puts an event on the stage's bus (flows deployed with
``@trigger(event=NAME)`` start); `event rejected Flow` lists events whose payload did
not fit the flow's parameters. `run --branch/--production` runs locally on a project
branch; `run --trigger-payload JSON [--trigger-event NAME]` runs as if that event had
started the run (payload mapped and validated exactly as the start task does on AWS).
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

import click

from .aws_cmds import aws_options
from .output import emit_json, json_option


def _payload(text: str, option: str) -> Dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=option) from None
    if not isinstance(payload, dict):
        raise click.BadParameter("must be a JSON object", param_hint=option)
    return payload


@click.group("event")
def event() -> None:
    """Events that start deployed flows (@trigger): publish one, list rejected ones."""


@event.command("publish")
@click.argument("name")
@click.option("--payload", default="{}", show_default=True, help="The event's fields, a JSON object.")
@aws_options
def publish_cmd(name: str, payload: str) -> None:
    """Put event NAME on the stage's event bus: flows with @trigger(event=NAME) start."""
    from ..aws.events import publish

    event_id = publish(name, _payload(payload, "--payload"))
    click.echo(f"published {name} (event {event_id})")


@event.command("rejected")
@click.argument("flow")
@json_option
@aws_options
def rejected_cmd(flow: str, as_json: bool) -> None:
    """List events that reached FLOW but started nothing: their payload did not fit its parameters."""
    from ..aws import config as cfg
    from ..runtime.run_context import rejected_triggers

    records = rejected_triggers(cfg.stores(cfg.load_config()).objects, flow)
    if as_json:
        emit_json(records)
        return
    if not records:
        click.echo(f"no rejected triggers for {flow}")
        return
    for r in records:
        trigger = r.get("trigger") or {}
        what = trigger.get("event") or trigger.get("flow") or "?"
        click.echo(f"{r['rejected_at']}  {flow}/{r['run_id']}  {what}: {r['error']}")


def apply_run_options(graph: Any, supplied: Dict[str, Any], branch: Optional[str], production: bool,
                      trigger_payload: Optional[str], trigger_event: Optional[str]) -> Dict[str, Any]:
    """The parameters of a local run on a project branch and/or started by a simulated event."""
    from ..flow.project import project_info
    from ..runtime.params import TRIGGER_KEY
    from ..runtime.run_context import PROJECT_BRANCH_ENV, admit
    from ..user import default_username

    info = project_info(graph.name, graph.flow_decorators, default_username(), branch, production)
    if info is not None:
        os.environ[PROJECT_BRANCH_ENV] = info.branch  # the run's processes tag and report this branch
    if trigger_payload is None:
        if trigger_event is not None:
            raise click.UsageError("--trigger-event goes with --trigger-payload")
        return supplied
    events = [e["name"] for e in (graph.flow_decorators.get("trigger") or {}).get("events") or ()]
    if not events:
        raise click.UsageError(f"--trigger-payload simulates an event of @trigger; {graph.name} has no @trigger")
    name = trigger_event or events[0]
    if trigger_event is None and len(events) > 1:
        raise click.UsageError(f"{graph.name} is triggered by {', '.join(events)}: pass --trigger-event NAME")
    trigger = {"type": "event", "event": name, "payload": _payload(trigger_payload, "--trigger-payload")}
    admitted = admit(graph, {TRIGGER_KEY: trigger})  # the payload's parameters, checked as on AWS
    return {**admitted, **supplied}  # parameters given on the command line win


run_options = [
    click.option("--branch", default=None, help="@project flows: run on branch test.<BRANCH> (default: user.<you>)."),
    click.option("--production", is_flag=True, help="@project flows: run on the production branch (prod)."),
    click.option("--trigger-payload", default=None, metavar="JSON",
                 help="@trigger flows: run as if an event with this payload had started the run."),
    click.option("--trigger-event", default=None, metavar="NAME",
                 help="With --trigger-payload: which of the flow's events (when it has several)."),
]

COMMANDS = [event]
