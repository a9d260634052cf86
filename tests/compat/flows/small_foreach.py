"""The smallest fan-out: three integers, one step each, summed in the join."""
from metaflow import FlowSpec, step


class SmallForeachFlow(FlowSpec):
    @step
    def start(self):
        self.numbers = [3, 1, 2]
        self.next(self.square, foreach="numbers")

    @step
    def square(self):
        self.squared = self.input ** 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.squares = [i.squared for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.squares)


if __name__ == "__main__":
    SmallForeachFlow()
