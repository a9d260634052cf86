"""The flow's graph as SVG (and a standalone HTML page): ``graph --format svg|html`` and the UI.

One renderer for both: the UI inlines this SVG in a run page and recolours nodes
as statuses change by swapping each node's ``st-<STATUS>`` class and the text of
its ``sub-<step>`` line; nothing else in the picture depends on the run.
"""
from __future__ import annotations

import html
from typing import Callable, Mapping, Optional

from ..graph.ir import FlowGraph
from ..graph.layout import LOOP_LANE, Box, Edge, layout
from .theme import FONT, PALETTE, STATUS_FILL, STATUS_STROKE, STATUS_TEXT

PENDING = "PENDING"


def svg_style() -> str:
    """CSS for the picture (status colours from the shared palette)."""
    rules = [
        f".sfn-graph{{font-family:{FONT};font-size:13px}}",
        f".sfn-graph .node rect{{stroke-width:1.5;fill:{STATUS_FILL[PENDING]};stroke:{STATUS_STROKE[PENDING]}}}",
        f".sfn-graph .node .name{{font-weight:600;fill:{PALETTE['text']}}}",
        f".sfn-graph .node .sub{{font-size:11px;fill:{PALETTE['muted']}}}",
        f".sfn-graph .edge{{fill:none;stroke:{PALETTE['muted']};stroke-width:1.4}}",
        ".sfn-graph .edge.foreach{stroke-width:2.6}",
        ".sfn-graph .edge.loop{stroke-dasharray:5 4}",
        f".sfn-graph .label{{font-size:11px;fill:{PALETTE['text']};paint-order:stroke;stroke:{PALETTE['background']};"
        "stroke-width:4px;stroke-linejoin:round}",
        f".sfn-graph a:focus rect{{stroke:{PALETTE['accent']};stroke-width:3}}",
        ".sfn-graph .node.st-FAILED rect{stroke-width:3}",
    ]
    for status in STATUS_FILL:
        rules.append(f".sfn-graph .node.st-{status} rect{{fill:{STATUS_FILL[status]};stroke:{STATUS_STROKE[status]}}}")
        rules.append(f".sfn-graph .node.st-{status} .sub{{fill:{STATUS_TEXT[status]}}}")
    return "".join(rules)


def _edge_path(edge: Edge, a: Box, b: Box, lane_x: float) -> str:
    if edge.loops_back:
        (x1, y1), (x2, y2) = a.right, b.right
        return f"M{x1:.1f},{y1:.1f} C{lane_x:.1f},{y1:.1f} {lane_x:.1f},{y2:.1f} {x2 + 6:.1f},{y2:.1f}"
    (x1, y1), (x2, y2) = a.bottom, b.top
    mid = (y1 + y2) / 2
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2 - 4:.1f}"


def _label_at(edge: Edge, a: Box, b: Box, lane_x: float) -> tuple:
    if edge.loops_back:
        return lane_x + 6, (a.right[1] + b.right[1]) / 2, "start"
    (x1, y1), (x2, y2) = a.bottom, b.top
    return (x1 + x2) / 2 + 4, (y1 + y2) / 2 + 4, "start"


def render_svg(
    graph: FlowGraph,
    *,
    statuses: Optional[Mapping[str, str]] = None,
    subtitles: Optional[Mapping[str, str]] = None,
    link: Optional[Callable[[str], str]] = None,
) -> str:
    """The graph as an ``<svg>`` element: steps as boxes coloured by ``statuses`` (PENDING when absent),
    each box's second line from ``subtitles`` (else its kind), boxes linked with ``link(step)``."""
    lay = layout(graph)
    statuses = statuses or {}
    subtitles = subtitles or {}
    right_edge = max((b.x + b.width / 2 for b in lay.boxes.values()), default=0.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sfn-graph" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'width="{lay.width:.0f}" height="{lay.height:.0f}" role="img" '
        f'aria-label="graph of {html.escape(graph.name)}: {len(graph)} steps">',
        f"<title>{html.escape(graph.name)}</title>",
        f"<style>{svg_style()}</style>",
        '<defs><marker id="sfn-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{PALETTE["muted"]}"/></marker></defs>',
    ]
    loop_index = 0
    for edge in lay.edges:
        a, b = lay.boxes[edge.source], lay.boxes[edge.target]
        lane_x = right_edge + LOOP_LANE * (0.8 + 0.6 * loop_index) if edge.loops_back else 0.0
        loop_index += edge.loops_back
        cls = "edge" + (" foreach" if edge.foreach else "") + (" loop" if edge.loops_back else "")
        out.append(f'<path class="{cls}" data-from="{edge.source}" data-to="{edge.target}" '
                   f'd="{_edge_path(edge, a, b, lane_x)}" marker-end="url(#sfn-arrow)"/>')
        if edge.label:
            x, y, anchor = _label_at(edge, a, b, lane_x)
            out.append(f'<text class="label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
                       f"{html.escape(edge.label)}</text>")
    for node in graph:
        box = lay.boxes[node.name]
        status = statuses.get(node.name, PENDING)
        sub = subtitles.get(node.name, node.kind)
        left = box.x - box.width / 2
        shape = (f'<rect x="{left:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
                 f'rx="{box.height / 2 if node.kind in ("start", "end") else 6:.1f}"/>')
        texts = (f'<text class="name" x="{box.x:.1f}" y="{box.y + 19:.1f}" text-anchor="middle">'
                 f"{html.escape(node.name)}</text>"
                 f'<text class="sub" id="sub-{node.name}" x="{box.x:.1f}" y="{box.y + 36:.1f}" '
                 f'text-anchor="middle">{html.escape(sub)}</text>')
        body = shape + texts
        if link is not None:
            body = (f'<a href="{html.escape(link(node.name))}" aria-label="step {html.escape(node.name)}: '
                    f'{status.lower()}">{body}</a>')
        out.append(f'<g class="node st-{status}" id="node-{node.name}" data-step="{node.name}">{body}</g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_html(graph: FlowGraph) -> str:
    """A standalone page with the graph (no script, no external resource)."""
    title = html.escape(graph.name)
    doc = f"<p>{html.escape(graph.doc.splitlines()[0])}</p>" if graph.doc else ""
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>body{{margin:24px;font-family:{FONT};color:{PALETTE['text']};background:{PALETTE['background']}}}"
        "</style></head>"
        f"<body><h1>{title}</h1>{doc}\n{render_svg(graph)}</body></html>\n"
    )
