"""Cards: components a step appends to ``current.card``, rendered to one self-contained HTML file.

    from sfncompile import card, current, step
    from sfncompile.cards import Markdown, Table, Image

    @card
    @step
    def train(self):
        current.card.append(Markdown("# Loss"))
        current.card.append(Table.from_dataframe(self.history))
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .collection import DEFAULT_CARD_ID, CardCollection, CardContents
    from .components import Artifact, CardComponent, Image, Markdown, ProgressBar, Table, VegaChart
    from .page import default_components, render_card

# Each name's module, imported when the name is first used: every task makes a ``current.card``
# (``collection``), but only a step with a card renders one (``components``, ``page``).
_HOME = {
    "CardComponent": "components", "Markdown": "components", "Table": "components", "Image": "components",
    "Artifact": "components", "ProgressBar": "components", "VegaChart": "components",
    "CardCollection": "collection", "CardContents": "collection", "DEFAULT_CARD_ID": "collection",
    "render_card": "page", "default_components": "page",
}

__all__ = [
    "CardComponent",
    "Markdown",
    "Table",
    "Image",
    "Artifact",
    "ProgressBar",
    "VegaChart",
    "CardCollection",
    "CardContents",
    "DEFAULT_CARD_ID",
    "render_card",
    "default_components",
]


def __getattr__(name: str) -> Any:
    """A public name, from its module (imported now if it was not yet)."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
