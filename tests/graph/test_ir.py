"""The graph IR of real flows: kinds, joins, scopes, decorators, immutability, speed."""
from __future__ import annotations

import glob
import os

import pytest

from sfncompile.graph import build_graph_from_file, next_values, parse_task_id, render_task_id
from sfncompile.graph.ir import FRAME_FOREACH, FRAME_LOOP, Frame

from benchmarks.flowgen import write_linear_flow

from ..conftest import EXAMPLES, FLOWS
from .helpers import graph_of

ALL_FLOWS = sorted(glob.glob(os.path.join(EXAMPLES, "*.py")) + glob.glob(os.path.join(FLOWS, "*.py")))


@pytest.mark.parametrize("path", ALL_FLOWS, ids=os.path.basename)
def test_every_flow_builds(path):
    graph = build_graph_from_file(path)
    assert graph.start.name == "start" and graph.end.name == "end"
    order = [n.name for n in graph.topological()]
    assert order[0] == "start" and order[-1] == "end" and sorted(order) == sorted(graph.steps)


def test_train_flow_ir():
    g = build_graph_from_file(os.path.join(EXAMPLES, "train.py"))
    assert g.name == "TrainFlow"
    assert [n.name for n in g] == ["start", "fit", "join", "check", "end"]
    start, fit, join, check, end = (g[n] for n in ["start", "fit", "join", "check", "end"])
    assert (start.kind, start.transition, start.foreach_var, start.matching_join) == ("foreach", "foreach", "items", "join")
    assert fit.kind == "linear" and fit.foreach_depth == 1
    assert join.kind == "join" and join.is_join and join.matching_split == "start" and join.foreach_depth == 0
    assert check.kind == "switch" and check.condition == "verdict"
    assert [(c.value, c.target, c.loops_back) for c in check.switch_cases] == [
        ("retry", "start", True),
        ("done", "end", False),
    ]
    assert end.kind == "end" and end.successors == ()
    assert start.scope == (Frame(FRAME_LOOP, "start", "check"),)
    assert fit.scope == (Frame(FRAME_LOOP, "start", "check"), Frame(FRAME_FOREACH, "start", "join"))
    assert dict(fit.decorators["retry"]) == {"times": 2, "minutes_between_retries": 0, "local_minutes_between_retries": 0}
    assert dict(fit.decorators["resources"]) == {"cpu": 1, "memory": 1024}
    assert fit.file.endswith("train.py") and fit.line > start.line
    assert start.predecessors == ("check",)
    assert [p.name for p in g.parameters] == ["alpha", "grid"]
    grid = g.parameters[1]
    assert grid.type == "json" and grid.default == [1, 2, 3] and grid.help == "values to try"


def test_ir_is_immutable():
    g = build_graph_from_file(os.path.join(EXAMPLES, "train.py"))
    with pytest.raises(Exception):
        g["fit"].name = "x"
    with pytest.raises(TypeError):
        g["fit"].decorators["retry"]["times"] = 5
    with pytest.raises(TypeError):
        g.steps["new"] = g["fit"]


def test_docstrings_and_branch_kinds(tmp_path):
    g = graph_of(
        tmp_path,
        '''
        class F(FlowSpec):
            """Flow doc."""

            @step
            def start(self):
                """Split in two."""
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.join)

            @step
            def b(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        ''',
    )
    assert g.doc == "Flow doc."
    assert g["start"].doc == "Split in two." and g["start"].kind == "branch"
    assert g["start"].matching_join == "join" and g["join"].predecessors == ("a", "b")
    assert g["a"].scope == () and g["a"].foreach_depth == 0


def test_nested_foreach_depths():
    g = build_graph_from_file(os.path.join(FLOWS, "nested_foreach3.py"))
    assert [g[s].foreach_depth for s in ["start", "a", "b", "c", "join_c", "join_b", "join_a", "end"]] == [
        0, 1, 2, 3, 2, 1, 0, 0,
    ]
    assert g["b"].matching_join == "join_c" and g["a"].matching_join == "join_b"


def test_task_ids_render_and_parse():
    g = build_graph_from_file(os.path.join(FLOWS, "loop_in_foreach.py"))
    bump = g["bump"]
    assert render_task_id(bump.scope, (3, 2)) == "3.v2"
    assert parse_task_id(bump.scope, "3.v2") == (3, 2)
    assert render_task_id(g["start"].scope, ()) == "0"
    with pytest.raises(ValueError):
        parse_task_id(bump.scope, "3.2")


def test_next_values_follow_identity_rules():
    g = build_graph_from_file(os.path.join(FLOWS, "loop_in_foreach.py"))
    start, init, bump, done, join = (g[s] for s in ["start", "init", "bump", "done", "join"])
    assert next_values(g, start, (), init, item_index=2) == (2,)
    assert next_values(g, init, (2,), bump) == (2, 0)  # entering the loop
    assert next_values(g, bump, (2, 0), bump) == (2, 1)  # looping back: next visit
    assert next_values(g, bump, (2, 1), done) == (2,)  # leaving the loop
    assert next_values(g, done, (2,), join) == ()  # leaving the foreach
    with pytest.raises(ValueError):
        next_values(g, start, (), init)  # entering a foreach needs the item index


def test_thousand_step_flow_builds(tmp_path):
    # How fast is benchmarks/graph_bench.py's figure; a timing is never a pass/fail test.
    path = write_linear_flow(str(tmp_path), 1000)
    g = build_graph_from_file(path)
    assert len(g) == 1000
    order = [node.name for node in g.topological()]
    assert order == ["start"] + [f"s{i}" for i in range(1, 999)] + ["end"]
    assert g["s500"].successors == ("s501",)
