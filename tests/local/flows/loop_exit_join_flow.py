"""Inside a foreach, a loop whose switch exits straight into the join (the join takes each item's last visit)."""
from sfncompile import FlowSpec, step


class LoopExitJoinFlow(FlowSpec):
    @step
    def start(self):
        self.limits = [2, 1, 3]
        self.next(self.bump, foreach="limits")

    @step
    def bump(self):
        self.count = getattr(self, "count", 0) + 1
        self.more = "yes" if self.count < self.input else "no"
        self.next({"yes": self.bump, "no": self.join}, condition="more")

    @step
    def join(self, inputs):
        self.counts = [i.count for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    LoopExitJoinFlow()
