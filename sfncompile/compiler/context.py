"""Frame values in state: the ``$.c`` keys, how edges change them, and task id expressions.

Each frame of a step's scope (``graph/ir.py``) has one key in ``$.c``:
``f_<split step>`` for a foreach (the item index, as a string) and ``l_<loop target>``
for a loop (the visit number, an integer: ``States.MathAdd`` counts it). A step's task
id is ``States.Format`` over its frames' keys, the same string
``taskid.render_task_id`` builds from the same values. A step in one foreach and no
loop has the item index itself as its task id: the Map's ItemSelector formats the
index once, so each Task of the body reads ``$.c.f_<split>`` instead of formatting it
(20 bytes less per body step).

How an edge changes the values is *not* re-implemented here: :func:`frame_updates`
asks ``transitions.next_values`` (the rule every backend follows) with distinct probe
values and reads back, for each frame of the destination, whether the value was kept,
incremented, reset to 0 or taken from the foreach item. The compiler and the local
scheduler therefore agree by construction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

from ..exceptions import CompileError
from ..graph.ir import FRAME_FOREACH, FRAME_LOOP, FlowGraph, Frame, StepNode
from ..graph.taskid import ROOT_TASK_ID
from ..graph.transitions import next_values
from . import intrinsics as asl

KEEP = "keep"
NEXT = "next"
ZERO = "zero"
ITEM = "item"

_PROBE_BASE = 1_000_003  # far from 0, 1 and any item index probe
_PROBE_ITEM = 7_777_777


def ctx_key(frame: Frame) -> str:
    return f"{'f' if frame.kind == FRAME_FOREACH else 'l'}_{frame.name}"


def ctx_path(frame: Frame) -> str:
    return f"{asl.CTX}.{ctx_key(frame)}"


@dataclass(frozen=True)
class FrameUpdate:
    """How one frame of the destination gets its value along an edge."""

    frame: Frame
    op: str  # KEEP | NEXT | ZERO | ITEM
    source: Optional[Frame] = None  # the source frame for KEEP / NEXT


def frame_updates(graph: FlowGraph, src: Optional[StepNode], dst: StepNode) -> Tuple[FrameUpdate, ...]:
    """The updates of ``dst``'s frames when control passes from ``src`` (None: the run starts)."""
    if src is None:
        for frame in dst.scope:
            if frame.kind != FRAME_LOOP:
                raise CompileError(f"step '{dst.name}' starts the run inside a foreach", fix="report this as a bug")
        return tuple(FrameUpdate(f, ZERO) for f in dst.scope)
    probes = [_PROBE_BASE * (i + 1) for i in range(len(src.scope))]
    values = next_values(graph, src, probes, dst, item_index=_PROBE_ITEM)
    by_probe = dict(zip(probes, src.scope))
    updates = []
    for frame, value in zip(dst.scope, values):
        if value in by_probe:
            updates.append(FrameUpdate(frame, KEEP, by_probe[value]))
        elif value - 1 in by_probe:
            updates.append(FrameUpdate(frame, NEXT, by_probe[value - 1]))
        elif value == 0:
            updates.append(FrameUpdate(frame, ZERO))
        elif value == _PROBE_ITEM:
            updates.append(FrameUpdate(frame, ITEM))
        else:  # pragma: no cover - next_values only keeps, increments, resets or indexes
            raise CompileError(f"cannot express the frame values of '{src.name}' -> '{dst.name}'")
    return tuple(updates)


def changes_ctx(updates: Sequence[FrameUpdate]) -> bool:
    """False when every destination frame keeps the value it has under the same key."""
    return any(u.op != KEEP or u.source != u.frame for u in updates)


def ctx_template(updates: Sequence[FrameUpdate]) -> Dict[str, Any]:
    """``$.c`` for the destination, as a Parameters template (``key.$`` for computed values)."""
    out: Dict[str, Any] = {}
    for u in updates:
        key = ctx_key(u.frame)
        if u.op in (KEEP, NEXT):
            assert u.source is not None, "KEEP and NEXT updates always name their source frame"
            path = ctx_path(u.source)
            out[f"{key}.$"] = path if u.op == KEEP else asl.call("MathAdd", path, "1")
        elif u.op == ZERO:
            out[key] = "0" if u.frame.kind == FRAME_FOREACH else 0
        else:
            out[f"{key}.$"] = asl.format_call("{}", [asl.MAP_INDEX])
    return out


def task_id_template(step: StepNode) -> Tuple[str, Tuple[str, ...]]:
    """(Format template, argument paths) of the step's task id: ``('{}.v{}', ($.c.f_a, $.c.l_b))``.

    A step outside any frame has the literal task id ``0`` and no arguments.
    """
    if not step.scope:
        return ROOT_TASK_ID, ()
    parts = ["v{}" if f.kind == FRAME_LOOP else "{}" for f in step.scope]
    return ".".join(parts), tuple(ctx_path(f) for f in step.scope)


def task_id_expression(step: StepNode) -> Optional[str]:
    """The step's task id as one ASL expression (a ``key.$`` value), or None for the literal root id.

    A lone foreach frame's value already is the id string: its path, without a Format.
    """
    template, args = task_id_template(step)
    if not args:
        return None
    if template == "{}":
        return args[0]
    return asl.format_call(template, args)
