"""Which tasks feed a task: resolved from the graph, the task id and the metadata store.

Nothing is passed along by the scheduler or by Step Functions: a task's parents
follow from the identity rule (``graph.transitions``) read backwards, plus what
earlier tasks recorded (a split's cardinality, a switch's choice).

- a non-join step has exactly one parent (none for the first visit of start);
- a foreach join has one parent per item 0..N-1 (N = the split task's cardinality),
  each a successful task of a join predecessor whose frame values extend the
  join's by the item index (inside a loop in the body: the highest visit);
- a branch join has one parent per branch of its split.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..exceptions import SfnCompileError
from ..graph.ir import FOREACH, FRAME_FOREACH, FRAME_LOOP, FlowGraph, StepNode
from ..graph.taskid import parse_task_id, render_task_id
from ..storage.interfaces import SUCCEEDED

ANY = -1  # a frame value to enumerate (a joined foreach's index)
MAX = -2  # a loop frame being left: take the highest visit


class InputError(SfnCompileError):
    """The parents of a task cannot be found (an upstream task is missing or failed)."""

    headline = "input error"


class ParentRef:
    """A parent task: step, task id, frame values and its successful attempt."""

    __slots__ = ("step", "task_id", "values", "attempt", "record")

    def __init__(self, step: str, task_id: str, values: Tuple[int, ...], attempt: int, record: Dict[str, Any]) -> None:
        self.step = step
        self.task_id = task_id
        self.values = values
        self.attempt = attempt
        self.record = record

    def __repr__(self) -> str:
        return f"{self.step}/{self.task_id}#{self.attempt}"


def _key(frame) -> Tuple[str, str]:
    return (frame.kind, frame.name)


def _loops_back(src: StepNode, dst: str) -> bool:
    return any(c.loops_back and c.target == dst for c in src.switch_cases)


def _pattern(graph: FlowGraph, node: StepNode, values: Sequence[int], pred: StepNode) -> Optional[Tuple[int, ...]]:
    """Frame values a task of ``pred`` must have to feed this task (ANY/MAX wildcards), or None if it cannot."""
    current = {_key(f): v for f, v in zip(node.scope, values)}
    back = _loops_back(pred, node.name)
    pred_keys = {_key(f) for f in pred.scope}
    # Frames this task has that the predecessor lacks: entered on this edge.
    for frame, value in zip(node.scope, values):
        if _key(frame) in pred_keys:
            continue
        if frame.kind == FRAME_LOOP and value != 0:
            return None  # a later visit of a loop is entered only through its loop-back edge
    joined = None
    if node.is_join and node.matching_split and graph[node.matching_split].transition == FOREACH:
        joined = (FRAME_FOREACH, node.matching_split)
    out = []
    for frame in pred.scope:
        key = _key(frame)
        if key in current:
            value = current[key]
            if back and frame.kind == FRAME_LOOP and frame.name == node.name:
                value -= 1
                if value < 0:
                    return None
            out.append(value)
        elif key == joined:
            out.append(ANY)
        elif frame.kind == FRAME_LOOP:
            out.append(MAX)
        else:  # a foreach this task is outside of, other than the one it joins: not a parent
            return None
    if back and not any(f.kind == FRAME_LOOP and f.name == node.name for f in pred.scope):
        return None
    return tuple(out)


def _routes_to(pred: StepNode, record: Dict[str, Any], dst: str) -> bool:
    """A switch task feeds only the case it chose."""
    if not pred.switch_cases:
        return True
    choice = record.get("choice")
    return any(c.value == choice and c.target == dst for c in pred.switch_cases)


def _successful(record: Optional[Dict[str, Any]]) -> bool:
    return record is not None and record.get("status") == SUCCEEDED and record.get("successful_attempt") is not None


def _matches(values: Tuple[int, ...], pattern: Tuple[int, ...]) -> bool:
    return all(p < 0 or v == p for v, p in zip(values, pattern))


def _find(metadata, flow: str, run_id: str, pred: StepNode, pattern: Tuple[int, ...], dst: str) -> List[ParentRef]:
    """Successful tasks of ``pred`` matching ``pattern`` that route to ``dst`` (MAX frames: highest visit)."""
    if all(p >= 0 for p in pattern):
        task_id = render_task_id(pred.scope, pattern)
        record = metadata.get_task(flow, run_id, pred.name, task_id)
        if _successful(record) and _routes_to(pred, record, dst):
            return [ParentRef(pred.name, task_id, pattern, int(record["successful_attempt"]), record)]
        return []
    found: Dict[Tuple[int, ...], ParentRef] = {}
    for record in metadata.list_tasks(flow, run_id, pred.name):
        try:
            values = parse_task_id(pred.scope, str(record["task_id"]))
        except ValueError:
            continue
        if not _matches(values, pattern) or not _successful(record) or not _routes_to(pred, record, dst):
            continue
        # Group by everything but the MAX frames; keep the highest visit per group.
        group = tuple(v if p != MAX else None for v, p in zip(values, pattern))
        ref = ParentRef(pred.name, str(record["task_id"]), values, int(record["successful_attempt"]), record)
        old = found.get(group)  # type: ignore[arg-type]
        if old is None or old.values < values:
            found[group] = ref  # type: ignore[index]
    return list(found.values())


def split_task(graph: FlowGraph, node: StepNode, values: Sequence[int], split: str) -> Tuple[str, Tuple[int, ...]]:
    """Task id and values of the task of ``split`` whose frames enclose this task."""
    current = {_key(f): v for f, v in zip(node.scope, values)}
    snode = graph[split]
    svalues = []
    for frame in snode.scope:
        if _key(frame) not in current:
            raise InputError(f"step '{node.name}' is not inside the scope of split '{split}'")
        svalues.append(current[_key(frame)])
    return render_task_id(snode.scope, svalues), tuple(svalues)


def resolve_parents(
    graph: FlowGraph, metadata, flow: str, run_id: str, node: StepNode, values: Sequence[int]
) -> List[ParentRef]:
    """The parent tasks of (node, values), in a stable order (items by index, branches by split order)."""
    values = tuple(values)
    pathspec = f"{flow}/{run_id}/{node.name}/{render_task_id(node.scope, values)}"
    preds = [graph[p] for p in node.predecessors]
    if not node.is_join:
        refs: List[ParentRef] = []
        for pred in preds:
            pattern = _pattern(graph, node, values, pred)
            if pattern is not None:
                refs.extend(_find(metadata, flow, run_id, pred, pattern, node.name))
        if node.name == "start" and not refs and all(v == 0 for v in values):
            return []
        if len(refs) != 1:
            tried = ", ".join(node.predecessors) or "none"
            what = "no successful parent task" if not refs else f"{len(refs)} candidate parents ({refs})"
            raise InputError(
                f"{pathspec}: found {what} among steps {tried}",
                fix="the upstream task must finish successfully first (resume the run to retry it)",
            )
        return refs
    split = graph[node.matching_split]  # type: ignore[index]
    if split.transition == FOREACH:
        split_id, _ = split_task(graph, node, values, split.name)
        record = metadata.get_task(flow, run_id, split.name, split_id)
        if not _successful(record) or record.get("cardinality") is None:
            raise InputError(
                f"{pathspec}: the foreach split {flow}/{run_id}/{split.name}/{split_id} has not succeeded "
                "or recorded no cardinality"
            )
        cardinality = int(record["cardinality"])
        frame_pos = {p.name: [i for i, f in enumerate(p.scope) if _key(f) == (FRAME_FOREACH, split.name)] for p in preds}
        by_index: Dict[int, List[ParentRef]] = {}
        for pred in preds:
            pattern = _pattern(graph, node, values, pred)
            if pattern is None or not frame_pos[pred.name]:
                continue
            pos = frame_pos[pred.name][0]
            for ref in _find(metadata, flow, run_id, pred, pattern, node.name):
                by_index.setdefault(ref.values[pos], []).append(ref)
        missing = [i for i in range(cardinality) if i not in by_index]
        extra = sorted(i for i in by_index if i >= cardinality)
        dup = [i for i, refs in by_index.items() if len(refs) > 1]
        if missing or extra or dup:
            detail = []
            if missing:
                detail.append(f"no successful task for item(s) {_short(missing)}")
            if extra:
                detail.append(f"unexpected item(s) {_short(extra)}")
            if dup:
                detail.append(f"several tasks for item(s) {_short(sorted(dup))}")
            raise InputError(
                f"{pathspec}: cannot join the foreach of '{split.name}' ({cardinality} items): {'; '.join(detail)}",
                fix="every item must finish successfully before the join (resume the run to retry failed items)",
            )
        return [by_index[i][0] for i in range(cardinality)]
    # A static branch: one parent per branch of the split.
    refs = []
    for pred in preds:
        pattern = _pattern(graph, node, values, pred)
        if pattern is not None:
            refs.extend(_find(metadata, flow, run_id, pred, pattern, node.name))
    expected = len(split.successors)
    if len(refs) != expected:
        raise InputError(
            f"{pathspec}: expected {expected} branch input(s) of split '{split.name}', found {len(refs)} "
            f"({', '.join(map(repr, refs)) or 'none'})",
            fix="every branch must finish successfully before the join (resume the run to retry it)",
        )
    return refs


def _short(items: Sequence[int]) -> str:
    items = list(items)
    text = ", ".join(map(str, items[:10]))
    return text + (f" ... ({len(items)} in all)" if len(items) > 10 else "")
