"""Shape analysis: kinds, splits and their joins, loops, scopes; every shape error.

Input: the parsed steps (``parse.ParsedStep``). Output: immutable ``StepNode``s.
The rules are those of Metaflow plus switches: a cycle must close through a
switch case (a loop), loops stay inside one split level and nest properly, every
branch and foreach joins at one join step.
"""
from __future__ import annotations

from collections import deque
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ..exceptions import FlowDefinitionError
from .ir import (
    BRANCH,
    END,
    FOREACH,
    FRAME_FOREACH,
    FRAME_LOOP,
    JOIN,
    LINEAR,
    START,
    SWITCH,
    Frame,
    StepNode,
    SwitchCase,
    freeze,
)
from .parse import ParsedStep


def _err(step: ParsedStep, message: str, fix: str, line: Optional[int] = None) -> FlowDefinitionError:
    return FlowDefinitionError(message, file=step.file, line=line or step.next_line or step.line, step=step.name, fix=fix)


def _transition(p: ParsedStep) -> str:
    if p.name == "end":
        return END
    if p.cases:
        return SWITCH
    if p.foreach:
        return FOREACH
    if len(p.targets) > 1:
        return BRANCH
    return LINEAR


def analyze(parsed: Mapping[str, ParsedStep], flow_file: str, flow_line: int) -> Dict[str, StepNode]:
    """Check the graph's shape and build its nodes (in source order)."""
    if "start" not in parsed:
        raise FlowDefinitionError(
            "the flow has no 'start' step", file=flow_file, line=flow_line, fix="add `@step def start(self): ...`"
        )
    if "end" not in parsed:
        raise FlowDefinitionError(
            "the flow has no 'end' step", file=flow_file, line=flow_line, fix="add `@step def end(self): pass`"
        )
    _check_transitions(parsed)
    back_edges = _find_back_edges(parsed)
    _check_reachable(parsed)
    stacks, branch_of, joins = _match_splits(parsed, back_edges)
    loops = _find_loops(parsed, back_edges, stacks)
    scopes = _scopes(parsed, stacks, loops, joins)
    predecessors: Dict[str, List[str]] = {n: [] for n in parsed}
    for p in parsed.values():
        for t in p.targets:
            predecessors[t].append(p.name)
    splits_of_join = {j: s for s, j in joins.items()}
    nodes: Dict[str, StepNode] = {}
    for p in parsed.values():
        transition = _transition(p)
        is_join = p.name in splits_of_join
        if transition in (BRANCH, FOREACH, SWITCH, END):
            kind = transition
        elif is_join:
            kind = JOIN
        elif p.name == "start":
            kind = START
        else:
            kind = LINEAR
        nodes[p.name] = StepNode(
            name=p.name,
            kind=kind,
            transition=transition,
            is_join=is_join,
            successors=p.targets,
            predecessors=tuple(predecessors[p.name]),
            foreach_var=p.foreach,
            condition=p.condition,
            switch_cases=tuple(SwitchCase(v, t, (p.name, t) in back_edges) for v, t in p.cases),
            matching_join=joins.get(p.name),
            matching_split=splits_of_join.get(p.name),
            scope=scopes[p.name],
            decorators=freeze(p.decorators),
            file=p.file,
            line=p.line,
            doc=p.doc,
        )
    return nodes


def _check_transitions(parsed: Mapping[str, ParsedStep]) -> None:
    for p in parsed.values():
        if p.name == "end":
            if p.has_next:
                raise _err(p, "the end step calls self.next", "the end step is the last one: remove self.next")
            if p.takes_inputs:
                raise _err(p, "the end step takes inputs", "join in an earlier step; end is `def end(self):`", p.line)
            continue
        if not p.has_next:
            raise _err(
                p,
                f"step '{p.name}' never calls self.next",
                "end every step (except end) with self.next(self.<next step>)",
                p.line,
            )
        for target in p.targets:
            if target not in parsed:
                raise _err(
                    p,
                    f"self.next goes to '{target}', which is not a step of this flow",
                    f"steps are: {', '.join(parsed)}; decorate '{target}' with @step or fix the name",
                )
            if target == "start" and not p.cases:
                raise _err(p, "self.next goes to 'start'", "only a switch case may go back to start (a loop)")
        if p.name in p.targets and not p.cases:
            raise _err(p, f"step '{p.name}' goes to itself", "use a switch case to loop back to a step")


def _find_back_edges(parsed: Mapping[str, ParsedStep]) -> Set[Tuple[str, str]]:
    """Edges closing a cycle (DFS from start). Only switch cases may do that."""
    back: Set[Tuple[str, str]] = set()
    state: Dict[str, int] = {}  # 1 = on stack, 2 = done
    stack: List[Tuple[str, int]] = [("start", 0)]
    state["start"] = 1
    while stack:
        name, i = stack[-1]
        targets = parsed[name].targets
        if i < len(targets):
            stack[-1] = (name, i + 1)
            t = targets[i]
            if state.get(t) == 1:
                p = parsed[name]
                if not p.cases:
                    raise _err(
                        p,
                        f"the flow has a cycle: '{name}' goes back to '{t}' without a switch",
                        "a step may only go back to an earlier step through a switch case: "
                        f"self.next({{'again': self.{t}, 'done': self.<next>}}, condition='attr')",
                    )
                back.add((name, t))
            elif t not in state:
                state[t] = 1
                stack.append((t, 0))
        else:
            state[name] = 2
            stack.pop()
    return back


