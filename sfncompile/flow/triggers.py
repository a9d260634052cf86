"""@trigger and @trigger_on_finish: a deployed flow that starts on an event or when another flow finishes.

``@trigger(event="data_ready", parameters={"alpha": "alpha"})`` starts the flow when an
event named ``data_ready`` arrives on the stage's event bus; ``parameters`` maps flow
parameters to fields of the event's payload (a list of names maps each to the field of
the same name). ``@trigger(events=[...])`` names several events, each a name or
``{"name": ..., "parameters": {...}}``.

``@trigger_on_finish(flow="FeatureFlow")`` (or ``flows=[...]``) starts the flow when a run
of the upstream deployment succeeds. An upstream name is ``Flow`` (the same project
and branch as this flow's deployment) or ``project.branch.Flow`` (fully named).

Several triggers: **any one of them starts the flow** (each event, each upstream
run). This module records the settings; deploy compiles them to EventBridge rules.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ..exceptions import FlowDefinitionError
from .decorators import FLOW_DECORATORS_ATTR, _caller, _check_args

EventSpec = Union[str, Mapping[str, Any]]


def _mapping(value: Any, where: str) -> Dict[str, str]:
    """``{"param": "field"}`` as given, or a list of names (each maps to the payload field of the same name)."""
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):
        value = {name: name for name in value}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValueError(f"{where}: parameters must map parameter names to payload field names, got {value!r}")
    return dict(sorted(value.items()))


def _event(spec: EventSpec, parameters: Any) -> Dict[str, Any]:
    if isinstance(spec, str):
        name, mapping = spec, parameters
    elif isinstance(spec, Mapping) and set(spec) <= {"name", "parameters"} and isinstance(spec.get("name"), str):
        name, mapping = spec["name"], spec.get("parameters", parameters)
    else:
        raise ValueError(f"an event is a name or {{'name': ..., 'parameters': {{...}}}}, got {spec!r}")
    if not name or len(name) > 128 or not name.isprintable():
        raise ValueError(f"event name {name!r} must be 1 to 128 printable characters")
    return {"name": name, "parameters": _mapping(mapping, f"event {name!r}")}


def _flow_decorator(deco: str, file: str, line: int, settings: Dict[str, Any]):
    def apply(flow_cls: Any) -> Any:
        if not isinstance(flow_cls, type):
            raise FlowDefinitionError(
                f"@{deco} is a flow decorator", file=file, line=line, fix=f"put @{deco} above `class ...(FlowSpec)`"
            )
        decorators = dict(getattr(flow_cls, FLOW_DECORATORS_ATTR, {}))
        if deco in decorators:
            raise FlowDefinitionError(
                f"@{deco} is applied twice", file=file, line=line,
                fix=f"name every {'event' if deco == 'trigger' else 'flow'} in one @{deco}(...s=[...])",
            )
        decorators[deco] = {**settings, "file": file, "line": line}
        setattr(flow_cls, FLOW_DECORATORS_ATTR, decorators)
        return flow_cls

    return apply


def _one_or_many(deco: str, one_name: str, one: Any, many: Optional[Sequence[Any]], file: str, line: int) -> List[Any]:
    if (one is None) == (many is None):
        raise FlowDefinitionError(
            f"@{deco} needs exactly one of {one_name}=... or {one_name}s=[...]", file=file, line=line,
        )
    items = [one] if one is not None else list(many or ())
    if not items:
        raise FlowDefinitionError(f"@{deco}({one_name}s=[]) names nothing", file=file, line=line)
    return items


def trigger(cls: Any = None, *, event: Optional[EventSpec] = None, events: Optional[Sequence[EventSpec]] = None,
            parameters: Any = None, **unknown: Any) -> Any:
    """@trigger(event="data_ready", parameters={"param": "field"}): start the deployed flow on an event."""
    file, line = _caller()
    _check_args("trigger", ("event", "events", "parameters"), unknown, file, line)
    items = _one_or_many("trigger", "event", event, events, file, line)
    try:
        specs = [_event(spec, parameters) for spec in items]
    except ValueError as exc:
        raise FlowDefinitionError(f"@trigger: {exc}", file=file, line=line) from None
    names = [s["name"] for s in specs]
    if len(set(names)) != len(names):
        raise FlowDefinitionError(f"@trigger names an event twice: {names}", file=file, line=line)
    apply = _flow_decorator("trigger", file, line, {"events": specs})
    return apply(cls) if cls is not None else apply


def trigger_on_finish(cls: Any = None, *, flow: Optional[str] = None, flows: Optional[Sequence[str]] = None,
                      **unknown: Any) -> Any:
    """@trigger_on_finish(flow="FeatureFlow"): start the deployed flow when a run of FeatureFlow succeeds."""
    file, line = _caller()
    _check_args("trigger_on_finish", ("flow", "flows"), unknown, file, line)
    items = _one_or_many("trigger_on_finish", "flow", flow, flows, file, line)
    for item in items:
        last = item.rsplit(".", 1)[-1] if isinstance(item, str) else ""
        if not last.isidentifier() or (isinstance(item, str) and item.count(".") == 1):
            raise FlowDefinitionError(
                f"@trigger_on_finish: {item!r} is not a flow name", file=file, line=line,
                fix="name the upstream flow class (FeatureFlow) or its project deployment (project.branch.FeatureFlow)",
            )
    if len(set(items)) != len(items):
        raise FlowDefinitionError(f"@trigger_on_finish names a flow twice: {items}", file=file, line=line)
    apply = _flow_decorator("trigger_on_finish", file, line, {"flows": list(items)})
    return apply(cls) if cls is not None else apply


def upstream_parts(name: str) -> tuple:
    """``Flow`` -> (None, None, "Flow"); ``project.branch.parts.Flow`` -> ("project", "branch.parts", "Flow")."""
    parts = name.split(".")
    if len(parts) == 1:
        return None, None, name
    return parts[0], ".".join(parts[1:-1]), parts[-1]
