"""The ``@step`` decorator: marks a FlowSpec method as a step of the graph."""
from __future__ import annotations

import inspect
from typing import Any, Callable

from ..exceptions import FlowDefinitionError
from .decorators import IS_STEP_ATTR, STEP_DECORATORS_ATTR, _caller


def step(func: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a step. Put it directly above ``def``, under any other step decorator."""
    if not inspect.isfunction(func):
        file, line = _caller()
        raise FlowDefinitionError(
            f"@step must decorate a `def`, got {type(func).__name__} {func!r}",
            file=file,
            line=line,
            fix="write @step directly above `def name(self):` (and under any other step decorator)",
        )
    if getattr(func, IS_STEP_ATTR, False):
        return func
    setattr(func, IS_STEP_ATTR, True)
    setattr(func, STEP_DECORATORS_ATTR, {})
    return func


def is_step(obj: Any) -> bool:
    return inspect.isfunction(obj) and getattr(obj, IS_STEP_ATTR, False)
