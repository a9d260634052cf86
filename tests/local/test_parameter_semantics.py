"""Parameters as in Metaflow: dashed names everywhere, separator, METAFLOW_RUN_/SFNCOMPILE_RUN_ defaults."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sfncompile import Run
from sfncompile.aws.trigger import typed_parameters
from sfncompile.exceptions import ParameterError
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.graph.schema import parameters_schema

from .helpers import flow_path, run_flow


def test_dashed_name_separator_env_default_and_read_only_in_try(monkeypatch):
    monkeypatch.delenv("SFNCOMPILE_RUN_FROM_ENV", raising=False)
    monkeypatch.setenv("METAFLOW_RUN_FROM_ENV", "7")
    outcome, text = run_flow("parameters_flow", {"test-size": "0.5"})
    assert outcome.ok, text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    start = run["start"].task
    assert start.data.seen == {"size": 0.5, "who": "world", "items": ["a", "b", "c"], "from_env": 7}
    assert start.data.read_only is True
    assert run.parameters["from-env"] == 7 and run.parameters["items"] == "a,b,c"
    # ours wins over Metaflow's; a value given on the command line wins over both
    monkeypatch.setenv("SFNCOMPILE_RUN_FROM_ENV", "8")
    outcome, text = run_flow("parameters_flow", {"items": "x;y"})
    assert Run(f"{outcome.flow}/{outcome.run_id}")["start"].task.data.seen["from_env"] == 8
    outcome, text = run_flow("parameters_flow", {"from-env": "9", "items": "x:y"})
    seen = Run(f"{outcome.flow}/{outcome.run_id}")["start"].task.data.seen
    assert seen["from_env"] == 9 and seen["items"] == ["x:y"]


def test_reading_an_unmerged_artifact_in_a_join_points_at_inputs(monkeypatch):
    monkeypatch.setenv("SFNCOMPILE_RUN_FROM_ENV", "1")
    outcome, text = run_flow("parameters_flow")
    assert outcome.ok, text
    message = Run(f"{outcome.flow}/{outcome.run_id}")["join"].task.data.message
    assert "self.x is not set in this join step" in message
    assert "in a join, read `inputs.a.x` or call `self.merge_artifacts(inputs)`" in message


def test_dashed_parameter_on_the_command_line_schema_and_trigger(tmp_path):
    env = dict(os.environ, SFNCOMPILE_RUN_FROM_ENV="3")
    proc = subprocess.run(
        [sys.executable, flow_path("parameters_flow"), "run", "--test-size", "0.7", "--quiet"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    graph = build_graph(load_flow_class(flow_path("parameters_flow")))
    schema = parameters_schema(graph)
    assert schema["properties"]["test-size"] == {"type": "number", "default": 0.2}
    manifest = {
        "flow": graph.name,
        "parameters_schema": schema,
        "parameters": [{"name": p.name, "type": p.type} for p in graph.parameters],
    }
    assert typed_parameters(manifest, {"test-size": "0.4", "from_env": "2"}) == {"test-size": 0.4, "from-env": 2}
    assert typed_parameters(manifest, {"test_size": "0.1", "from-env": "1"}) == {"test-size": 0.1, "from-env": 1}
    with pytest.raises(ParameterError, match="test-size"):
        typed_parameters(manifest, {"test-size": "big", "from-env": "1"})
