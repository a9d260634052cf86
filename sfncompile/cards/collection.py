"""``current.card``: where a step appends components for its card(s).

A step has one card per ``@card``; ``current.card.append(c)`` goes to the card with
no ``id`` (or the only card), ``current.card["id"].append(c)`` to a named one.
In a step without ``@card`` components are dropped with one warning (as Metaflow
does), so the same code runs with or without the decorator.

``current.card.refresh()`` renders the cards so far while the step runs (the runtime
stores them as the attempt's in-progress cards, replaced by the final ones when the
step ends), at most once a second: a long step can show its progress in the UI.
"""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence

if TYPE_CHECKING:
    from .components import CardComponent

DEFAULT_CARD_ID = "default"
REFRESH_INTERVAL = 1.0  # seconds: refreshes closer together than this are skipped (the final card has it all)


class CardContents:
    """The components of one card, in order."""

    def __init__(self, card_id: str, card_type: str = "default", options: Optional[Mapping[str, Any]] = None) -> None:
        self.id = card_id
        self.type = card_type
        self.options = dict(options or {})
        self.components: List[CardComponent] = []
        self._refresh: Callable[[], bool] = lambda: False

    def append(self, component: CardComponent) -> None:
        from .components import CardComponent  # here: a step without a card never loads the components

        if not isinstance(component, CardComponent):
            raise TypeError(
                f"a card takes components (Markdown, Table, Image, Artifact, ProgressBar, VegaChart), "
                f"not {type(component).__name__}; wrap a value in Artifact(...)"
            )
        self.components.append(component)

    def extend(self, components: Sequence[CardComponent]) -> None:
        for c in components:
            self.append(c)

    def clear(self) -> None:
        self.components.clear()

    def refresh(self) -> bool:
        """Render and store the step's cards so far (see ``CardCollection.refresh``)."""
        return self._refresh()

    def __len__(self) -> int:
        return len(self.components)

    def __iter__(self) -> Iterator[CardComponent]:
        return iter(self.components)


class CardCollection:
    """The cards of the running step (empty when the step has no ``@card``)."""

    def __init__(self, specs: Sequence[Mapping[str, Any]] = (), step: str = "") -> None:
        self.cards: Dict[str, CardContents] = {}
        for spec in specs:
            card_id = spec.get("id") or DEFAULT_CARD_ID
            self.cards[card_id] = CardContents(card_id, spec.get("type") or "default", spec.get("options"))
        self._step = step
        self._warned = False
        self._refresher: Optional[Callable[[], Any]] = None
        self._last_refresh: Optional[float] = None
        for contents in self.cards.values():
            contents._refresh = self.refresh

    def set_refresher(self, refresher: Optional[Callable[[], Any]]) -> None:
        """What ``refresh()`` calls to render and store the cards (the runtime sets it for the running task;
        None once the task ended: refreshing does nothing)."""
        self._refresher = refresher

    def _default(self) -> Optional[CardContents]:
        if DEFAULT_CARD_ID in self.cards:
            return self.cards[DEFAULT_CARD_ID]
        if len(self.cards) == 1:
            return next(iter(self.cards.values()))
        return None

    def _target(self) -> Optional[CardContents]:
        target = self._default()
        if target is None and not self._warned:
            self._warned = True
            where = f"step '{self._step}'" if self._step else "this code"
            if self.cards:
                msg = (f"current.card.append: {where} has several cards ({', '.join(self.cards)}); "
                       "write current.card['<id>'].append(...); the component is dropped")
            else:
                msg = f"current.card.append: {where} has no @card, so the component is dropped (add @card above @step)"
            print(msg, file=sys.stderr)
        return target

    def append(self, component: CardComponent) -> None:
        target = self._target()
        if target is not None:
            target.append(component)

    def extend(self, components: Sequence[CardComponent]) -> None:
        target = self._target()
        if target is not None:
            target.extend(components)

    def clear(self) -> None:
        target = self._default()
        if target is not None:
            target.clear()

    def refresh(self) -> bool:
        """Render and store the cards so far while the step runs; True if done, False if skipped.

        Skipped within REFRESH_INTERVAL of the last refresh (rendering is not free and a
        loop may call this every iteration), and in a step without ``@card``.
        """
        now = time.monotonic()
        if self._refresher is None or not self.cards:
            return False
        if self._last_refresh is not None and now - self._last_refresh < REFRESH_INTERVAL:
            return False
        self._last_refresh = now
        self._refresher()
        return True

    def __getitem__(self, card_id: str) -> CardContents:
        if card_id not in self.cards:
            known = ", ".join(self.cards) or "none (the step has no @card)"
            raise KeyError(f"no card with id {card_id!r}; cards of this step: {known}")
        return self.cards[card_id]

    def __contains__(self, card_id: str) -> bool:
        return card_id in self.cards

    def __iter__(self) -> Iterator[CardContents]:
        return iter(self.cards.values())

    def __len__(self) -> int:
        return len(self.cards)

    def __repr__(self) -> str:
        return f"CardCollection({', '.join(self.cards) or 'no cards'})"