def _check_reachable(parsed: Mapping[str, ParsedStep]) -> None:
    seen = {"start"}
    todo = ["start"]
    while todo:
        for t in parsed[todo.pop()].targets:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for p in parsed.values():
        if p.name not in seen:
            raise _err(
                p,
                f"step '{p.name}' is unreachable from start",
                f"reach it with self.next(self.{p.name}) from an earlier step, or remove it",
                p.line,
            )


def _forward_targets(p: ParsedStep, back_edges: Set[Tuple[str, str]]) -> Tuple[str, ...]:
    return tuple(t for t in p.targets if (p.name, t) not in back_edges)


def _topological(parsed: Mapping[str, ParsedStep], back_edges: Set[Tuple[str, str]]) -> List[str]:
    indeg = {n: 0 for n in parsed}
    for p in parsed.values():
        for t in _forward_targets(p, back_edges):
            indeg[t] += 1
    order: List[str] = []
    ready = deque(n for n in parsed if indeg[n] == 0)
    while ready:
        n = ready.popleft()
        order.append(n)
        for t in _forward_targets(parsed[n], back_edges):
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    return order


# A split stack entry: (split step name, "branch" | "foreach").
Stack = Tuple[Tuple[str, str], ...]


def _match_splits(
    parsed: Mapping[str, ParsedStep], back_edges: Set[Tuple[str, str]]
) -> Tuple[Dict[str, Stack], Dict[str, Dict[str, str]], Dict[str, str]]:
    """Propagate split stacks forward; find each split's join; check every join."""
    stacks: Dict[str, Stack] = {"start": ()}
    # For each step, which branch of each enclosing static split it is on: {split: first step of branch}.
    branch_of: Dict[str, Dict[str, str]] = {"start": {}}
    came_from: Dict[str, str] = {"start": "start"}
    joins: Dict[str, str] = {}
    forward_preds: Dict[str, List[ParsedStep]] = {n: [] for n in parsed}
    for q in parsed.values():
        for t in _forward_targets(q, back_edges):
            forward_preds[t].append(q)
    for name in _topological(parsed, back_edges):
        p = parsed[name]
        if name not in stacks:
            continue  # only reachable through a back edge: impossible after _check_reachable
        preds = forward_preds[name]
        if p.takes_inputs:
            _check_join(p, preds, stacks, branch_of, parsed, joins)
        stack = stacks[name]
        for t in _forward_targets(p, back_edges):
            if p.foreach:
                new_stack: Stack = stack + ((name, FOREACH),)
                new_branch = dict(branch_of[name])
            elif len(p.targets) > 1 and not p.cases:
                new_stack = stack + ((name, BRANCH),)
                new_branch = dict(branch_of[name])
                new_branch[name] = t
            else:
                new_stack = stack
                new_branch = dict(branch_of[name])
            target = parsed[t]
            if target.takes_inputs:
                # The join's own stack is computed when it is visited; record what arrives.
                stacks.setdefault(t, new_stack)
                branch_of.setdefault(t, new_branch)
                came_from.setdefault(t, name)
                continue
            if t in stacks and (stacks[t], branch_of[t]) == (new_stack, new_branch):
                continue
            if t in stacks and stacks[t] == new_stack:
                raise _err(
                    target,
                    f"step '{t}' is reached from '{came_from[t]}' and from '{name}', two branches of one split",
                    f"a step where branches meet is a join: write `def {t}(self, inputs):`",
                    target.line,
                )
            if t in stacks:
                other = came_from[t]
                raise _err(
                    target,
                    f"step '{t}' is reached from '{other}' and from '{name}', which sit in different "
                    "branches or foreaches",
                    "every branch and foreach must end in a join step (`def join(self, inputs):`) before "
                    "paths meet",
                    target.line,
                )
            stacks[t] = new_stack
            branch_of.setdefault(t, new_branch)
            came_from.setdefault(t, name)
        if name == "end" and stacks[name]:
            split, _ = stacks[name][-1]
            raise _err(
                parsed[split],
                f"the split in step '{split}' never joins",
                f"add a join step (`def join(self, inputs):`) that every path from '{split}' reaches before end",
            )
    return stacks, branch_of, joins


