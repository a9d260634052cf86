"""Switch cases that leave their container at once: to a foreach's join, to a branch's join, to end."""
from sfncompile import FlowSpec, step


class SwitchExitsFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.triage, foreach="items")

    @step
    def triage(self):
        self.route = "skip" if self.input % 2 else "work"
        self.next({"skip": self.gather, "work": self.work}, condition="route")

    @step
    def work(self):
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.mode = "done"
        self.next(self.fork_a, self.fork_b)

    @step
    def fork_a(self):
        self.next({"done": self.merge, "again": self.extra}, condition="mode")

    @step
    def extra(self):
        self.next(self.merge)

    @step
    def fork_b(self):
        self.next(self.merge)

    @step
    def merge(self, inputs):
        self.mode = inputs[0].mode
        self.next({"stop": self.end, "more": self.finish}, condition="mode")

    @step
    def finish(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SwitchExitsFlow()
