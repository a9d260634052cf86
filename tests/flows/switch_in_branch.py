from sfncompile import FlowSpec, step


class SwitchInBranchFlow(FlowSpec):
    @step
    def start(self):
        self.mode = "fast"
        self.next(self.decide, self.other)

    @step
    def decide(self):
        self.next({"fast": self.fast, "slow": self.slow}, condition="mode")

    @step
    def fast(self):
        self.result = "fast path"
        self.next(self.join)

    @step
    def slow(self):
        self.result = "slow path"
        self.next(self.join)

    @step
    def other(self):
        self.result = "other branch"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = sorted(i.result for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SwitchInBranchFlow()
