"""The ``@step`` decorator: marks a FlowSpec method as a step of the graph."""
from __future__ import annotations

import inspect
from typing import Any, Callable

from ..exceptions import FlowDefinitionError
from .decorators import IS_STEP_ATTR, STEP_DECORATORS_ATTR


def step(func: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a step. Put it directly above ``def``, under any other step decorator."""
    if not inspect.isfunction(func):
        raise FlowDefinitionError(
            f"@step must decorate a method, got {func!r}",
            fix="write @step directly above `def name(self):`",
        )
    if getattr(func, IS_STEP_ATTR, False):
        return func
    setattr(func, IS_STEP_ATTR, True)
    setattr(func, STEP_DECORATORS_ATTR, {})
    return func


def is_step(obj: Any) -> bool:
    return inspect.isfunction(obj) and getattr(obj, IS_STEP_ATTR, False)
