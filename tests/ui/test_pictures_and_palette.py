"""Graph pictures (svg/html from the UI's renderer), the stored graph document, and text contrast."""
from __future__ import annotations

import glob
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from sfncompile.cards.graph_svg import render_svg
from sfncompile.cards.theme import PALETTE, STATUS_FILL, STATUS_TEXT, contrast_ratio
from sfncompile.graph import build_graph_from_file
from sfncompile.graph.document import graph_document, graph_from_document
from sfncompile.graph.layout import layout

from ..conftest import EXAMPLES, FLOWS

FLOW_FILES = sorted(glob.glob(os.path.join(EXAMPLES, "*.py")) + glob.glob(os.path.join(FLOWS, "*.py")))
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("path", FLOW_FILES, ids=os.path.basename)
def test_svg_draws_every_step_and_edge_without_overlaps(path):
    graph = build_graph_from_file(path, None)
    root = ET.fromstring(render_svg(graph))
    nodes = {g.get("data-step") for g in root.iter(f"{SVG}g") if g.get("data-step")}
    assert nodes == set(graph.steps)
    edges = {(p.get("data-from"), p.get("data-to")) for p in root.iter(f"{SVG}path") if p.get("data-from")}
    assert edges == {(n.name, t) for n in graph for t in n.successors}
    boxes = list(layout(graph).boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart_x = abs(a.x - b.x) >= (a.width + b.width) / 2
            apart_y = abs(a.y - b.y) >= a.height
            assert apart_x or apart_y, f"{a.name} overlaps {b.name}"


def test_loops_are_dashed_edges_going_back_up():
    graph = build_graph_from_file(os.path.join(EXAMPLES, "loop.py"), None)
    root = ET.fromstring(render_svg(graph))
    loops = [p for p in root.iter(f"{SVG}path") if "loop" in (p.get("class") or "")]
    assert loops
    lay = layout(graph)
    for p in loops:
        assert lay.boxes[p.get("data-to")].y < lay.boxes[p.get("data-from")].y


def test_statuses_colour_nodes_and_links_name_them():
    graph = build_graph_from_file(os.path.join(EXAMPLES, "foreach.py"), None)
    svg = render_svg(graph, statuses={"start": "SUCCEEDED"}, subtitles={"start": "done"},
                     link=lambda s: f"/steps/{s}")
    root = ET.fromstring(svg)
    start = next(g for g in root.iter(f"{SVG}g") if g.get("data-step") == "start")
    assert "st-SUCCEEDED" in start.get("class")
    assert next(g for g in root.iter(f"{SVG}g") if g.get("data-step") == "end").get("class") == "node st-PENDING"
    assert 'href="/steps/start"' in svg and 'aria-label="step start: succeeded"' in svg


@pytest.mark.parametrize("fmt,marker", [("svg", "<svg"), ("html", "<!doctype html>"), ("dot", "digraph"),
                                        ("mermaid", "flowchart TD"), ("text", "steps:")])
def test_graph_command_formats_and_output_file(sfncompile_cmd, tmp_path, fmt, marker):
    target = tmp_path / f"graph.{fmt}"
    out = subprocess.run(sfncompile_cmd + ["graph", os.path.join(EXAMPLES, "branch.py"), "--format", fmt,
                                           "-o", str(target)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    text = target.read_text()
    assert marker in text
    if fmt == "html":
        assert "<script" not in text and "<svg" in text


@pytest.mark.parametrize("path", FLOW_FILES, ids=os.path.basename)
def test_graph_document_round_trips(path):
    graph = build_graph_from_file(path, None)
    again = graph_from_document(graph_document(graph))
    assert again == graph


def test_palette_text_contrast_meets_wcag_aa():
    backgrounds = [PALETTE["background"], PALETTE["surface"], PALETTE["code_bg"]]
    for name in ("text", "muted", "link"):
        for bg in backgrounds:
            assert contrast_ratio(PALETTE[name], bg) >= 4.5, (name, bg)
    for status, colour in STATUS_TEXT.items():
        # status labels sit on their own fill, on the page, and in graph nodes
        for bg in (STATUS_FILL[status], PALETTE["background"]):
            assert contrast_ratio(colour, bg) >= 4.5, (status, bg)
        assert contrast_ratio(PALETTE["text"], STATUS_FILL[status]) >= 4.5  # node names
        assert contrast_ratio(PALETTE["muted"], STATUS_FILL[status]) >= 4.5  # pending sub line


def test_contrast_ratio_is_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
