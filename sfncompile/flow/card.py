"""``@card``: give a step a report card, rendered to HTML after the step and stored with its attempt.

    @card                              # the default card: the task's artifacts, or what the step appends
    @card(type="blank", id="plots")    # a second card, addressed as current.card["plots"]
    @step
    def train(self): ...

A step may carry several ``@card``s, each with its own ``id``. Settings are recorded on
the step like the other decorators (``decorators["card"] = {"cards": [...]}``); the
runtime renders them (``sfncompile/runtime/cards.py``).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..exceptions import FlowDefinitionError
from .decorators import STEP_DECORATORS_ATTR, _caller, _check_args, require_step

CARD_TYPES = ("default", "blank")
CARD_ARGS = ("type", "id", "options")
CARD_OPTIONS = ("title",)  # options={"title": "Training report"}: the card's heading


def _validate(kwargs: Dict[str, Any], file: str, line: int, step: str) -> Dict[str, Any]:
    card_type = kwargs.get("type", "default")
    card_id = kwargs.get("id")
    options = kwargs.get("options") or {}
    problem = None
    if card_type not in CARD_TYPES:
        problem = f"@card(type=...) must be one of {', '.join(CARD_TYPES)}, got {card_type!r}"
    elif card_id is not None and (not isinstance(card_id, str) or not card_id.replace("_", "").replace("-", "").isalnum()):
        problem = f"@card(id=...) must be letters, digits, '_' or '-', got {card_id!r}"
    elif not isinstance(options, dict) or not set(options) <= set(CARD_OPTIONS):
        problem = f"@card(options=...) must be a dict with keys among {', '.join(CARD_OPTIONS)}, got {options!r}"
    if problem:
        raise FlowDefinitionError(problem, file=file, line=line, step=step)
    return {"type": card_type, "id": card_id, "options": dict(options)}


def card(func: Any = None, **kwargs: Any) -> Any:
    """@card(type='default'|'blank', id=None, options={'title': ...}): render a card for the step (see ``current.card``)."""
    file, line = _caller()
    _check_args("card", CARD_ARGS, kwargs, file, line)

    def apply(step_func: Any) -> Any:
        require_step("card", step_func, file, line)
        spec = _validate(kwargs, file, line, step_func.__name__)
        decorators = getattr(step_func, STEP_DECORATORS_ATTR)
        cards = list((decorators.get("card") or {}).get("cards") or ())
        if any(c["id"] == spec["id"] for c in cards):
            which = f"id {spec['id']!r}" if spec["id"] else "no id"
            raise FlowDefinitionError(
                f"two @card decorators with {which}",
                file=file,
                line=line,
                step=step_func.__name__,
                fix="give each @card of a step its own id, e.g. @card(id='plots')",
            )
        # Decorators apply bottom-up: insert at the front so cards keep the order they are written in.
        decorators["card"] = {"cards": [spec] + cards}
        return step_func

    if func is not None:
        if not callable(func):
            raise FlowDefinitionError(
                f"@card takes keyword arguments only, got {func!r}", file=file, line=line,
                fix="write @card or @card(type='blank', id='name')",
            )
        return apply(func)
    return apply


def card_specs(decorators: Any) -> list:
    """The ``@card`` settings of a step (a list, empty when it has none)."""
    settings: Optional[Any] = decorators.get("card") if decorators else None
    return [dict(c) for c in (settings or {}).get("cards") or ()]
