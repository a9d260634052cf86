from sfncompile import FlowSpec, step


class LoopInForeachFlow(FlowSpec):
    @step
    def start(self):
        self.limits = [1, 2, 3]
        self.next(self.init, foreach="limits")

    @step
    def init(self):
        self.count = 0
        self.limit = self.input
        self.next(self.bump)

    @step
    def bump(self):
        self.count += 1
        self.again = "yes" if self.count < self.limit else "no"
        self.next({"yes": self.bump, "no": self.done}, condition="again")

    @step
    def done(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.counts = [i.count for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    LoopInForeachFlow()
