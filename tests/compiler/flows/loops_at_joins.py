"""Loops in unusual places: inside a Parallel branch, and back to a join (a loop target right after a Map)."""
from sfncompile import FlowSpec, step


class LoopsAtJoinsFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.left, self.right)

    @step
    def left(self):
        self.rounds = getattr(self, "rounds", 0) + 1
        self.next({"again": self.left, "done": self.branches_joined}, condition="status")

    @step
    def right(self):
        self.next(self.branches_joined)

    @step
    def branches_joined(self, inputs):
        self.items = [1, 2]
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.next(self.gathered)

    @step
    def gathered(self, inputs):
        self.next(self.review)

    @step
    def review(self):
        self.next({"again": self.gathered, "done": self.end}, condition="status")

    @step
    def end(self):
        pass


if __name__ == "__main__":
    LoopsAtJoinsFlow()
