"""foreach_stack(), index and input inside a nested foreach."""
from metaflow import FlowSpec, step


class ForeachStackFlow(FlowSpec):
    @step
    def start(self):
        self.letters = ["a", "b"]
        self.next(self.outer, foreach="letters")

    @step
    def outer(self):
        self.numbers = [1, 2, 3]
        self.next(self.inner, foreach="numbers")

    @step
    def inner(self):
        self.frames = [tuple(frame) for frame in self.foreach_stack()]
        self.here = (self.index, self.input)
        self.next(self.join_inner)

    @step
    def join_inner(self, inputs):
        self.heres = [i.here for i in inputs]
        self.next(self.join_outer)

    @step
    def join_outer(self, inputs):
        self.all_heres = [h for i in inputs for h in i.heres]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ForeachStackFlow()
