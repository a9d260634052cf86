"""Map states for a foreach: inline (small fan-out) and Distributed (wide fan-out).

Each iteration starts from ``{"r", "q", "d", "t", "c"}`` built by the Map's ``ItemSelector``:
the run id and shared SubmitJob values passed on, the outer frame values plus ``$$.Map.Item.Index``
(as a string: context.py) as the new foreach frame. Items
are only indices:

* inline: ``ItemsPath`` over ``States.ArrayRange(0, n - 1, 1)``, built from the
  cardinality the split recorded (ArrayRange makes at most 1,000 items);
* distributed: an ``ItemReader`` reads the split's manifest ``foreach.json``
  (``[0, 1, ..., n-1]``) from the datastore; each iteration is a child execution.

``auto`` picks one at run time with a Choice on the cardinality; both Maps hold the
same iteration body (outermost foreaches only: see :func:`mode_of`). Map results are discarded (``ResultPath: null``); each
distributed child ends in a Pass returning ``0``, so the result array Step Functions
assembles stays far under its 256 KiB limit (about 130,000 items).
"""
from __future__ import annotations

from typing import Any, Dict, List

from ..graph.ir import StepNode
from . import intrinsics as asl
from .context import FrameUpdate, ctx_template, task_id_template
from .control import CARDINALITY, ctl_path

ITEMS = "items"
MANIFEST = "foreach.json"


def manifest_key(step: StepNode) -> str:
    """``<prefix>/<Flow>/runs/<run>/<split>/<task>/foreach.json`` as a Format expression."""
    template, args = task_id_template(step)
    prefix = f"{asl.placeholder(asl.DATASTORE_PREFIX)}/{asl.placeholder(asl.FLOW_NAME)}"
    return asl.format_call(f"{prefix}/runs/{{}}/{step.name}/{template}/{MANIFEST}", [asl.RUN, *args])


def item_selector(updates: List[FrameUpdate]) -> Dict[str, Any]:
    selector: Dict[str, Any] = {f"{key}.$": f"$.{key}" for key in asl.SHARED_KEYS}
    selector[asl.CTX_KEY] = ctx_template(updates)
    return selector


def items_pass(next_state: str) -> Dict[str, Any]:
    """``$.ctl.items`` = ``[0, ..., n-1]`` for an inline Map."""
    last = asl.call("MathAdd", ctl_path(CARDINALITY), "-1")
    return {
        "Type": "Pass",
        "Parameters": {f"{ITEMS}.$": asl.call("ArrayRange", "0", last, "1")},
        "ResultPath": asl.CTL,
        "Next": next_state,
    }


def _map(processor: Dict[str, Any], selector: Dict[str, Any], max_concurrency: int) -> Dict[str, Any]:
    state: Dict[str, Any] = {"Type": "Map"}
    state["ItemSelector"] = selector
    state["ItemProcessor"] = processor
    if max_concurrency:
        state["MaxConcurrency"] = max_concurrency
    state["ResultPath"] = None
    return state


def inline_map(
    start_at: str, states: Dict[str, Any], selector: Dict[str, Any], max_concurrency: int
) -> Dict[str, Any]:
    processor = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": start_at, "States": states}
    state = {"Type": "Map", "ItemsPath": ctl_path(ITEMS)}
    state.update(_map(processor, selector, max_concurrency))
    return state


def distributed_map(
    step: StepNode, start_at: str, states: Dict[str, Any], selector: Dict[str, Any], max_concurrency: int
) -> Dict[str, Any]:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": start_at,
        "States": states,
    }
    reader = {
        "Resource": asl.S3_GET_OBJECT,
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": asl.placeholder(asl.DATASTORE_BUCKET), "Key.$": manifest_key(step)},
    }
    state: Dict[str, Any] = {"Type": "Map", "ItemReader": reader}
    state.update(_map(processor, selector, max_concurrency))
    return state


def child_result() -> Dict[str, Any]:
    """The last state of a distributed iteration: a 2-byte result instead of the whole state."""
    return {"Type": "Pass", "Result": 0, "End": True}


def _rule(comparison: str, value: int, next_state: str) -> Dict[str, Any]:
    return {"Variable": ctl_path(CARDINALITY), comparison: value, "Next": next_state}


def width_choice(
    *, empty: str, inline: str, inline_max: int, wider: str, wider_is_error: bool = False
) -> Dict[str, Any]:
    """Route on the cardinality: none -> ``empty``; up to ``inline_max`` -> ``inline``; more -> ``wider``.

    With ``wider_is_error`` (a forced inline foreach) ``wider`` reports the error, and the
    inline path is the default.
    """
    rules = [_rule("NumericLessThan", 1, empty)]
    if wider_is_error:
        rules.append(_rule("NumericGreaterThan", inline_max, wider))
        return {"Type": "Choice", "Choices": rules, "Default": inline}
    rules.append(_rule("NumericLessThanEquals", inline_max, inline))
    return {"Type": "Choice", "Choices": rules, "Default": wider}


def mode_of(step: StepNode, default_mode: str) -> str:
    """The Map(s) a foreach compiles to: @foreach(mode=...) or the settings' default.

    ``auto`` (a Choice between an inline and a Distributed Map, each holding the body)
    is kept for an outermost foreach only. Nested inside another foreach's body it would
    copy its body again in each copy of the enclosing one, so the definition would double
    per nesting level; there it becomes ``distributed``, the mode that runs any width
    (a child execution per item, with a history of its own). Set ``mode='inline'`` on a
    nested foreach known to stay narrow.
    """
    deco = step.decorator("foreach")
    mode = deco["mode"] if deco else default_mode
    if mode == "auto" and step.foreach_depth > 0:
        return "distributed"
    return mode


def max_concurrency_of(step: StepNode) -> int:
    deco = step.decorator("foreach")
    return deco["max_concurrency"] if deco else 0

