"""current.card.refresh() while a step runs: the step reads its own in-progress card back."""
from sfncompile import FlowSpec, Task, card, current, step
from sfncompile.cards import Markdown


def _own_card() -> str:
    (only,) = Task(current.pathspec).cards
    return only.html


class CardRefreshFlow(FlowSpec):
    @card(type="blank")
    @step
    def start(self):
        current.card.append(Markdown("epoch one"))
        self.first = current.card.refresh()
        self.seen_first = _own_card()
        current.card.append(Markdown("epoch two"))
        self.second = current.card.refresh()  # within a second of the first: skipped
        self.seen_second = _own_card()
        self.next(self.end)

    @step
    def end(self):
        self.plain = current.card.refresh()  # no @card: nothing to refresh


if __name__ == "__main__":
    CardRefreshFlow()
