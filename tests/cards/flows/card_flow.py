"""@card in every form the tests need: default listing, appended components, two named cards,
a component that breaks while rendering, and a step without @card that appends anyway."""
from sfncompile import FlowSpec, card, current, step
from sfncompile.cards import Artifact, CardComponent, Markdown, ProgressBar, Table, VegaChart


class Exploding(CardComponent):
    def render(self):
        raise RuntimeError("render exploded")


class CardFlow(FlowSpec):
    @card
    @step
    def start(self):
        self.numbers = [1, 2, 3]
        self.label = "<b>not bold</b>"
        self.next(self.report)

    @card(type="blank")
    @card(id="extra", options={"title": "Extra report"})
    @step
    def report(self):
        current.card.append(Markdown("# Report\n\nSome **bold** text and `code`."))
        current.card.append(Table([[1, "one"], [2, Artifact({"k": [1, 2]})]], headers=["n", "value"]))
        bar = ProgressBar(max=4, label="epochs")
        bar.update(3)
        current.card.append(bar)
        current.card.append(VegaChart({
            "data": {"values": [{"x": "a", "y": 2}, {"x": "b", "y": 5}]}, "mark": "bar",
            "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
        }))
        current.card.append(Exploding())
        current.card["extra"].append(Markdown("the extra card"))
        self.next(self.plain)

    @step
    def plain(self):
        current.card.append(Markdown("dropped: no @card here"))
        self.next(self.end)

    @step
    def end(self):
        pass
