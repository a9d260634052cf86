"""A static branch of three steps joined with merge_artifacts."""
from metaflow import FlowSpec, step


class BranchMergeFlow(FlowSpec):
    @step
    def start(self):
        self.shared = "from start"
        self.base = 7
        self.next(self.left, self.middle, self.right)

    @step
    def left(self):
        self.left_value = self.base + 1
        self.clash = "left"
        self.next(self.join)

    @step
    def middle(self):
        self.middle_value = self.base * 2
        self.clash = "middle"
        self.next(self.join)

    @step
    def right(self):
        self.right_value = self.base - 1
        self.clash = "right"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.clashes = sorted(i.clash for i in inputs)
        self.merge_artifacts(inputs, exclude=["clash"])
        self.next(self.end)

    @step
    def end(self):
        self.total = self.left_value + self.middle_value + self.right_value


if __name__ == "__main__":
    BranchMergeFlow()
