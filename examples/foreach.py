"""A foreach: one task per item, in parallel, then a join."""
from sfncompile import FlowSpec, Parameter, step


class ForeachFlow(FlowSpec):
    width = Parameter("width", default=5, help="how many items to fan out to")

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.value = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.squares = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print("squares:", self.squares)


if __name__ == "__main__":
    ForeachFlow()
