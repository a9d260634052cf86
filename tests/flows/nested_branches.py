from sfncompile import FlowSpec, step


class NestedBranchesFlow(FlowSpec):
    @step
    def start(self):
        self.v = 1
        self.next(self.left, self.right)

    @step
    def left(self):
        self.next(self.l1, self.l2)

    @step
    def l1(self):
        self.part = "l1"
        self.next(self.left_join)

    @step
    def l2(self):
        self.part = "l2"
        self.next(self.left_join)

    @step
    def left_join(self, inputs):
        self.parts = sorted(i.part for i in inputs)
        self.next(self.join)

    @step
    def right(self):
        self.parts = ["r"]
        self.next(self.join)

    @step
    def join(self, inputs):
        self.all_parts = sorted(p for i in inputs for p in i.parts)
        self.merge_artifacts(inputs, include=["v"])
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NestedBranchesFlow()
