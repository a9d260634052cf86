"""Shared helpers of the compiler tests: the flows to compile and how to compile them."""
from __future__ import annotations

import glob
import os
from typing import Any, Dict, List

from sfncompile.compiler import CompileResult, DeploySettings, compile_flow, substitute
from sfncompile.graph import build_graph_from_file
from sfncompile.graph.ir import FlowGraph

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(HERE, "golden")

EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
SHAPES = sorted(glob.glob(os.path.join(ROOT, "tests", "flows", "*.py")))
COMPILER_FLOWS = sorted(glob.glob(os.path.join(HERE, "flows", "*.py")))  # decorators, switch exits
DECORATED = os.path.join(HERE, "flows", "decorated.py")
ALL_FLOWS = EXAMPLES + SHAPES + COMPILER_FLOWS

# Foreach modes every shape is compiled with: the default (auto), auto that goes
# distributed from 2 items up, and both forced modes.
MODE_SETTINGS: Dict[str, Dict[str, Any]] = {
    "auto": {},
    "auto-wide": {"inline_max_items": 1},
    "inline": {"default_foreach_mode": "inline"},
    "distributed": {"default_foreach_mode": "distributed"},
}

# What a deploy would substitute (docs/internals.md "Definition substitutions").
TEST_VALUES = {
    "JobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/q",
    "JobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/jd:1",
    "MetadataTable": "metadata",
    "DatastoreBucket": "bucket",
    "DatastorePrefix": "sfncompile",
    "Stack": "sfncompile-test",
}


def flow_id(path: str) -> str:
    return os.path.relpath(path, ROOT)


def graph_of(path: str) -> FlowGraph:
    return build_graph_from_file(path)


def compile_path(path: str, **settings: Any) -> CompileResult:
    return compile_flow(graph_of(path), DeploySettings(**settings))


def deployable(result: CompileResult, graph: FlowGraph) -> Dict[str, Any]:
    """The definition with every placeholder filled, as deploy would send it."""
    values = dict(TEST_VALUES, FlowName=graph.name)
    for step, spec in result.job_definitions.items():
        values[spec["placeholder"]] = f"arn:aws:batch:us-east-1:123456789012:job-definition/{step}:1"
    definition, missing = substitute(result.definition, values)
    assert not missing, missing
    return definition


def all_states(definition: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every state of a definition, nested ones included."""
    out = []
    for state in definition["States"].values():
        out.append(state)
        for branch in state.get("Branches", []):
            out.extend(all_states(branch))
        if "ItemProcessor" in state:
            out.extend(all_states(state["ItemProcessor"]))
    return out
