"""The ``@step`` decorator: marks a FlowSpec method as a step of the graph."""
from __future__ import annotations

import inspect
import linecache
import sys
from typing import Any, Callable, Tuple

from ..exceptions import FlowDefinitionError
from .decorators import IS_STEP_ATTR, STEP_DECORATORS_ATTR, _caller


def step(func: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a step. Put it directly above ``def``, under any other step decorator."""
    if not inspect.isfunction(func):
        file, line = _decorator_line(*_caller(), "@step")
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


def _decorator_line(file: str, line: int, decorator: str) -> Tuple[str, int]:
    """The line of ``decorator`` above a decorated ``def`` whose applying frame is at ``line``.

    Python 3.11+ reports the decorator's own line while applying it; 3.9 and 3.10
    report the ``def`` line, so look upward through the decorator lines for it.
    """
    if sys.version_info >= (3, 11):
        return file, line
    for candidate in range(line, max(line - 50, 0), -1):
        text = linecache.getline(file, candidate).strip()
        if text.startswith(decorator):
            return file, candidate
        if candidate != line and text and not text.startswith(("@", "#")):
            break
    return file, line


def is_step(obj: Any) -> bool:
    return inspect.isfunction(obj) and getattr(obj, IS_STEP_ATTR, False)
