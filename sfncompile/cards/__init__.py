"""Cards: components a step appends to ``current.card``, rendered to one self-contained HTML file.

    from sfncompile import card, current, step
    from sfncompile.cards import Markdown, Table, Image

    @card
    @step
    def train(self):
        current.card.append(Markdown("# Loss"))
        current.card.append(Table.from_dataframe(self.history))
"""
from .collection import DEFAULT_CARD_ID, CardCollection, CardContents
from .components import Artifact, CardComponent, Image, Markdown, ProgressBar, Table, VegaChart
from .page import default_components, render_card

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
