"""Linear graph: start -> a -> b -> end, each step building on the last."""
from metaflow import FlowSpec, step


class LinearFlow(FlowSpec):
    @step
    def start(self):
        self.trail = ["start"]
        self.value = 1
        self.next(self.a)

    @step
    def a(self):
        self.trail = self.trail + ["a"]
        self.value = self.value * 10
        self.next(self.b)

    @step
    def b(self):
        self.trail = self.trail + ["b"]
        self.value = self.value + 5
        self.next(self.end)

    @step
    def end(self):
        self.trail = self.trail + ["end"]


if __name__ == "__main__":
    LinearFlow()