def _check_join(
    p: ParsedStep,
    preds: Sequence[ParsedStep],
    stacks: Dict[str, Stack],
    branch_of: Dict[str, Dict[str, str]],
    parsed: Mapping[str, ParsedStep],
    joins: Dict[str, str],
) -> None:
    pred_stacks = {q.name: stacks[q.name] for q in preds if q.name in stacks}
    if not pred_stacks or not any(pred_stacks.values()):
        raise _err(
            p,
            f"step '{p.name}' takes inputs but does not follow a branch or foreach",
            f"only a join takes inputs: write `def {p.name}(self):`, or split earlier with "
            "self.next(self.a, self.b) or foreach=",
            p.line,
        )
    tops = {s[-1] if s else None for s in pred_stacks.values()}
    if len(tops) != 1 or None in tops:
        names = ", ".join(sorted(pred_stacks))
        raise _err(
            p,
            f"join '{p.name}' joins steps from different splits ({names})",
            "a join step closes exactly one branch or foreach: join inner splits first",
            p.line,
        )
    split, kind = tops.pop()  # type: ignore[misc]
    if split in joins:
        raise _err(
            p,
            f"the split in step '{split}' is joined twice (at '{joins[split]}' and '{p.name}')",
            "every branch of a split must reach the same join step",
            p.line,
        )
    if kind == BRANCH:
        branches = set(parsed[split].targets)
        reached = {branch_of[q][split] for q in pred_stacks if split in branch_of.get(q, {})}
        missing = sorted(branches - reached)
        if missing:
            raise _err(
                parsed[split],
                f"branch(es) {', '.join(missing)} of the split in '{split}' never reach its join '{p.name}'",
                f"make every branch of '{split}' end with self.next(self.{p.name})",
            )
    joins[split] = p.name
    stacks[p.name] = pred_stacks[next(iter(pred_stacks))][:-1]
    merged: Dict[str, str] = {}
    for q in pred_stacks:
        merged.update(branch_of.get(q, {}))
    merged.pop(split, None)
    branch_of[p.name] = merged


def _reachable_forward(parsed: Mapping[str, ParsedStep], start: str, back_edges: Set[Tuple[str, str]]) -> Set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for t in _forward_targets(parsed[todo.pop()], back_edges):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _find_loops(
    parsed: Mapping[str, ParsedStep], back_edges: Set[Tuple[str, str]], stacks: Dict[str, Stack]
) -> Dict[str, Tuple[str, Set[str]]]:
    """Loops by target step: target -> (last switch looping back, body)."""
    reverse: Dict[str, List[str]] = {n: [] for n in parsed}
    for p in parsed.values():
        for t in _forward_targets(p, back_edges):
            reverse[t].append(p.name)
    loops: Dict[str, Tuple[str, Set[str]]] = {}
    for switch, target in sorted(back_edges):
        sw = parsed[switch]
        if stacks.get(switch) != stacks.get(target):
            raise _err(
                sw,
                f"switch '{switch}' loops back to '{target}' across a branch or foreach boundary",
                "a loop must start and end inside the same branch or foreach iteration",
            )
        ahead = _reachable_forward(parsed, target, back_edges)
        behind = {switch}
        todo = [switch]
        while todo:
            for q in reverse[todo.pop()]:
                if q not in behind:
                    behind.add(q)
                    todo.append(q)
        body = ahead & behind
        _, prev = loops.get(target, (switch, set()))
        loops[target] = (switch, prev | body)
    items = list(loops.items())
    for i, (t1, (_, b1)) in enumerate(items):
        for t2, (_, b2) in items[i + 1 :]:
            if b1 & b2 and not (b1 <= b2 or b2 <= b1):
                raise _err(
                    parsed[t2],
                    f"the loops back to '{t1}' and to '{t2}' overlap without one containing the other",
                    "nest loops fully, or merge them into one switch",
                    parsed[t2].line,
                )
    return loops


def _scopes(
    parsed: Mapping[str, ParsedStep],
    stacks: Dict[str, Stack],
    loops: Dict[str, Tuple[str, Set[str]]],
    joins: Dict[str, str],
) -> Dict[str, Tuple[Frame, ...]]:
    """Frames enclosing each step, outermost first (foreach frames and loop frames)."""
    regions: List[Tuple[Frame, Set[str]]] = []
    foreach_members: Dict[str, Set[str]] = {}
    for name, stack in stacks.items():
        for split, kind in stack:
            if kind == FOREACH:
                foreach_members.setdefault(split, set()).add(name)
    for split, members in foreach_members.items():
        regions.append((Frame(FRAME_FOREACH, split, joins.get(split, "")), members))
    for target, (switch, body) in loops.items():
        regions.append((Frame(FRAME_LOOP, target, switch), body))
    scopes: Dict[str, Tuple[Frame, ...]] = {}
    for name in parsed:
        containing = [(f, members) for f, members in regions if name in members]
        # Larger regions enclose smaller ones; at equal size a foreach encloses a loop
        # (a loop spanning a whole foreach body runs inside each item).
        containing.sort(key=lambda fm: (-len(fm[1]), 0 if fm[0].kind == FRAME_FOREACH else 1, fm[0].name))
        scopes[name] = tuple(f for f, _ in containing)
    return scopes
