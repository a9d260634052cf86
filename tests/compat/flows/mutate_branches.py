"""Inherited list and dict changed in place in branches and foreach tasks."""
from metaflow import FlowSpec, step


class MutateBranchesFlow(FlowSpec):
    @step
    def start(self):
        self.log = ["start"]
        self.config = {"mode": "base"}
        self.next(self.left, self.right)

    @step
    def left(self):
        self.log.append("left")
        self.config["side"] = "left"
        self.next(self.join)

    @step
    def right(self):
        self.log.append("right")
        self.config["side"] = "right"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.logs = sorted(tuple(i.log) for i in inputs)
        self.sides = sorted(i.config["side"] for i in inputs)
        self.next(self.fan)

    @step
    def fan(self):
        self.items = ["p", "q"]
        self.next(self.each, foreach="items")

    @step
    def each(self):
        self.items.append(self.input.upper())
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.item_lists = [i.items for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    MutateBranchesFlow()
