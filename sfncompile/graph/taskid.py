"""Deterministic task ids: a pure function of a step's scope and the frame values.

A task id joins one component per frame of the step's scope, outermost first:
a foreach frame gives the item index (``3``), a loop frame gives the visit number
(``v2``). A step with no frame has the task id ``0``. Examples: ``0``, ``3``,
``3.1`` (item 1 of a nested foreach inside item 3), ``v2`` (third visit of a
looped step), ``v0.3`` (item 3 of a foreach inside a loop's first visit).

The Step Functions compiler builds the same string with ``States.Format``; the
local scheduler and the runtime use these functions, so both agree by construction.
"""
from __future__ import annotations

from typing import Sequence, Tuple

from .ir import FRAME_FOREACH, FRAME_LOOP, Frame

ROOT_TASK_ID = "0"


def render_task_id(scope: Sequence[Frame], values: Sequence[int]) -> str:
    if len(scope) != len(values):
        raise ValueError(f"task id needs {len(scope)} frame values, got {len(values)}")
    if not scope:
        return ROOT_TASK_ID
    parts = []
    for frame, value in zip(scope, values):
        if value < 0:
            raise ValueError(f"frame values are non-negative, got {value}")
        parts.append(f"v{value}" if frame.kind == FRAME_LOOP else str(value))
    return ".".join(parts)


def parse_task_id(scope: Sequence[Frame], task_id: str) -> Tuple[int, ...]:
    """Frame values of a task id, checked against the step's scope."""
    if not scope:
        if task_id != ROOT_TASK_ID:
            raise ValueError(f"task id {task_id!r} does not fit a step outside any foreach or loop (expected '0')")
        return ()
    parts = task_id.split(".")
    if len(parts) != len(scope):
        raise ValueError(f"task id {task_id!r} has {len(parts)} components, the step's scope has {len(scope)}")
    values = []
    for frame, part in zip(scope, parts):
        text = part[1:] if frame.kind == FRAME_LOOP and part.startswith("v") else part
        if frame.kind == FRAME_LOOP and not part.startswith("v"):
            raise ValueError(f"task id {task_id!r}: component {part!r} should be a visit like 'v0'")
        if not text.isdigit():
            raise ValueError(f"task id {task_id!r}: component {part!r} is not a number")
        values.append(int(text))
    return tuple(values)


def foreach_stack(scope: Sequence[Frame], values: Sequence[int]) -> Tuple[int, ...]:
    """The foreach indices only (what ``self.foreach_stack()`` reports), outermost first."""
    return tuple(v for f, v in zip(scope, values) if f.kind == FRAME_FOREACH)
