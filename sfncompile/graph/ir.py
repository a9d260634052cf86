"""The graph IR: an immutable description of a flow that every backend shares.

Built by static analysis (see ``builder.py``); nothing here executes user code.

Scopes and task ids
-------------------
Every step has a *scope*: the frames that enclose it, outermost first. A frame is
either a foreach (one task per item) or a loop (one task per visit, for steps a
switch can send the flow back to). A task is identified by the step plus one
integer per frame; ``taskid.render_task_id`` turns those integers into the task id
string (``0``, ``3``, ``3.1``, ``v2``, ``v0.3``...). Static branches add no frame:
their tasks share the index of the split.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Optional, Tuple

# Step kinds, as the issue and Metaflow users know them.
START = "start"
LINEAR = "linear"
BRANCH = "branch"
FOREACH = "foreach"
SWITCH = "switch"
JOIN = "join"
END = "end"
KINDS = (START, LINEAR, BRANCH, FOREACH, SWITCH, JOIN, END)

# Transitions: what a step's ``self.next`` does (independent of joining).
TRANSITIONS = (LINEAR, BRANCH, FOREACH, SWITCH, END)

FRAME_FOREACH = "foreach"
FRAME_LOOP = "loop"


def freeze(value: Any) -> Any:
    """Deep-freeze dicts/lists so decorator settings in the IR cannot be mutated."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of ``freeze``: plain dicts and lists (for JSON output)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Frame:
    """One enclosing scope of a step.

    ``kind`` is ``foreach`` or ``loop``. ``name`` identifies it: for a foreach, the
    step that splits; for a loop, ``<target>`` (the step the switch goes back to).
    ``owner`` is the foreach's join or, for a loop, the switch step that loops back.
    """

    kind: str
    name: str
    owner: str


@dataclass(frozen=True)
class SwitchCase:
    """One case of a switch: the value the condition takes and the step it sends the flow to."""

    value: str
    target: str
    loops_back: bool  # True when target is an earlier step (the edge closes a loop)


@dataclass(frozen=True)
class StepNode:
    """One step of the flow: its kind, where it goes, the scope it runs in and its decorators."""

    name: str
    kind: str  # one of KINDS
    transition: str  # one of TRANSITIONS
    is_join: bool  # takes ``inputs``
    successors: Tuple[str, ...]  # in the order written (switch: case order)
    predecessors: Tuple[str, ...]  # steps whose self.next names this step (sorted by source order)
    foreach_var: Optional[str] = None  # attribute iterated by a foreach split
    condition: Optional[str] = None  # attribute read by a switch
    switch_cases: Tuple[SwitchCase, ...] = ()
    matching_join: Optional[str] = None  # for branch/foreach splits
    matching_split: Optional[str] = None  # for joins
    scope: Tuple[Frame, ...] = ()
    decorators: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    file: str = ""
    line: int = 0
    doc: Optional[str] = None

    @property
    def foreach_depth(self) -> int:
        return sum(1 for f in self.scope if f.kind == FRAME_FOREACH)

    @property
    def is_split(self) -> bool:
        return self.transition in (BRANCH, FOREACH)

    def decorator(self, name: str) -> Optional[Mapping[str, Any]]:
        return self.decorators.get(name)

    @property
    def join(self) -> str:
        """The matching join of a split; only branch and foreach steps have one."""
        if self.matching_join is None:
            raise ValueError(f"step {self.name!r} is not a split, so it has no matching join")
        return self.matching_join


@dataclass(frozen=True)
class ParameterSpec:
    """A declared flow Parameter or IncludeFile, as the graph and compilers see it."""

    name: str  # the name users type on the command line / in execution input
    attribute: str  # the class attribute it is bound to
    type: str  # "str" | "int" | "float" | "bool" | "json" | "file"
    default: Any = None  # for json: the parsed value; for file: the default path
    required: bool = False
    help: Optional[str] = None
    is_file: bool = False
    is_text: bool = True
    encoding: str = "utf-8"
    line: int = 0
    separator: Optional[str] = None  # a str value is split on it: the step sees a list of str


@dataclass(frozen=True)
class FlowGraph:
    """The whole flow: its steps in source order, its parameters and its flow-level decorators."""

    name: str
    file: str
    line: int
    doc: Optional[str]
    steps: Mapping[str, StepNode]  # ordered: source order of the step definitions
    parameters: Tuple[ParameterSpec, ...] = ()
    flow_decorators: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, name: str) -> StepNode:
        return self.steps[name]

    def __contains__(self, name: object) -> bool:
        return name in self.steps

    def __iter__(self) -> Iterator[StepNode]:
        return iter(self.steps.values())

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def start(self) -> StepNode:
        return self.steps["start"]

    @property
    def end(self) -> StepNode:
        return self.steps["end"]

    def topological(self) -> Tuple[StepNode, ...]:
        """Steps in a stable order where every step follows its forward predecessors."""
        # Kahn's algorithm on forward edges (loop-back edges ignored), ties by source order.
        index = {name: i for i, name in enumerate(self.steps)}
        waiting = {name: 0 for name in self.steps}
        for node in self.steps.values():
            for succ in forward_successors(node):
                waiting[succ] += 1
        ready = [index[name] for name, count in waiting.items() if count == 0]
        names = list(self.steps)
        order = []
        while ready:
            name = names[heapq.heappop(ready)]
            order.append(self.steps[name])
            for succ in forward_successors(self.steps[name]):
                waiting[succ] -= 1
                if waiting[succ] == 0:
                    heapq.heappush(ready, index[succ])
        return tuple(order)


def forward_successors(node: StepNode) -> Tuple[str, ...]:
    """Successors, minus switch cases that loop back (the DAG underneath a flow)."""
    back = {c.target for c in node.switch_cases if c.loops_back}
    return tuple(s for s in node.successors if s not in back)
