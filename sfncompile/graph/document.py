"""The graph IR as a JSON document and back: stored with each run so readers can draw it
without the flow's source (``<Flow>/runs/<run>/graph.json``, written by the start task)."""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict

from .ir import FlowGraph, Frame, ParameterSpec, StepNode, SwitchCase, freeze, thaw

VERSION = 1


def graph_document(graph: FlowGraph) -> Dict[str, Any]:
    steps = []
    for node in graph:
        steps.append({
            "name": node.name, "kind": node.kind, "transition": node.transition, "is_join": node.is_join,
            "successors": list(node.successors), "predecessors": list(node.predecessors),
            "foreach_var": node.foreach_var, "condition": node.condition,
            "switch_cases": [{"value": c.value, "target": c.target, "loops_back": c.loops_back}
                             for c in node.switch_cases],
            "matching_join": node.matching_join, "matching_split": node.matching_split,
            "scope": [{"kind": f.kind, "name": f.name, "owner": f.owner} for f in node.scope],
            "decorators": thaw(node.decorators), "file": node.file, "line": node.line, "doc": node.doc,
        })
    params = [{"name": p.name, "attribute": p.attribute, "type": p.type, "default": p.default,
               "required": p.required, "help": p.help, "is_file": p.is_file, "line": p.line}
              for p in graph.parameters]
    return {"version": VERSION, "name": graph.name, "file": graph.file, "line": graph.line, "doc": graph.doc,
            "steps": steps, "parameters": params, "flow_decorators": thaw(graph.flow_decorators)}


def graph_from_document(doc: Dict[str, Any]) -> FlowGraph:
    steps = {}
    for s in doc["steps"]:
        steps[s["name"]] = StepNode(
            name=s["name"], kind=s["kind"], transition=s["transition"], is_join=bool(s["is_join"]),
            successors=tuple(s["successors"]), predecessors=tuple(s["predecessors"]),
            foreach_var=s.get("foreach_var"), condition=s.get("condition"),
            switch_cases=tuple(SwitchCase(c["value"], c["target"], bool(c["loops_back"])) for c in s["switch_cases"]),
            matching_join=s.get("matching_join"), matching_split=s.get("matching_split"),
            scope=tuple(Frame(f["kind"], f["name"], f["owner"]) for f in s["scope"]),
            decorators=freeze(s.get("decorators") or {}), file=s.get("file") or "", line=int(s.get("line") or 0),
            doc=s.get("doc"),
        )
    params = tuple(ParameterSpec(name=p["name"], attribute=p["attribute"], type=p["type"], default=p.get("default"),
                                 required=bool(p.get("required")), help=p.get("help"), is_file=bool(p.get("is_file")),
                                 line=int(p.get("line") or 0))
                   for p in doc.get("parameters") or ())
    return FlowGraph(name=doc["name"], file=doc.get("file") or "", line=int(doc.get("line") or 0), doc=doc.get("doc"),
                     steps=MappingProxyType(steps), parameters=params,
                     flow_decorators=freeze(doc.get("flow_decorators") or {}))

