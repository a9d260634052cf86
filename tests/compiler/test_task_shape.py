"""The bytes a compiled Task pays per step: one-letter job parameters and frame values read as they are.

Every byte of a Batch Task is paid once per step against Step Functions' 1 MiB limit
(benchmarks/compile_bench.py prints the figures), so these pin the shapes that keep it
small; the simulations (test_task_ids.py) and the emulated-AWS runs check they still run.
"""
from __future__ import annotations

import os

from sfncompile.compiler import compile_flow, jobparams, to_json
from sfncompile.graph import build_graph_from_file

from .helpers import ROOT, all_states, compile_path

FOREACH = os.path.join(ROOT, "examples", "foreach.py")
NESTED = os.path.join(ROOT, "examples", "nested_foreach.py")


def _task(definition, name):
    return next(s for s in all_states(definition) if s.get("Type") == "Task"
                and s["Parameters"].get("Parameters", {}).get(jobparams.STEP) == name)


def test_a_linear_step_passes_only_its_step_and_the_run(tmp_path):
    path = tmp_path / "line.py"
    path.write_text("from sfncompile import FlowSpec, step\n\nclass LineFlow(FlowSpec):\n"
                    "    @step\n    def start(self):\n        self.next(self.s001)\n\n"
                    "    @step\n    def s001(self):\n        self.next(self.s002)\n\n"
                    "    @step\n    def s002(self):\n        self.next(self.end)\n\n"
                    "    @step\n    def end(self):\n        pass\n")
    definition = compile_flow(build_graph_from_file(str(path))).definition
    state = definition["States"]["s001"]
    assert state["Parameters"] == {"JobName": "s001", "JobQueue.$": "$.q", "JobDefinition.$": "$.d",
                                   "Parameters": {"s": "s001", "r.$": "$.r"}, "Tags.$": "$.t"}
    # its bytes in the States object (`"s001":{...},`): 309 with the parameters named step/run
    assert len(to_json({"s001": state})) - len("{}") + len(",") == 304


def test_the_job_definition_command_reads_the_parameters_a_task_passes():
    assert jobparams.JOB_COMMAND == ("sfncompile", "task", "Ref::s", "--run-id", "Ref::r",
                                     "--task-id", "Ref::t", "--attempt", "Ref::a")
    filled = jobparams.fill_command(jobparams.job_parameters("train", "sfn-1", "3.v0", 2))
    assert filled == ["sfncompile", "task", "train", "--run-id", "sfn-1", "--task-id", "3.v0", "--attempt", "2"]


def test_a_foreach_body_step_reads_its_item_index_as_its_task_id():
    """The Map formats the index once; each body Task reads it instead of formatting it (20 bytes)."""
    definition = compile_path(FOREACH).definition
    inline = definition["States"]["start inline"]
    assert inline["ItemSelector"]["c"] == {"f_start.$": "States.Format('{}',$$.Map.Item.Index)"}
    assert _task(definition, "square")["Parameters"]["Parameters"] == {"s": "square", "r.$": "$.r",
                                                                        "t.$": "$.c.f_start"}
    assert "t" not in _task(definition, "join")["Parameters"]["Parameters"], "the root task id is the default"


def test_a_step_in_nested_foreaches_formats_its_task_id_from_string_indices():
    definition = compile_path(NESTED).definition
    assert _task(definition, "fit")["Parameters"]["Parameters"]["t.$"] == \
        "States.Format('{}.{}',$.c.f_start,$.c.f_per_model)"
    assert _task(definition, "per_model")["Parameters"]["Parameters"]["t.$"] == "$.c.f_start"
