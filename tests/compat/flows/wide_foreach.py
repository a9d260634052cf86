"""A wide fan-out (more tasks than workers) whose join keeps item order."""
from metaflow import FlowSpec, step


class WideForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(40))
        self.next(self.cube, foreach="items")

    @step
    def cube(self):
        self.cubed = self.input ** 3
        self.next(self.join)

    @step
    def join(self, inputs):
        self.cubes = [i.cubed for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.cubes)


if __name__ == "__main__":
    WideForeachFlow()
