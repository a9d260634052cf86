"""How frame values change along an edge: the identity rule both backends follow.

Going from a task of ``src`` (frame values ``values``) to ``dst``:
- a frame both steps share keeps its value, except the loop frame of ``dst``
  when the edge is a switch case looping back to it: that visit number goes up by one;
- a frame ``dst`` enters is new: a foreach frame takes the item index, a loop frame 0;
- frames ``dst`` is outside of are dropped (a join leaves its foreach).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

from .ir import FRAME_FOREACH, FRAME_LOOP, FlowGraph, StepNode


def loops_back(src: StepNode, dst: StepNode) -> bool:
    return any(c.loops_back and c.target == dst.name for c in src.switch_cases)


def next_values(
    graph: FlowGraph,
    src: StepNode,
    values: Sequence[int],
    dst: StepNode,
    item_index: Optional[int] = None,
) -> Tuple[int, ...]:
    if dst.name not in src.successors:
        raise ValueError(f"'{dst.name}' is not a successor of '{src.name}'")
    current = {(f.kind, f.name): v for f, v in zip(src.scope, values)}
    back = loops_back(src, dst)
    out = []
    for frame in dst.scope:
        key = (frame.kind, frame.name)
        if key in current:
            value = current[key]
            if back and frame.kind == FRAME_LOOP and frame.name == dst.name:
                value += 1
            out.append(value)
        elif frame.kind == FRAME_FOREACH:
            if frame.name != src.name or item_index is None:
                raise ValueError(f"entering the foreach of '{frame.name}' needs the item index")
            out.append(item_index)
        else:
            out.append(0)
    return tuple(out)
