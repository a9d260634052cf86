"""Scripted runs: what a flow's tasks would record, and the tasks the graph says must run.

``Script`` plays the runtime's part for control flow: each foreach split records a
cardinality, each switch a choice (loops go back ``loops`` times, then leave;
other switches pick a case from the task's frame values so different items take
different cases). ``expected_tasks`` walks the graph IR with
``transitions.next_values`` - the identity rule every backend follows - and lists
every task a run must execute, with the tasks that must finish before it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sfncompile.graph.ir import BRANCH, END, FOREACH, FRAME_LOOP, LINEAR, SWITCH, FlowGraph, StepNode
from sfncompile.graph.taskid import parse_task_id, render_task_id
from sfncompile.graph.transitions import next_values

TaskKey = Tuple[str, str]  # (step, task id)


@dataclass
class Script:
    graph: FlowGraph
    width: int = 3
    loops: int = 2
    # (step, task id) -> how many attempts fail before one succeeds (None: all fail).
    failures: Dict[TaskKey, Optional[int]] = field(default_factory=dict)

    def cardinality(self, step: str, task: str) -> int:
        return self.width

    def choice(self, step: str, task: str) -> str:
        node = self.graph[step]
        values = parse_task_id(node.scope, task)
        visits = {f.name: v for f, v in zip(node.scope, values) if f.kind == FRAME_LOOP}
        for case in node.switch_cases:
            if case.loops_back and visits.get(case.target, 0) < self.loops:
                return case.value
        forward = [c for c in node.switch_cases if not c.loops_back]
        return forward[sum(values) % len(forward)].value

    def fails(self, step: str, task: str, attempt: int) -> bool:
        if (step, task) not in self.failures:
            return False
        failing = self.failures[(step, task)]
        return failing is None or attempt < failing


@dataclass(frozen=True)
class ExpectedTask:
    step: str
    task: str
    after: Tuple[TaskKey, ...]  # tasks that finish before this one starts

    @property
    def key(self) -> TaskKey:
        return (self.step, self.task)


def expected_tasks(graph: FlowGraph, script: Script) -> List[ExpectedTask]:
    """Every task of a successful run, in a valid execution order."""
    out: List[ExpectedTask] = []

    def run(node: StepNode, values: Sequence[int], after: Tuple[TaskKey, ...], stop: Optional[str]):
        """Run from ``node`` until control reaches ``stop``; returns the (node, values, key) that got there."""
        while True:
            task = render_task_id(node.scope, values)
            out.append(ExpectedTask(node.name, task, after))
            key = (node.name, task)
            if node.transition == END:
                return None
            if node.transition in (LINEAR, SWITCH):
                target = node.successors[0] if node.transition == LINEAR else next(
                    c.target for c in node.switch_cases if c.value == script.choice(node.name, task)
                )
                if target == stop:
                    return node, values, key
                dst = graph[target]
                node, values, after = dst, next_values(graph, node, values, dst), (key,)
                continue
            join = graph[node.matching_join]
            if node.transition == BRANCH:
                entries = [(graph[s], next_values(graph, node, values, graph[s])) for s in node.successors]
            else:
                assert node.transition == FOREACH
                first = graph[node.successors[0]]
                n = script.cardinality(node.name, task)
                entries = [(first, next_values(graph, node, values, first, item_index=i)) for i in range(n)]
            ends = [run(dst, vals, (key,), join.name) for dst, vals in entries]
            join_values = {next_values(graph, src, vals, join) for src, vals, _ in ends}
            assert len(join_values) == 1, f"inputs of {join.name} disagree on its frame values: {join_values}"
            node, values, after = join, join_values.pop(), tuple(k for _, _, k in ends)

    start = graph.start
    run(start, tuple(0 for _ in start.scope), (), None)
    return out
