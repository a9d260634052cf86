"""``publish_event``: start deployed @trigger flows from Python, as ``sfncompile event publish`` does."""
from __future__ import annotations

from typing import Any, Mapping, Optional


def publish_event(name: str, payload: Optional[Mapping[str, Any]] = None, *,
                  config: Optional[Mapping[str, Any]] = None) -> str:
    """Put event ``name`` with ``payload`` (a JSON object) on the stage's event bus; returns the event id.

    Every flow deployed with ``@trigger(event=name)`` starts; its start task maps the payload's
    fields to parameters and checks them (``sfncompile event rejected Flow`` lists payloads that did not fit).
    """
    from ..aws.events import publish

    return publish(name, payload or {}, config=config)
