"""What a run of a compiled machine costs in Step Functions: state transitions and Batch jobs.

Standard workflows are billed per state transition: "Step Functions counts a state
transition each time a step of your workflow is executed", retries included, and a
Distributed Map's child executions count theirs too
(https://aws.amazon.com/step-functions/pricing/). The model walks the compiled
definition along a successful run: every state entered is one transition, a foreach
has ``width`` items, a switch takes its first case that moves forward (so a loop runs
its body once), nothing is retried. Each transition is attributed to the step whose
Batch Task last ran in that container, so the figures read per step kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Set

from ..graph.ir import FlowGraph
from . import jobparams
from .intrinsics import BATCH_SUBMIT_SYNC

# AWS Step Functions, Standard workflows: $0.025 per 1,000 state transitions (US East (N. Virginia)
# and most regions; a few cost up to $0.0375), https://aws.amazon.com/step-functions/pricing/.
PRICE_PER_TRANSITION_USD = 0.025 / 1000
RUN = "(run)"  # transitions before the first step: the state that sets up the run


@dataclass
class Tally:
    """Transitions and Batch jobs of one walk, per step."""

    transitions: int = 0
    jobs: int = 0
    by_step: Dict[str, int] = field(default_factory=dict)  # transitions attributed to each step
    runs: Dict[str, int] = field(default_factory=dict)  # Batch jobs of each step
    per_item: Dict[str, int] = field(default_factory=dict)  # split step -> transitions per item besides its steps'

    def add(self, other: "Tally", times: int) -> None:
        self.transitions += other.transitions * times
        self.jobs += other.jobs * times
        for target, source in ((self.by_step, other.by_step), (self.runs, other.runs)):
            for key, value in source.items():
                target[key] = target.get(key, 0) + value * times
        for key, value in other.per_item.items():
            self.per_item.setdefault(key, value)


def _step_of(state: Mapping[str, Any]) -> str:
    return state["Parameters"]["Parameters"][jobparams.STEP]


def _choice(state: Mapping[str, Any], width: int, seen: Set[str]) -> str:
    """The rule a successful run takes: by the foreach width, else the first case moving forward."""
    for rule in state["Choices"]:
        if rule["Variable"].endswith(".cardinality"):
            for op, test in (("NumericLessThan", width.__lt__), ("NumericLessThanEquals", width.__le__),
                             ("NumericGreaterThan", width.__gt__)):
                if op in rule and test(rule[op]):
                    return rule["Next"]
        elif rule["Next"] not in seen:
            return rule["Next"]
    return state["Default"]


def _is_exit(state: Mapping[str, Any]) -> bool:
    """A state that only ends its container (a ``Succeed``, a distributed item's result Pass)."""
    return state["Type"] == "Succeed" or (state["Type"] == "Pass" and bool(state.get("End")))


def _walk(states: Mapping[str, Any], start: str, width: int, owner: str) -> Tally:
    """``owner``: the step the container's first states belong to (its split, or the run)."""
    tally = Tally()
    seen: Set[str] = set()
    entry, extra = owner, 0
    name: Optional[str] = start
    while name is not None:
        seen.add(name)
        state = states[name]
        kind = state["Type"]
        if kind == "Task" and state["Resource"] == BATCH_SUBMIT_SYNC:
            owner = _step_of(state)
            tally.jobs += 1
            tally.runs[owner] = tally.runs.get(owner, 0) + 1
        tally.transitions += 1
        if _is_exit(state) or owner == entry:
            extra += 1
        else:
            tally.by_step[owner] = tally.by_step.get(owner, 0) + 1
        if kind == "Parallel":
            for branch in state["Branches"]:
                tally.add(_walk(branch["States"], branch["StartAt"], width, owner), 1)
        elif kind == "Map":
            processor = state["ItemProcessor"]
            item = _walk(processor["States"], processor["StartAt"], width, owner)
            tally.per_item.setdefault(owner, item.by_step.pop(owner, 0))
            tally.add(item, width)
        if kind in ("Fail", "Succeed") or state.get("End"):
            name = None
        elif kind == "Choice":
            name = _choice(state, width, seen)
        else:
            name = state["Next"]
    tally.by_step[entry] = tally.by_step.get(entry, 0) + extra
    return tally


@dataclass(frozen=True)
class CostModel:
    """State transitions and Batch jobs of one successful run with ``width`` items per foreach."""

    width: int
    transitions: int
    batch_jobs: int
    per_kind: Mapping[str, float]  # step kind -> transitions per run of such a step (its own and its helpers')
    per_item: Mapping[str, int]  # foreach split step -> transitions per item besides the item's steps
    run_overhead: int

    @property
    def cost_usd(self) -> float:
        return self.transitions * PRICE_PER_TRANSITION_USD

    def lines(self) -> List[str]:
        out = [f"Step Functions per run, {self.width} items per foreach: {self.transitions:,} state transitions, "
               f"{self.batch_jobs:,} Batch jobs, about ${self.cost_usd:.6f} "
               f"(Standard workflow, ${PRICE_PER_TRANSITION_USD * 1000:.3f} per 1,000 transitions)"]
        kinds = ", ".join(f"{kind} {value:g}" for kind, value in self.per_kind.items())
        out.append(f"  transitions per step, by kind: {kinds}; per run: {self.run_overhead} more")
        for split, extra in self.per_item.items():
            out.append(f"  foreach '{split}': {extra} transition(s) per item besides the item's steps")
        return out


def cost_model(graph: FlowGraph, definition: Mapping[str, Any], width: int = 10) -> CostModel:
    """Walk ``definition`` (compiled from ``graph``) along a successful run with ``width`` items per foreach."""
    tally = _walk(definition["States"], definition["StartAt"], width, RUN)
    per_kind: Dict[str, float] = {}
    for kind in dict.fromkeys(node.kind for node in graph):
        steps = [node.name for node in graph if node.kind == kind and tally.runs.get(node.name)]
        runs = sum(tally.runs[s] for s in steps)
        if runs:
            per_kind[kind] = round(sum(tally.by_step.get(s, 0) for s in steps) / runs, 2)
    return CostModel(
        width=width,
        transitions=tally.transitions,
        batch_jobs=tally.jobs,
        per_kind=per_kind,
        per_item=dict(tally.per_item),
        run_overhead=tally.by_step.get(RUN, 0),
    )


def stats_lines(graph: FlowGraph, definition: Mapping[str, Any], width: int = 10) -> List[str]:
    """``compile --stats`` / ``deploy``: the definition's size as deployed, then the cost model."""
    from .size import MAX_DEFINITION_BYTES, deployed_size

    size = deployed_size(definition, graph.name)
    head = (f"definition: {size:,} bytes as deployed ({size / MAX_DEFINITION_BYTES:.1%} of Step Functions' 1 MiB), "
            f"{len(graph)} steps")
    return [head, *cost_model(graph, definition, width).lines()]
