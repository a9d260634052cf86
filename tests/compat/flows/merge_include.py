"""merge_artifacts with include=, and values the branches agree on passing through."""
from metaflow import FlowSpec, step


class MergeIncludeFlow(FlowSpec):
    @step
    def start(self):
        self.agreed = {"k": 1}
        self.next(self.one, self.two)

    @step
    def one(self):
        self.picked = "same everywhere"
        self.only_one = 1
        self.differs = "one"
        self.next(self.join)

    @step
    def two(self):
        self.picked = "same everywhere"
        self.differs = "two"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.merge_artifacts(inputs, include=["picked", "agreed", "only_one"])
        self.next(self.end)

    @step
    def end(self):
        self.seen = [self.picked, self.agreed["k"], self.only_one]


if __name__ == "__main__":
    MergeIncludeFlow()
