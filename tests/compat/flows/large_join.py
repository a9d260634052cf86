"""A static branch into eight steps and one join that reads each by name."""
from metaflow import FlowSpec, step


class LargeJoinFlow(FlowSpec):
    @step
    def start(self):
        self.seed = 2
        self.next(self.s1, self.s2, self.s3, self.s4, self.s5, self.s6, self.s7, self.s8)

    @step
    def s1(self):
        self.out = self.seed + 1
        self.next(self.join)

    @step
    def s2(self):
        self.out = self.seed + 2
        self.next(self.join)

    @step
    def s3(self):
        self.out = self.seed + 3
        self.next(self.join)

    @step
    def s4(self):
        self.out = self.seed + 4
        self.next(self.join)

    @step
    def s5(self):
        self.out = self.seed + 5
        self.next(self.join)

    @step
    def s6(self):
        self.out = self.seed + 6
        self.next(self.join)

    @step
    def s7(self):
        self.out = self.seed + 7
        self.next(self.join)

    @step
    def s8(self):
        self.out = self.seed + 8
        self.next(self.join)

    @step
    def join(self, inputs):
        self.outs = sorted(i.out for i in inputs)
        self.fourth = inputs.s4.out
        self.merge_artifacts(inputs, exclude=["out"])
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.outs)


if __name__ == "__main__":
    LargeJoinFlow()
