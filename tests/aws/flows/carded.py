"""A deployed flow with a card, for the UI on emulated AWS."""
from sfncompile import FlowSpec, card, current, step
from sfncompile.cards import Markdown


class CardedFlow(FlowSpec):
    @card
    @step
    def start(self):
        self.answer = 42
        print("computing the answer on Batch")
        current.card.append(Markdown("# Rendered on Batch\n\nThe answer is **42**."))
        self.next(self.end)

    @step
    def end(self):
        print("the answer is", self.answer)
