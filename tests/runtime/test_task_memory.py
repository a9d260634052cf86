"""A task's artifact values are freed when run_task returns, not at the next garbage collection."""
from __future__ import annotations

import gc
import sys
import textwrap

import pytest

from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.runtime.task import TaskSettings, run_task
from sfncompile.storage.factory import open_stores

FLOW = '''
import weakref
from sfncompile import FlowSpec, card, step

ALIVE = []  # weak references to what the steps stored


class Value:
    pass


class MemoryFlow(FlowSpec):
    @step
    def start(self):
        self.value = Value()
        ALIVE.append(weakref.ref(self.value))
        self.next(self.end)

    @card
    @step
    def end(self):
        self.value = Value()
        ALIVE.append(weakref.ref(self.value))
'''


@pytest.mark.parametrize("step", ["start", "end"])  # end has a card: its refresher held the step's values
def test_artifact_values_are_freed_when_the_task_returns(tmp_path, step):
    path = tmp_path / "memory_flow.py"
    path.write_text(textwrap.dedent(FLOW))
    cls = load_flow_class(str(path))
    stores = open_stores(f"local:{tmp_path / 'store'}", f"sqlite:{tmp_path / 'meta.db'}")
    graph = build_graph(cls)
    settings = TaskSettings(username="tester", namespace="user:tester", echo=False, echo_traceback=False)
    alive = sys.modules[cls.__module__].ALIVE
    enabled = gc.isenabled()
    gc.disable()  # only reference counting frees memory here, as between a task's end and its result
    try:
        assert run_task(cls, graph, "start", "r1", "0", 0, stores=stores, settings=settings, run_params={}).ok
        if step == "end":
            assert run_task(cls, graph, "end", "r1", "0", 0, stores=stores, settings=settings).ok
        assert alive[-1]() is None
    finally:
        if enabled:
            gc.enable()
