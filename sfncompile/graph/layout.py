"""Where to draw each step: a layered layout of the graph IR (pure geometry, no drawing).

Steps go in layers by their longest forward path from ``start`` (loop-back edges are
ignored for layering, so the picture reads top to bottom); within a layer a few
barycenter sweeps order steps to cut edge crossings. Branches and foreach bodies
therefore sit side by side between their split and their join, and a switch that
loops back gets a side edge going up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

from .ir import FlowGraph, forward_successors

CHAR_WIDTH = 7.6  # px per character at the 13px node font
NODE_MIN_WIDTH = 120.0
NODE_HEIGHT = 46.0
H_GAP = 36.0
V_GAP = 56.0
MARGIN = 24.0
LOOP_LANE = 40.0  # extra room on the right for loop-back edges
LABEL_CHAR_WIDTH = 6.4  # px per character at the 11px label font


@dataclass(frozen=True)
class Box:
    name: str
    x: float  # centre
    y: float  # top
    width: float
    height: float
    layer: int

    @property
    def top(self) -> Tuple[float, float]:
        return self.x, self.y

    @property
    def bottom(self) -> Tuple[float, float]:
        return self.x, self.y + self.height

    @property
    def right(self) -> Tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    loops_back: bool
    foreach: bool


@dataclass(frozen=True)
class Layout:
    boxes: Dict[str, Box]
    edges: Tuple[Edge, ...]
    width: float
    height: float


def edge_label(graph: FlowGraph, source: str, target: str) -> str:
    """What an edge means: ``foreach items`` or a switch case (``loop`` marks one going back)."""
    node = graph[source]
    if node.foreach_var:
        return f"foreach {node.foreach_var}"
    for case in node.switch_cases:
        if case.target == target:
            return f"{node.condition} == {case.value}" + (" (loop)" if case.loops_back else "")
    return ""


def _layers(graph: FlowGraph) -> Dict[str, int]:
    layer: Dict[str, int] = {}
    for node in graph.topological():
        layer.setdefault(node.name, 0)
        for succ in forward_successors(node):
            layer[succ] = max(layer.get(succ, 0), layer[node.name] + 1)
    for node in graph:  # unreachable steps (a lint error elsewhere) still get drawn
        layer.setdefault(node.name, 0)
    return layer


def _order(graph: FlowGraph, layer: Dict[str, int]) -> List[List[str]]:
    depth = max(layer.values()) + 1 if layer else 0
    rows: List[List[str]] = [[] for _ in range(depth)]
    for node in graph.topological():
        rows[layer[node.name]].append(node.name)
    preds: Dict[str, List[str]] = {n.name: [] for n in graph}
    succs: Dict[str, List[str]] = {n.name: list(forward_successors(n)) for n in graph}
    for node in graph:
        for s in forward_successors(node):
            preds[s].append(node.name)

    def sweep(rows_in: List[List[str]], neighbours: Dict[str, List[str]], downward: bool) -> None:
        indices = range(1, len(rows_in)) if downward else range(len(rows_in) - 2, -1, -1)
        for i in indices:
            ref = rows_in[i - 1] if downward else rows_in[i + 1]
            pos = {n: k for k, n in enumerate(ref)}
            current = rows_in[i]

            def key(n: str) -> Tuple[float, int]:
                ps = [pos[p] for p in neighbours[n] if p in pos]
                return (sum(ps) / len(ps) if ps else current.index(n), current.index(n))

            rows_in[i] = sorted(current, key=key)

    for _ in range(3):
        sweep(rows, preds, True)
        sweep(rows, succs, False)
    return rows


def node_width(name: str) -> float:
    return max(NODE_MIN_WIDTH, len(name) * CHAR_WIDTH + 28)


def layout(graph: FlowGraph) -> Layout:
    """Boxes for every step and the edges between them."""
    layer = _layers(graph)
    rows = _order(graph, layer)
    widths = [sum(node_width(n) for n in row) + H_GAP * max(len(row) - 1, 0) for row in rows]
    inner = max(widths) if widths else NODE_MIN_WIDTH
    edges = tuple(
        Edge(node.name, target, edge_label(graph, node.name, target),
             any(c.loops_back and c.target == target for c in node.switch_cases), bool(node.foreach_var))
        for node in graph for target in node.successors
    )
    has_loop = any(e.loops_back for e in edges)
    boxes: Dict[str, Box] = {}
    for i, row in enumerate(rows):
        x = MARGIN + (inner - widths[i]) / 2
        y = MARGIN + i * (NODE_HEIGHT + V_GAP)
        for name in row:
            w = node_width(name)
            boxes[name] = Box(name, x + w / 2, y, w, NODE_HEIGHT, i)
            x += w + H_GAP
    # Loop-back edges run in lanes right of the steps, their labels right of the lanes.
    loop_labels = [len(e.label) for e in edges if e.loops_back]
    loops_room = LOOP_LANE * (1 + 0.6 * len(loop_labels)) + max(loop_labels, default=0) * LABEL_CHAR_WIDTH
    width = inner + 2 * MARGIN + (loops_room if has_loop else 0)
    height = len(rows) * NODE_HEIGHT + max(len(rows) - 1, 0) * V_GAP + 2 * MARGIN
    return Layout(boxes, edges, width, height)
