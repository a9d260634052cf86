"""Benchmark: a 100-way foreach of trivial tasks (per-task overhead)."""
from sfncompile import FlowSpec, Parameter, step


class Foreach100Flow(FlowSpec):
    width = Parameter("width", default=100)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    Foreach100Flow()
