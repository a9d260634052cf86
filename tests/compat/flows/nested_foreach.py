"""Three nested foreach levels over strings, joined level by level."""
from metaflow import FlowSpec, step


class NestedForeachFlow(FlowSpec):
    @step
    def start(self):
        self.outer = "xy"
        self.next(self.split_outer, foreach="outer")

    @step
    def split_outer(self):
        self.o = self.input
        self.middle = "pq"
        self.next(self.split_middle, foreach="middle")

    @step
    def split_middle(self):
        self.m = self.input
        self.inner = "123"
        self.next(self.leaf, foreach="inner")

    @step
    def leaf(self):
        self.word = self.o + self.m + self.input
        self.next(self.join_inner)

    @step
    def join_inner(self, inputs):
        self.words = [i.word for i in inputs]
        self.next(self.join_middle)

    @step
    def join_middle(self, inputs):
        self.words = [w for i in inputs for w in i.words]
        self.next(self.join_outer)

    @step
    def join_outer(self, inputs):
        self.words = [w for i in inputs for w in i.words]
        self.next(self.end)

    @step
    def end(self):
        self.count = len(self.words)


if __name__ == "__main__":
    NestedForeachFlow()
