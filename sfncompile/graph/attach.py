"""``--with DECORATOR[:k=v,...]``: attach a step decorator to every step of a graph.

As in Metaflow, a step that already carries the decorator keeps its own settings;
the others get the command line's, validated exactly as if written in the file.
The result is a new graph (the IR stays immutable); the flow class is not touched.
"""
from __future__ import annotations

import dataclasses
import json
import os
from types import MappingProxyType
from typing import Any, Dict, List, Sequence, Tuple

from ..exceptions import FlowDefinitionError
from .ir import FlowGraph, freeze

# A task run elsewhere (a Batch job of a hybrid run) gets the run's --with specs here, as a JSON list,
# so it builds the same graph as the scheduler that submitted it.
WITH_ENV = "SFNCOMPILE_WITH"

# Decorators that act the same whether written in the file or given with --with
# (``--with batch`` sends every step to AWS Batch: sfncompile/hybrid/).
ATTACHABLE = ("retry", "catch", "timeout", "resources", "environment", "batch")


def _split_top_level(text: str) -> List[str]:
    """Split ``a=1,b={"x":1,"y":2}`` on the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_with(spec: str) -> Tuple[str, Dict[str, Any]]:
    """``"retry:times=3"`` → ``("retry", {"times": 3})``; values are JSON when they parse as JSON."""
    name, _, args = spec.partition(":")
    name = name.strip()
    if name not in ATTACHABLE:
        raise FlowDefinitionError(
            f"--with {spec}: {name!r} cannot be attached from the command line",
            fix=f"use one of: {', '.join(ATTACHABLE)} (e.g. --with retry:times=3)",
        )
    kwargs: Dict[str, Any] = {}
    for item in _split_top_level(args):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise FlowDefinitionError(f"--with {spec}: {item!r} is not key=value", fix=f"write --with {name}:key=value,...")
        kwargs[key.strip()] = _value(value.strip())
    return name, kwargs


def attach_decorators(graph: FlowGraph, specs: Sequence[str]) -> FlowGraph:
    """The graph with each ``--with`` decorator on every step that lacks it."""
    if not specs:
        return graph
    from ..flow.decorators import STEP_DECORATOR_SPECS, _check_args

    steps = dict(graph.steps)
    for spec in specs:
        name, kwargs = parse_with(spec)
        allowed, validate = STEP_DECORATOR_SPECS[name]
        _check_args(name, allowed, kwargs, f"--with {spec}", 0)
        try:
            settings = freeze(validate(kwargs))
        except ValueError as exc:
            raise FlowDefinitionError(f"--with {spec}: {exc}") from None
        for step, node in steps.items():
            if node.decorator(name) is None:
                decorators = MappingProxyType({**node.decorators, name: settings})
                steps[step] = dataclasses.replace(node, decorators=decorators)
    return dataclasses.replace(graph, steps=MappingProxyType(steps))


def with_environment(specs: Sequence[str]) -> Dict[str, str]:
    """The environment variable that hands ``specs`` to a task process (empty when there are none)."""
    return {WITH_ENV: json.dumps(list(specs))} if specs else {}


def attach_from_environment(graph: FlowGraph) -> FlowGraph:
    """The graph with the ``--with`` specs of ``$SFNCOMPILE_WITH`` attached (unchanged when unset)."""
    text = os.environ.get(WITH_ENV)
    return attach_decorators(graph, json.loads(text)) if text else graph
