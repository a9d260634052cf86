from sfncompile import FlowSpec, step


class BranchInForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.fan, foreach="items")

    @step
    def fan(self):
        self.n = self.input
        self.next(self.plus, self.times)

    @step
    def plus(self):
        self.r = self.n + 100
        self.next(self.pair)

    @step
    def times(self):
        self.r = self.n * 100
        self.next(self.pair)

    @step
    def pair(self, inputs):
        self.both = (inputs.plus.r, inputs.times.r)
        self.next(self.collect)

    @step
    def collect(self, inputs):
        self.pairs = [i.both for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BranchInForeachFlow()
