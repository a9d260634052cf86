"""Render a step's cards after its code ran, and store them with the task attempt.

``current.card.refresh()`` stores them earlier too, marked "in progress"
(``live_refresh``): each refresh is a write-once file of its own under ``cards/live/``
(every file under ``runs/`` is written once), readers show the latest, and the final
render at the end of the step takes precedence over all of them.

A card never fails its task: a component that cannot render shows its error in
place (``CardComponent.safe_render``), and a card that cannot be rendered or stored
at all is replaced by, or reported as, an error message on the task's stderr.
"""
from __future__ import annotations

import itertools

import sys
from typing import Any, Dict, List, Mapping, Optional

from ..cards.collection import CardCollection
from ..flow.card import card_specs
from .artifacts import ArtifactIO

_INHERITED = object()  # an inherited artifact: its value is not loaded for the default card


def new_collection(node: Any) -> CardCollection:
    """What ``current.card`` is while the step runs."""
    return CardCollection(card_specs(node.decorators), step=node.name)


def store_cards(
    collection: CardCollection,
    aio: ArtifactIO,
    run_id: str,
    step: str,
    task_id: str,
    attempt: int,
    *,
    step_values: Mapping[str, Any],
    entries: Mapping[str, Mapping[str, Any]],
    error: Optional[str] = None,
    live_seq: Optional[int] = None,
) -> List[str]:
    """Render and store every card of the step; returns the ids stored (never raises)."""
    from ..cards.page import render_card  # only a step with a card renders one
    pathspec = f"{aio.flow}/{run_id}/{step}/{task_id}"
    subtitle = f"attempt {attempt}" + (" · the step failed" if error else "") + (" · in progress" if live_seq is not None else "")
    stored: List[str] = []
    for card in collection:
        try:
            html = _render_one(card, pathspec, subtitle, step_values, entries, error)
        except Exception as exc:  # noqa: BLE001 - a card never fails the task
            html = render_card([], title=f"{pathspec} ({card.id})", subtitle=subtitle,
                               error=f"the card could not be rendered: {type(exc).__name__}: {exc}")
        try:
            aio.put_card(run_id, step, task_id, attempt, card.id, html, live_seq=live_seq)
            stored.append(card.id)
        except Exception as exc:  # noqa: BLE001 - storing a card is best effort
            print(f"[{pathspec}] card {card.id!r} could not be stored: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
    return stored


def live_refresh(collection: CardCollection, aio: ArtifactIO, run_id: str, step: str, task_id: str,
                 attempt: int, obj: Any) -> None:
    """Let ``current.card.refresh()`` store the cards so far (with the values the step has set by then)."""
    refreshes = itertools.count()  # each refresh is its own write-once file; readers take the latest

    collection.set_refresher(lambda: store_cards(
        collection, aio, run_id, step, task_id, attempt, step_values=step_values(obj), entries={},
        live_seq=next(refreshes),
    ))


def _render_one(card: Any, pathspec: str, subtitle: str, step_values: Mapping[str, Any],
                entries: Mapping[str, Mapping[str, Any]], error: Optional[str]) -> str:
    from ..cards.components import Markdown
    from ..cards.page import default_components, render_card

    components = list(card.components)
    if not components and card.type == "default":
        # Stored artifacts, and (when the step failed before storing) the values it had set.
        names = sorted(n for n in set(entries) | set(step_values) if not n.startswith("_"))
        listing = [(name, entries.get(name) or {"type": type(step_values[name]).__name__},
                    step_values.get(name, _INHERITED)) for name in names]
        components = default_components(listing, missing=_INHERITED)
    message = None
    if error:
        message = f"the step failed: {error.strip().splitlines()[-1] if error.strip() else 'error'}"
        components = components + [Markdown("**Traceback**\n\n```\n" + short_repr_text(error) + "\n```")]
    title = card.options.get("title") or (pathspec if card.id == "default" else f"{pathspec} ({card.id})")
    return render_card(components, title=title, subtitle=subtitle, error=message)


def short_repr_text(text: str, limit: int = 8000) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


def step_values(obj: Any) -> Dict[str, Any]:
    """The public attributes the step itself set (values in memory; inherited ones are not loaded)."""
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


__all__ = ["live_refresh", "new_collection", "store_cards", "step_values"]
