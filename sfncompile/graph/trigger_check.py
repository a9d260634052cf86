"""Static checks of @trigger / @trigger_on_finish (for `check`): no import, no AWS.

* an event's ``parameters`` must name the flow's parameters: an error at the decorator's line;
* an upstream flow of ``@trigger_on_finish`` should exist in the same project: the flow
  files beside this one are read (AST only) for ``FlowSpec`` classes and their
  ``@project``; an upstream none of them defines is a warning listing the names known.
"""
from __future__ import annotations

import ast
import os
from typing import Dict, List, Optional

from ..exceptions import FlowDefinitionError
from ..flow.project import project_of
from ..flow.triggers import upstream_parts
from .ir import FlowGraph


def _decorator_project(node: ast.ClassDef) -> Optional[str]:
    for deco in node.decorator_list:
        if not isinstance(deco, ast.Call):
            continue
        name = getattr(deco.func, "id", None) or getattr(deco.func, "attr", None)
        if name == "project":
            for kw in deco.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    return kw.value.value
    return None


def _is_flow(node: ast.ClassDef) -> bool:
    return any((getattr(b, "id", None) or getattr(b, "attr", None)) == "FlowSpec" for b in node.bases)


def flows_beside(flow_file: str) -> Dict[str, Optional[str]]:
    """Flow class -> its @project name (None without), for every flow file in ``flow_file``'s directory."""
    found: Dict[str, Optional[str]] = {}
    directory = os.path.dirname(os.path.abspath(flow_file))
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith(".py"):
            continue
        try:
            with open(os.path.join(directory, entry), encoding="utf-8") as fh:
                tree = ast.parse(fh.read(), entry)
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and _is_flow(node):
                found.setdefault(node.name, _decorator_project(node))
    return found


def check_triggers(graph: FlowGraph, flow_file: str) -> List[str]:
    """Raise FlowDefinitionError for a mapping to an unknown parameter; return warnings about upstream flows."""
    decorators = graph.flow_decorators
    trigger = decorators.get("trigger") or {}
    declared = {p.name for p in graph.parameters}
    for event in trigger.get("events") or ():
        unknown = sorted(set(event["parameters"]) - declared)
        if unknown:
            raise FlowDefinitionError(
                f"@trigger(event={event['name']!r}) maps payload fields to {', '.join(unknown)}, "
                f"which {'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of {graph.name}",
                file=trigger.get("file"), line=trigger.get("line"),
                fix=f"map to one of: {', '.join(sorted(declared)) or '(the flow has no parameters)'}",
            )
    on_finish = decorators.get("trigger_on_finish")
    if not on_finish:
        return []
    own_project = project_of(decorators)
    known = flows_beside(flow_file)
    warnings = []
    for upstream in on_finish["flows"]:
        project, _branch, flow = upstream_parts(upstream)
        project = project or own_project
        if project is not None and project != own_project:
            continue  # another project's flow: nothing here can vindicate or refute it
        same = sorted(name for name, p in known.items() if p == project and name != graph.name)
        if flow not in same:
            where = f"{on_finish.get('file')}:{on_finish.get('line')}"
            scope = f"project {project!r}" if project else "flows without @project"
            warnings.append(f"{where}: @trigger_on_finish names {flow}, which no flow file beside "
                            f"{os.path.basename(flow_file)} defines among {scope}; known: {', '.join(same) or 'none'}")
    return warnings
