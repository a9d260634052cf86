"""The cost model: state transitions and Batch jobs per run, per step kind and per foreach item."""
from __future__ import annotations

import pytest

from sfncompile.compiler import DeploySettings, compile_flow
from sfncompile.compiler.cost import PRICE_PER_TRANSITION_USD, cost_model

from .helpers import EXAMPLES, graph_of


def model_of(name: str, width: int = 10, **settings):
    graph = graph_of(next(p for p in EXAMPLES if p.endswith(name)))
    return cost_model(graph, compile_flow(graph, DeploySettings(**settings)).definition, width)


def test_linear_steps_take_one_transition_each():
    model = model_of("hello.py")
    assert model.per_kind == {"start": 1, "linear": 1, "end": 1}
    assert (model.transitions, model.batch_jobs, model.run_overhead) == (4, 3, 1)
    assert model.cost_usd == pytest.approx(4 * 0.025 / 1000)
    assert PRICE_PER_TRANSITION_USD == 0.000025


@pytest.mark.parametrize("mode, per_item, split", [("inline", 0, 5), ("distributed", 1, 2), ("auto", 0, 5)])
def test_a_foreach_item_costs_its_steps_plus_at_most_one(mode, per_item, split):
    model = model_of("foreach.py", width=7, default_foreach_mode=mode)
    assert model.per_item == {"start": per_item}
    assert model.per_kind["foreach"] == split  # the split's Task, getItem, Choice(s), items Pass, Map
    assert model.batch_jobs == 1 + 7 + 2  # start, 7 items, join, end
    assert model.transitions == 1 + split + 7 * (1 + per_item) + 2


def test_wide_auto_foreach_is_costed_as_the_distributed_map_it_runs():
    model = model_of("foreach.py", width=41)  # the auto mode runs up to 40 items inline
    assert model.per_item == {"start": 1}


def test_lines_name_the_price_and_the_figures():
    lines = model_of("branch.py").lines()
    assert lines[0] == ("Step Functions per run, 10 items per foreach: 7 state transitions, 5 Batch jobs, "
                        "about $0.000175 (Standard workflow, $0.025 per 1,000 transitions)")
    assert lines[1] == "  transitions per step, by kind: branch 2, linear 1, join 1, end 1; per run: 1 more"
