"""A foreach with two steps inside it, joined by a step that collects in order."""
from metaflow import FlowSpec, step


class ForeachBasicFlow(FlowSpec):
    @step
    def start(self):
        self.words = ["alpha", "beta", "gamma", "delta"]
        self.next(self.measure, foreach="words")

    @step
    def measure(self):
        self.word = self.input
        self.position = self.index
        self.length = len(self.word)
        self.next(self.shout)

    @step
    def shout(self):
        self.loud = self.word.upper() + "!" * self.length
        self.next(self.join)

    @step
    def join(self, inputs):
        self.louds = [i.loud for i in inputs]
        self.positions = [i.position for i in inputs]
        self.words = inputs[0].words
        self.next(self.end)

    @step
    def end(self):
        self.longest = max(self.louds, key=len)


if __name__ == "__main__":
    ForeachBasicFlow()
