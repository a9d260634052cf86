"""Text, Mermaid and Graphviz renderings of a FlowGraph (for `show` and `graph`)."""
from __future__ import annotations

import os
from typing import List

from .ir import FlowGraph, StepNode
from .layout import edge_label


def _describe(node: StepNode) -> str:
    if node.transition == "end":
        return "end of the flow"
    if node.transition == "foreach":
        return f"foreach item of self.{node.foreach_var} -> {node.successors[0]} (joined at {node.matching_join})"
    if node.transition == "branch":
        return f"branches to {', '.join(node.successors)} (joined at {node.matching_join})"
    if node.transition == "switch":
        cases = ", ".join(
            f"{c.value!r} -> {c.target}{' (loops back)' if c.loops_back else ''}" for c in node.switch_cases
        )
        return f"switch on self.{node.condition}: {cases}"
    return f"-> {node.successors[0]}"


def render_text(graph: FlowGraph) -> str:
    lines: List[str] = []
    where = os.path.relpath(graph.file) if graph.file else "?"
    lines.append(f"{graph.name}  ({where}:{graph.line}, {len(graph)} steps)")
    if graph.doc:
        lines.append(f"  {graph.doc.splitlines()[0]}")
    if graph.parameters:
        lines.append("parameters:")
        for p in graph.parameters:
            req = ", required" if p.required else ""
            default = "" if p.default is None else f", default {p.default!r}"
            text = f"  --{p.name} ({p.type}{default}{req})"
            if p.help:
                text += f"  {p.help}"
            lines.append(text)
    schedule = graph.flow_decorators.get("schedule")
    if schedule:
        lines.append(f"schedule: cron({schedule['cron']}) {schedule['timezone']}")
    lines.append("steps:")
    for node in graph:
        depth = node.foreach_depth
        indent = "  " + "  " * depth
        join = " (join)" if node.is_join and node.kind != "join" else ""
        lines.append(f"{indent}{node.name} [{node.kind}{join}] line {node.line}")
        if node.doc:
            lines.append(f"{indent}    {node.doc.splitlines()[0]}")
        lines.append(f"{indent}    {_describe(node)}")
        if node.decorators:
            decos = ", ".join(
                f"@{k}({', '.join(f'{a}={v!r}' for a, v in node.decorators[k].items())})" for k in node.decorators
            )
            lines.append(f"{indent}    {decos}")
    return "\n".join(lines)


def _mid(name: str) -> str:
    """Mermaid node id: prefixed, because words such as `end` are Mermaid keywords."""
    return f"s_{name}"


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid string: a double quote is written as the entity Mermaid reads."""
    return text.replace('"', "#quot;")


def render_mermaid(graph: FlowGraph) -> str:
    lines = ["flowchart TD"]
    for node in graph:
        shape = ("([", "])") if node.kind in ("start", "end") else ("{", "}") if node.transition == "switch" else ("[", "]")
        lines.append(f'    {_mid(node.name)}{shape[0]}"{_mermaid_text(node.name)}"{shape[1]}')
    for node in graph:
        for target in node.successors:
            label = _mermaid_text(edge_label(graph, node.name, target))
            # Labels are quoted: unquoted, Mermaid 11 reads words such as `==` or `(loop)` as syntax.
            arrow = f'-->|"{label}"|' if label else "-->"
            if node.transition == "foreach":
                arrow = f'==>|"{label}"|'
            lines.append(f"    {_mid(node.name)} {arrow} {_mid(target)}")
    return "\n".join(lines) + "\n"


def render_dot(graph: FlowGraph) -> str:
    lines = [f'digraph "{graph.name}" {{', "    rankdir=TB;", "    node [shape=box, style=rounded];"]
    for node in graph:
        shape = "diamond" if node.transition == "switch" else "ellipse" if node.kind in ("start", "end") else "box"
        lines.append(f'    "{node.name}" [shape={shape}, label="{node.name}\\n[{node.kind}]"];')
    for node in graph:
        for target in node.successors:
            attrs = []
            label = edge_label(graph, node.name, target)
            if label:
                attrs.append('label="' + label.replace('"', '\\"') + '"')
            if node.transition == "foreach":
                attrs.append("style=bold")
            if any(c.loops_back and c.target == target for c in node.switch_cases):
                attrs.append("style=dashed")
            suffix = f" [{', '.join(attrs)}]" if attrs else ""
            lines.append(f'    "{node.name}" -> "{target}"{suffix};')
    lines.append("}")
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}
