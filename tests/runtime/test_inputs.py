"""Parent resolution and transition checks, unit-level (no processes)."""
from __future__ import annotations

import os

import pytest

from sfncompile.graph import build_graph_from_file
from sfncompile.runtime.inputs import InputError, resolve_parents
from sfncompile.runtime.task import TransitionError, check_transition, fallback_route

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FakeMeta:
    def __init__(self, tasks):
        self.tasks = {(t["step"], t["task_id"]): dict(t, status=t.get("status", "SUCCEEDED"),
                                                      successful_attempt=t.get("successful_attempt", 0))
                      for t in tasks}

    def get_task(self, flow, run, step, task_id):
        return self.tasks.get((step, task_id))

    def list_tasks(self, flow, run, step=None):
        return [t for (s, _), t in self.tasks.items() if step is None or s == step]


def _graph(name):
    for base in ("examples", "tests/flows"):
        p = os.path.join(ROOT, base, name + ".py")
        if os.path.exists(p):
            return build_graph_from_file(p)


def test_loop_parents():
    g = _graph("loop")
    meta = FakeMeta([
        {"step": "start", "task_id": "0"},
        {"step": "work", "task_id": "v0"}, {"step": "check", "task_id": "v0", "choice": "again"},
        {"step": "work", "task_id": "v1"}, {"step": "check", "task_id": "v1", "choice": "done"},
    ])
    assert [repr(p) for p in resolve_parents(g, meta, "LoopFlow", "r", g["work"], (0,))] == ["start/0#0"]
    assert [repr(p) for p in resolve_parents(g, meta, "LoopFlow", "r", g["work"], (1,))] == ["check/v0#0"]
    assert [repr(p) for p in resolve_parents(g, meta, "LoopFlow", "r", g["end"], ())] == ["check/v1#0"]


def test_foreach_join_needs_every_item():
    g = _graph("foreach")
    tasks = [{"step": "start", "task_id": "0", "cardinality": 3}, {"step": "square", "task_id": "0"},
             {"step": "square", "task_id": "2"}, {"step": "square", "task_id": "1", "status": "FAILED",
                                                   "successful_attempt": None}]
    with pytest.raises(InputError, match=r"no successful task for item\(s\) 1"):
        resolve_parents(g, FakeMeta(tasks), "ForeachFlow", "r", g["join"], ())
    tasks[3] = {"step": "square", "task_id": "1", "successful_attempt": 1}
    parents = resolve_parents(g, FakeMeta(tasks), "ForeachFlow", "r", g["join"], ())
    assert [repr(p) for p in parents] == ["square/0#0", "square/1#1", "square/2#0"]


def test_switch_in_foreach_join_and_loop_in_foreach():
    g = _graph("switch_in_foreach")
    tasks = [{"step": "start", "task_id": "0", "cardinality": 2}, {"step": "classify", "task_id": "0", "choice": "odd"},
             {"step": "classify", "task_id": "1", "choice": "even"}, {"step": "odd", "task_id": "0"},
             {"step": "even", "task_id": "1"}]
    parents = resolve_parents(g, FakeMeta(tasks), "F", "r", g["join"], ())
    assert [repr(p) for p in parents] == ["odd/0#0", "even/1#0"]
    g = _graph("loop_in_foreach")
    tasks = [{"step": "start", "task_id": "0", "cardinality": 2},
             {"step": "init", "task_id": "0"}, {"step": "init", "task_id": "1"},
             {"step": "bump", "task_id": "0.v0", "choice": "no"},
             {"step": "bump", "task_id": "1.v0", "choice": "yes"}, {"step": "bump", "task_id": "1.v1", "choice": "no"}]
    meta = FakeMeta(tasks)
    assert [repr(p) for p in resolve_parents(g, meta, "F", "r", g["done"], (1,))] == ["bump/1.v1#0"]
    assert [repr(p) for p in resolve_parents(g, meta, "F", "r", g["bump"], (1, 1))] == ["bump/1.v0#0"]
    assert [repr(p) for p in resolve_parents(g, meta, "F", "r", g["bump"], (1, 0))] == ["init/1#0"]


def test_branch_join_with_switch_inside():
    g = _graph("switch_in_branch")
    tasks = [{"step": "start", "task_id": "0"}, {"step": "decide", "task_id": "0", "choice": "fast"},
             {"step": "fast", "task_id": "0"}, {"step": "other", "task_id": "0"}]
    assert [repr(p) for p in resolve_parents(g, FakeMeta(tasks), "F", "r", g["join"], ())] == ["fast/0#0", "other/0#0"]
    with pytest.raises(InputError, match="expected 2 branch input"):
        resolve_parents(g, FakeMeta(tasks[:3]), "F", "r", g["join"], ())


class Obj:
    def __init__(self, transition, **attrs):
        self._sfn_transition = transition
        self.__dict__.update(attrs)


class T:
    def __init__(self, steps, foreach=None, condition=None, cases=None):
        self.steps, self.foreach, self.condition, self.cases = steps, foreach, condition, cases


def test_check_transition_mismatches():
    g = _graph("loop")
    with pytest.raises(TransitionError, match="finished without calling self.next"):
        check_transition(g["work"], Obj(None))
    with pytest.raises(TransitionError, match=r"called self.next\(self.end\), but the flow's graph says self.next\(self.check\)"):
        check_transition(g["work"], Obj(T(("end",))))
    with pytest.raises(TransitionError, match="the end step called"):
        check_transition(g["end"], Obj(T(("work",))))
    cases = {"again": "work", "done": "end"}
    assert check_transition(g["check"], Obj(T(("work", "end"), condition="status", cases=cases), status="done")) == (None, "done")
    with pytest.raises(TransitionError, match="self.status was never set"):
        check_transition(g["check"], Obj(T(("work", "end"), condition="status", cases=cases)))
    assert fallback_route(g["check"]) == (None, "done")
    g = _graph("foreach")
    with pytest.raises(TransitionError, match="self.items is a int, which has no length"):
        check_transition(g["start"], Obj(T(("square",), foreach="items"), items=3))
    assert check_transition(g["start"], Obj(T(("square",), foreach="items"), items=[1, 2])) == (2, None)
    assert fallback_route(g["start"]) == (0, None)
