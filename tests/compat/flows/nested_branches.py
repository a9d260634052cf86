"""Branches inside branches, two levels deep, each level joined."""
from metaflow import FlowSpec, step


class NestedBranchesFlow(FlowSpec):
    @step
    def start(self):
        self.path = "s"
        self.next(self.a, self.b)

    @step
    def a(self):
        self.path += "a"
        self.next(self.aa, self.ab)

    @step
    def aa(self):
        self.leaf = self.path + "a"
        self.next(self.join_a)

    @step
    def ab(self):
        self.leaf = self.path + "b"
        self.next(self.join_a)

    @step
    def join_a(self, inputs):
        self.leaves = sorted(i.leaf for i in inputs)
        self.next(self.join)

    @step
    def b(self):
        self.path += "b"
        self.next(self.ba, self.bb)

    @step
    def ba(self):
        self.leaf = self.path + "a"
        self.next(self.join_b)

    @step
    def bb(self):
        self.leaf = self.path + "b"
        self.next(self.join_b)

    @step
    def join_b(self, inputs):
        self.leaves = sorted(i.leaf for i in inputs)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.all_leaves = sorted(leaf for i in inputs for leaf in i.leaves)
        self.next(self.end)

    @step
    def end(self):
        self.count = len(self.all_leaves)


if __name__ == "__main__":
    NestedBranchesFlow()
